import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES, serviceAnswers } from '../../../../../test/helpers/services.js';

/**
 * The streaming replica of the machine's PostgreSQL that the replica suites read from, run by
 * `scripts/pg-replica.sh`. The suites start it (idempotently) and leave it running for later runs
 * and suites: starting one takes a base backup, stopping it in one run would pull it from under a
 * concurrent run. `scripts/pg-replica.sh stop` removes it. Port and directory from
 * BLUEPRINT_REPLICA_PORT (5433) and BLUEPRINT_REPLICA_DIR (/var/tmp/blueprint-replica).
 */
export const REPLICA = {
  port: Number(process.env.BLUEPRINT_REPLICA_PORT ?? 5433),
  dir: process.env.BLUEPRINT_REPLICA_DIR ?? '/var/tmp/blueprint-replica',
} as const;

/** The primary's URL (SERVICES.postgres) pointed at the replica. */
export const REPLICA_URL = ((): string => {
  const url = new URL(SERVICES.postgres);
  url.port = String(REPLICA.port);
  return url.toString();
})();

const SCRIPT = fileURLToPath(new URL('../../../../../scripts/pg-replica.sh', import.meta.url));
const START_TIMEOUT_S = 60;

function findBinary(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter);
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Why a replica cannot be set up here, or undefined when it can. */
export async function replicaUnavailableReason(): Promise<string | undefined> {
  const primary = new URL(SERVICES.postgres);
  if (!(await serviceAnswers('postgres'))) return `no PostgreSQL answers at ${primary.host}`;
  if (!['127.0.0.1', 'localhost'].includes(primary.hostname)) return `the primary ${primary.host} is not this machine's`;
  for (const binary of ['pg_basebackup', 'pg_ctl', 'psql']) {
    if (findBinary(binary) === undefined) return `${binary} is not installed`;
  }
  return undefined;
}

/** Runs `scripts/pg-replica.sh <action>` against SERVICES.postgres; resolves with its output. */
export function replicaScript(action: 'start' | 'stop' | 'status', timeoutS = START_TIMEOUT_S): Promise<string> {
  const primary = new URL(SERVICES.postgres);
  const env = {
    ...process.env,
    PRIMARY_HOST: primary.hostname,
    PRIMARY_PORT: primary.port || '5432',
    PRIMARY_USER: decodeURIComponent(primary.username) || 'postgres',
  };
  const args = [action, '--port', String(REPLICA.port), '--dir', REPLICA.dir, '--timeout', String(timeoutS)];
  return new Promise((resolve, reject) => {
    // The script bounds its own waits; this bounds the script.
    execFile(SCRIPT, args, { env, timeout: (timeoutS + 10) * 1000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`scripts/pg-replica.sh ${action} failed (${error.message.split('\n')[0]}):\n${stdout}${stderr}`));
    });
  });
}
