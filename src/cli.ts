import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config/index.js';
import { openQueue } from './composition/adapters.js';
import { openMainDatabase } from './composition/main-database.js';
import { loggerOptions } from './observability/logger.js';
import { rotateSigningKeys, setUserRole } from './modules/accounts/index.js';
import { runCluster } from './cluster/cluster.command.js';
import { nginxConfigCommand } from './cluster/nginx-config.command.js';
import { reshardCommand, shardsCommand } from './cluster/reshard.command.js';
import { backupCommand, restoreCommand } from './operations/backup.command.js';
import { doctorCommand, nginxSiteCommand, systemdUnitCommand } from './operations/operations.command.js';

const USAGE = `Usage: blueprint <command> [options]   (reads the same environment as the server)

  start [--role gateway|api|worker ...]    run a server with these roles (default: ROLES, api,worker)
  doctor [--json] [--quiet]                check Node, the configuration, DATA_DIR and the servers it
                                           names; say what to fix (exit 1 when something must be)
  backup <file>                            a consistent copy of DATA_DIR (databases by SQLite's online
                                           backup) while the server runs, as a .tar.gz
  restore <file> [--force]                 put a backup into DATA_DIR; refuses while a process has its
                                           databases open, and onto a non-empty one unless --force
                                           (the old contents are moved aside, not deleted)
  systemd-unit [--out FILE] [--user NAME] [--dir DIR] [--env-file FILE]
                                           a systemd unit running this checkout's dist/server.js
  nginx-site [--out FILE] [--cert FILE] [--key FILE]
                                           an nginx site for PUBLIC_URL with TLS, in front of HOST:PORT
  cluster                                  a local deployment: gateway + 2 API + 1 worker (docs/scaled-topology.md)
  nginx-config [--out FILE] [--port N] [--static DIR] [--user NAME]
                                           an nginx.conf for the gateway's pool (GATEWAY_UPSTREAMS,
                                           GATEWAY_POLICY, RATE_LIMIT_GLOBAL...), to stdout or FILE

  shards                                   the feed's ring (FEED_SHARDS) and the rows on each shard
  reshard --add NAME [--cleanup-delay-ms N] [--batch N]
                                           put a configured shard on the ring, online: moves only
                                           the authors it takes over (tweets and likes)

  queue:stats <topic>                      ready, in flight, delayed, dead-lettered, lag
  queue:dead-letters <topic> [--limit N] [--after ID]
                                           list dead letters, oldest first, as JSON lines
  queue:replay <topic> [ID...]             put dead letters back on their topic (all when no ID)
  users:role <username> operator|user      make a registered user an operator (may read and replay dead
                                           letters over HTTP and in the console), or a user again
  auth:rotate-keys                         add a new access-token signing key under DATA_DIR; keys replaced
                                           longer ago than the access-token lifetime (+5 min) are dropped
`;

/** The operator's command line: queue inspection and dead-letter replay. */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { limit: { type: 'string' }, after: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  const [command, topic, ...ids] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'auth:rotate-keys') {
    const config = loadConfig();
    if (config.JWT_PRIVATE_KEY !== undefined) {
      process.stderr.write('JWT_PRIVATE_KEY is set: rotate it where it is configured.\n');
      return 2;
    }
    const result = await rotateSigningKeys(config.DATA_DIR, { keepMs: (config.ACCESS_TOKEN_TTL_SECONDS + 300) * 1000 });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stderr.write('Running processes pick the new key up within 10 s; tokens signed by kept keys stay valid.\n');
    return 0;
  }
  if (command === 'users:role') {
    const [username, role] = [topic, ids[0]];
    if (username === undefined || (role !== 'operator' && role !== 'user') || ids.length !== 1) {
      process.stderr.write(`Usage: users:role <username> operator|user\n`);
      return 2;
    }
    // ADMIN_USERS, removed, must not keep this command from replacing it.
    const sql = await openMainDatabase(loadConfig(process.env, { ADMIN_USERS: '' }));
    try {
      if (!(await setUserRole(sql, username, role))) {
        process.stderr.write(`No registered user "${username}": sign up first, then give the role.\n`);
        return 1;
      }
      process.stdout.write(`${JSON.stringify({ username: username.toLowerCase(), role })}\n`);
      return 0;
    } finally {
      await sql.close();
    }
  }
  if (!['queue:stats', 'queue:dead-letters', 'queue:replay'].includes(command) || topic === undefined) {
    process.stderr.write(`Unknown command or missing topic.\n\n${USAGE}`);
    return 2;
  }
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    process.stderr.write('--limit must be an integer from 1 to 1000\n');
    return 2;
  }
  const config = loadConfig();
  const queue = openQueue(config, pino(loggerOptions('warn')));
  try {
    if (command === 'queue:stats') {
      process.stdout.write(`${JSON.stringify({ topic, ...(await queue.stats(topic)) })}\n`);
    } else if (command === 'queue:dead-letters') {
      const letters = await queue.listDeadLetters(topic, { limit, ...(values.after === undefined ? {} : { after: values.after }) });
      for (const letter of letters) process.stdout.write(`${JSON.stringify(letter)}\n`);
      process.stderr.write(`${letters.length} dead letter(s)${letters.length === limit ? `; more after --after ${letters.at(-1)!.id}` : ''}\n`);
    } else {
      const replayed = await queue.replayDeadLetters(topic, ids.length > 0 ? ids : undefined);
      process.stderr.write(`${replayed} message(s) put back on ${topic}\n`);
    }
    return 0;
  } finally {
    await queue.close();
  }
}

const [first] = process.argv.slice(2);
try {
  if (first === 'doctor') {
    process.exitCode = await doctorCommand(process.argv.slice(3));
  } else if (first === 'backup') {
    process.exitCode = await backupCommand(process.argv.slice(3));
  } else if (first === 'restore') {
    process.exitCode = await restoreCommand(process.argv.slice(3));
  } else if (first === 'systemd-unit') {
    process.exitCode = systemdUnitCommand(process.argv.slice(3));
  } else if (first === 'nginx-site') {
    process.exitCode = nginxSiteCommand(process.argv.slice(3));
  } else if (first === 'nginx-config') {
    process.exitCode = nginxConfigCommand(process.argv.slice(3));
  } else if (first === 'shards') {
    process.exitCode = await shardsCommand();
  } else if (first === 'reshard') {
    process.exitCode = await reshardCommand(process.argv.slice(3));
  } else if (first === 'cluster') {
    process.exitCode = await runCluster(process.argv.slice(3));
  } else if (first === 'start') {
    // The server reads its own arguments (--role) from process.argv.
    process.argv.splice(2, 1);
    await import('./server.js');
  } else {
    process.exitCode = await main(process.argv.slice(2));
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}
