#!/usr/bin/env bash
# A real PostgreSQL streaming replica (hot standby) of the local server, for development and tests.
#
#   scripts/pg-replica.sh start  [--port 5433] [--dir /var/tmp/blueprint-replica] [--timeout 60]
#   scripts/pg-replica.sh stop   [--port 5433] [--dir /var/tmp/blueprint-replica]
#   scripts/pg-replica.sh status [--port 5433] [--dir /var/tmp/blueprint-replica]
#
# start   Makes sure the primary (127.0.0.1:5432, user postgres, trust auth) accepts replication
#         connections from 127.0.0.1 (appends `host replication all 127.0.0.1/32 trust` to its
#         pg_hba.conf only when such a connection is refused and the line is missing, then reloads
#         the primary: no restart, the primary keeps serving), clones it with
#         `pg_basebackup -R -X stream` into DIR, writes the standby's own postgresql.conf and
#         pg_hba.conf (Debian keeps them outside the data directory, so the clone has none), starts
#         it with pg_ctl on PORT (sockets in /tmp) and waits until it answers, is in recovery and
#         streams from the primary. Idempotent: a replica already running there is left as it is;
#         an existing DIR of the same primary is restarted. Either is cloned afresh if it does not
#         stream within 20 s (no replication slot keeps WAL for it, so the primary may have recycled
#         what it needs). Concurrent invocations for one port take turns (flock on /tmp).
# stop    Stops the replica and removes DIR (the pg_hba.conf line stays: other replicas may use it).
# status  Prints the replica's state and its lag behind the primary; exit 3 when it is not running.
#
# Runs as root (the server then runs as the `postgres` OS user, as PostgreSQL refuses root) or as
# any other user (the server then runs as that user; pg_hba.conf must already allow replication or
# be writable). Environment: PRIMARY_HOST (127.0.0.1), PRIMARY_PORT (5432), PRIMARY_USER (postgres),
# PG_BINDIR (default: /usr/lib/postgresql/<the primary's major version>/bin).
set -euo pipefail

action=${1:-}
[[ $# -gt 0 ]] && shift
port=5433
dir=/var/tmp/blueprint-replica
timeout=60
while [[ $# -gt 0 ]]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --port=*) port=${1#*=}; shift ;;
    --dir) dir=$2; shift 2 ;;
    --dir=*) dir=${1#*=}; shift ;;
    --timeout) timeout=$2; shift 2 ;;
    --timeout=*) timeout=${1#*=}; shift ;;
    *) echo "pg-replica: unknown option $1" >&2; exit 2 ;;
  esac
done
case $action in start|stop|status) ;; *)
  echo "usage: $0 start|stop|status [--port 5433] [--dir /var/tmp/blueprint-replica] [--timeout 60]" >&2; exit 2 ;;
