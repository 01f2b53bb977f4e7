import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { RestoreRefused, backupDataDir, restoreDataDir } from './backup.js';

/** `blueprint backup <file>`: a consistent copy of DATA_DIR, taken while the server runs. */
export async function backupCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true });
  if (positionals.length !== 1) {
    process.stderr.write('usage: blueprint backup <file.tar.gz>\n');
    return 2;
  }
  const config = loadConfig();
  const started = Date.now();
  const manifest = await backupDataDir(config.DATA_DIR, positionals[0]!);
  const bytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
  process.stdout.write(`${JSON.stringify({ file: positionals[0], files: manifest.files.length, databases: manifest.files.filter((f) => f.database).map((f) => f.path), bytes, ms: Date.now() - started })}\n`);
  if (config.DATABASE_URL !== undefined) process.stderr.write('DATABASE_URL is set: the tables live in PostgreSQL, back them up with pg_dump; this file holds DATA_DIR only.\n');
  if (config.AMQP_URL !== undefined) process.stderr.write('AMQP_URL is set: queued messages live in RabbitMQ, not in this file.\n');
  return 0;
}

/** `blueprint restore <file> [--force]`: puts a backup into DATA_DIR while nothing runs on it. */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { force: { type: 'boolean' } } });
  if (positionals.length !== 1) {
    process.stderr.write('usage: blueprint restore <file.tar.gz> [--force]\n');
    return 2;
  }
  const config = loadConfig();
  try {
    const { manifest, previous } = await restoreDataDir(positionals[0]!, config.DATA_DIR, { force: values.force === true });
    process.stdout.write(`${JSON.stringify({ restored: config.DATA_DIR, from: manifest.createdAt, files: manifest.files.length, previous: previous ?? null })}\n`);
    if (previous !== undefined) process.stderr.write(`The former contents of DATA_DIR are in ${previous}; remove them once the restored server looks right.\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof RestoreRefused)) throw error;
    process.stderr.write(`restore refused: ${error.message}\n`);
    return 1;
  }
}