esac
[[ $port =~ ^[0-9]+$ ]] || { echo "pg-replica: --port must be a number" >&2; exit 2; }
[[ $timeout =~ ^[0-9]+$ ]] || { echo "pg-replica: --timeout must be a number of seconds" >&2; exit 2; }
[[ $dir == /* && $dir != / ]] || { echo "pg-replica: --dir must be an absolute path other than /" >&2; exit 2; }
dir=${dir%/}

primary_host=${PRIMARY_HOST:-127.0.0.1}
primary_port=${PRIMARY_PORT:-5432}
primary_user=${PRIMARY_USER:-postgres}
deadline=$((SECONDS + timeout))

say() { echo "pg-replica: $*"; }
die() { echo "pg-replica: error: $*" >&2; exit 1; }

# Queries answer one value per line, fields separated by '|'; -X ignores any ~/.psqlrc.
on_primary() { psql -X -A -t -q -w -h "$primary_host" -p "$primary_port" -U "$primary_user" -d postgres -c "$1"; }
on_replica() { psql -X -A -t -q -w -h 127.0.0.1 -p "$port" -U "$primary_user" -d postgres -c "$1"; }

# The server and its files belong to the postgres OS user when we are root, else to us.
if [[ $(id -u) -eq 0 ]]; then
  owner=postgres
  id -u postgres >/dev/null 2>&1 || die "running as root, but there is no 'postgres' OS user to run the replica as"
  as_owner() { (cd / && runuser -u postgres -- "$@" 9>&-); }
else
  owner=$(id -un)
  as_owner() { (cd / && "$@" 9>&-); }
fi

# The server binaries of the replica's major version (its data directory's, else the primary's).
bindir() {
  if [[ -n ${PG_BINDIR:-} ]]; then echo "$PG_BINDIR"; return; fi
  local major
  if [[ -f $dir/PG_VERSION ]]; then
    major=$(<"$dir/PG_VERSION")
  else
    major=$(on_primary "show server_version_num" 2>/dev/null) || die "the primary does not answer at $primary_host:$primary_port"
    major=$((major / 10000))
  fi
  local guess="/usr/lib/postgresql/$major/bin"
  if [[ -x $guess/pg_ctl ]]; then echo "$guess"; return; fi
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return; }
  die "no PostgreSQL server binaries found (looked in $guess and PATH); set PG_BINDIR"
}

# The replica at DIR is running when its postmaster is alive (pg_ctl status exits 0).
running() { [[ -f $dir/PG_VERSION ]] && as_owner "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; }

# Only ever delete a directory that is empty or holds a PostgreSQL data directory.
remove_dir() {
  [[ -e $dir ]] || return 0
  if [[ -f $dir/PG_VERSION || -z $(ls -A "$dir") ]]; then
    say "removing $dir"
    rm -rf -- "$dir"
  else
    die "$dir is neither empty nor a PostgreSQL data directory; not removing it"
  fi
}

# Waits (until the deadline, or $1) for the replica to answer, be in recovery and stream from the
# primary; gives up at once when the primary no longer has the WAL the replica needs.
wait_streaming() {
  local state='' until=${1:-$deadline}
  while ((SECONDS < until)); do
    state=$(on_replica "select pg_is_in_recovery(), coalesce((select status from pg_stat_wal_receiver), 'none')" 2>/dev/null || true)
    if [[ $state == 't|streaming' ]]; then return 0; fi
    if grep -q 'has already been removed' "$dir/log" 2>/dev/null; then say "the primary no longer has the WAL the replica needs"; return 1; fi
    sleep 0.2
  done
  say "replica state (in recovery|wal receiver): ${state:-no answer}"
  return 1
}

replication_allowed() {
  psql -X -A -t -q -w "host=$primary_host port=$primary_port user=$primary_user dbname=postgres replication=true" -c "IDENTIFY_SYSTEM" >/dev/null 2>&1
}

ensure_replication_allowed() {
  local wal_level senders
  wal_level=$(on_primary "show wal_level")
  senders=$(on_primary "show max_wal_senders")
  [[ $wal_level == replica || $wal_level == logical ]] || die "the primary has wal_level=$wal_level; set it to 'replica' and restart the primary (this script never restarts it)"
  ((senders > 0)) || die "the primary has max_wal_senders=0; raise it and restart the primary (this script never restarts it)"
  say "primary: wal_level=$wal_level, max_wal_senders=$senders"
  if replication_allowed; then say "primary already accepts replication connections from $primary_host"; return; fi
  local hba line='host replication all 127.0.0.1/32 trust'
  hba=$(on_primary "show hba_file")
  if grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust([[:space:]]|$)' "$hba"; then
    say "$hba already has '$line'"
  else
    [[ -w $hba ]] || die "the primary refuses replication connections and $hba is not writable by $(id -un); add '$line' to it and reload"
    say "appending '$line' to $hba"
    # A last line without its newline would run into ours.
    if [[ -s $hba && -n $(tail -c 1 "$hba") ]]; then echo >>"$hba"; fi
    printf '# added by blueprint scripts/pg-replica.sh: local streaming replicas\n%s\n' "$line" >>"$hba"
  fi
  say "reloading the primary's configuration (pg_reload_conf, no restart)"
  [[ $(on_primary "select pg_reload_conf()") == t ]] || die "pg_reload_conf() failed"
  local tries=0
  until replication_allowed; do
    ((++tries < 25)) || die "the primary still refuses replication connections from $primary_host: an earlier line of $hba rejects them (see its log)"
    sleep 0.2
  done
  say "primary accepts replication connections from $primary_host"
}

# The standby's configuration: the primary's own settings from its configuration files (so that reads
# behave alike: time zone, date style, locale; and so that max_connections and the like are at least
# the primary's, which a hot standby requires), minus what names the primary's files and sockets.
write_config() {
  local settings
  settings=$(on_primary "select name || ' = ''' || replace(setting, '''', '''''') || '''' from pg_settings
    where source in ('configuration file', 'command line') and name !~ '^(ssl|archive_|recovery_|restore_command|primary_|promote_trigger|log_directory|log_filename)'
      and name not in ('data_directory','hba_file','ident_file','config_file','external_pid_file','port','listen_addresses',
                       'unix_socket_directories','cluster_name','logging_collector','synchronous_standby_names','stats_temp_directory')
    order by name")
  {
    echo "# Written by blueprint scripts/pg-replica.sh: a hot standby of $primary_host:$primary_port."
    echo "# The primary's settings from its configuration files:"
    echo "$settings"
    echo "# The standby's own:"
    echo "port = $port"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '/tmp'"
    echo "cluster_name = 'blueprint_replica_$port'"
    echo "hot_standby = on"
    echo "logging_collector = off"
    echo "wal_receiver_status_interval = 1s"
  } >"$dir/postgresql.conf"
  printf '# Written by blueprint scripts/pg-replica.sh.\nlocal all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/pg_hba.conf"
  : >"$dir/pg_ident.conf"
  chown "$owner" "$dir/postgresql.conf" "$dir/pg_hba.conf" "$dir/pg_ident.conf" 2>/dev/null || true
  chmod 600 "$dir/postgresql.conf" "$dir/pg_hba.conf" "$dir/pg_ident.conf"
}

start_server() {
  say "starting the replica: pg_ctl -D $dir -o \"-p $port -k /tmp\" -l $dir/log start"
  local left=$((deadline - SECONDS))
  ((left > 0)) || left=1
  as_owner "$bin/pg_ctl" -D "$dir" -o "-p $port -k /tmp" -l "$dir/log" -w -t "$left" start >/dev/null ||
    { tail -n 20 "$dir/log" >&2 || true; return 1; }
}

clone() {
  remove_dir
  mkdir -p "$dir"
  chown "$owner" "$dir"
  chmod 700 "$dir"
  say "cloning the primary: pg_basebackup -h $primary_host -p $primary_port -U $primary_user -D $dir -R -X stream --checkpoint=fast"
  as_owner "$bin/pg_basebackup" -h "$primary_host" -p "$primary_port" -U "$primary_user" -D "$dir" -R -X stream --checkpoint=fast -w --label=blueprint-replica
  write_config
}

system_id_of_primary() { on_primary "select system_identifier from pg_control_system()"; }
system_id_of_dir() { LC_ALL=C as_owner "$bin/pg_controldata" -D "$dir" 2>/dev/null | sed -n 's/^Database system identifier:[[:space:]]*//p'; }

# An existing replica gets this long to stream before it is cloned afresh (seconds).
RETRY_EXISTING_S=20

do_start() {
  pg_isready -q -h "$primary_host" -p "$primary_port" || die "the primary does not answer at $primary_host:$primary_port"
  bin=$(bindir)
  [[ -x $bin/pg_basebackup ]] || die "pg_basebackup not found in $bin"
  local primary_id soon
  primary_id=$(system_id_of_primary)
  soon=$((SECONDS + RETRY_EXISTING_S < deadline ? SECONDS + RETRY_EXISTING_S : deadline))
  if running; then
    [[ $(system_id_of_dir) == "$primary_id" ]] || die "$dir runs a server that is not a copy of the primary at $primary_host:$primary_port; stop it first"
    say "replica already running at 127.0.0.1:$port ($dir)"
    ensure_replication_allowed
    if wait_streaming "$soon"; then say "replica streaming; pg_is_in_recovery() = true"; return; fi
    say "it does not stream from the primary; stopping it to clone afresh"
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
  elif pg_isready -q -h 127.0.0.1 -p "$port"; then
    die "port $port is taken by another server; pick another with --port"
  else
    ensure_replication_allowed
    if [[ -f $dir/PG_VERSION && -f $dir/standby.signal && $(system_id_of_dir) == "$primary_id" ]]; then
      say "restarting the existing replica in $dir"
      # Its earlier log must not be read as this start's failure.
      if [[ -f $dir/log ]]; then mv -f "$dir/log" "$dir/log.previous"; fi
      # No replication slot holds its WAL on the primary, which may have recycled it: then clone afresh.
      if start_server && wait_streaming "$soon"; then say "replica streaming at 127.0.0.1:$port; pg_is_in_recovery() = true"; return; fi
      say "the existing replica cannot catch up; cloning afresh"
      as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
    fi
  fi
  clone
  start_server || die "the replica did not start (see $dir/log)"
  wait_streaming || die "the replica started but does not stream from the primary within ${timeout}s (see $dir/log)"
  say "replica streaming at 127.0.0.1:$port; pg_is_in_recovery() = true"
}

do_stop() {
  bin=$(bindir 2>/dev/null) || bin=''
  if [[ -n $bin ]] && running; then
    say "stopping the replica in $dir (pg_ctl stop -m fast)"
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w -t "$timeout" stop >/dev/null
  else
    say "no replica running in $dir"
  fi
  remove_dir
  say "stopped"
}

do_status() {
  bin=$(bindir)
  if ! running; then say "not running ($dir, port $port)"; exit 3; fi
  local primary_lsn row
  primary_lsn=$(on_primary "select pg_current_wal_lsn()")
  row=$(on_replica "select pg_is_in_recovery(), coalesce((select status from pg_stat_wal_receiver), 'none'),
      pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn(),
      greatest(0, pg_wal_lsn_diff('$primary_lsn', pg_last_wal_replay_lsn())),
      coalesce(round(extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::text, 'none'),
      pg_is_wal_replay_paused()") || die "the replica does not answer at 127.0.0.1:$port"
  local recovery receiver received replayed bytes since paused
  IFS='|' read -r recovery receiver received replayed bytes since paused <<<"$row"
  local sender
  sender=$(on_primary "select coalesce(state, '') || '|' || coalesce(round(extract(epoch from replay_lag) * 1000)::text, 'none')
      from pg_stat_replication where application_name = 'blueprint_replica_$port'" || true)
  echo "replica:               127.0.0.1:$port ($dir)"
  echo "in recovery:           $recovery"
  echo "wal receiver:          $receiver"
  echo "replay paused:         $paused"
  echo "primary WAL position:  $primary_lsn"
  echo "received / replayed:   $received / $replayed"
  echo "replay lag:            $bytes bytes behind the primary's position above"
  if [[ $since == none ]]; then since='none since the replica started'; else since="$since ms ago (grows while the primary is idle: not a lag by itself)"; fi
  echo "last replayed commit:  $since"
  echo "primary's view:        ${sender:-no WAL sender for blueprint_replica_$port} (state|replay_lag ms)"
}

exec 9>"/tmp/pg-replica-$port.lock"
chmod 666 "/tmp/pg-replica-$port.lock" 2>/dev/null || true
flock -w "$timeout" 9 || die "another pg-replica.sh holds /tmp/pg-replica-$port.lock"
"do_$action"
