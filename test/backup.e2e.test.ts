import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { tempDataDir } from './helpers/test-app.js';

const run = promisify(execFile);
// The servers of this test are embedded ones whatever the environment says (each CLI run starts tsx: seconds).
const EMBEDDED = { DATABASE_URL: '', REDIS_URL: '', AMQP_URL: '' };
const cli = (dataDir: string, ...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, ...EMBEDDED, DATA_DIR: dataDir } });
const MAX_WRITES = 5_000;
const MAX_WRITE_MS = 60_000;

async function stop(server: ServerProcess): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

describe('blueprint backup and restore', () => {
  const root = tempDataDir();
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('backs up a running server taking writes; the restore holds every write acknowledged before the backup began', async () => {
    const live = join(root, 'live');
    const server = await startServerProcess({ DATA_DIR: live, SQLITE_SYNCHRONOUS: 'normal', ...EMBEDDED });
    const acknowledged: { code: string; at: number }[] = [];
    let writing = true;
    const writer = (async () => {
      const deadline = Date.now() + MAX_WRITE_MS;
      for (let i = 0; writing && i < MAX_WRITES && Date.now() < deadline; i++) {
        const res = await fetch(`${server.baseUrl}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `https://example.com/${i}` }) });
        if (res.status !== 201) throw new Error(`create answered ${res.status}: ${await res.text()}`);
        acknowledged.push({ code: ((await res.json()) as { code: string }).code, at: Date.now() });
      }
    })();
    try {
      while (acknowledged.length < 50) await new Promise((r) => setTimeout(r, 20));
      const file = join(root, 'backups', 'one.tar.gz');
      const started = Date.now();
      const backedUp = await cli(live, 'backup', file);
      writing = false;
      await writer;
      const summary = JSON.parse(backedUp.stdout) as { databases: string[]; files: number };
      expect(summary.databases.sort()).toEqual(['blueprint.db', 'queue.db']);
      expect(readdirSync(join(root, 'backups'))).toEqual(['one.tar.gz']);
      const before = acknowledged.filter((w) => w.at < started);
      expect(acknowledged.length).toBeGreaterThan(before.length); // writes went on during the backup

      await expect(cli(live, 'restore', file)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('open in a running process') });

      const restored = join(root, 'restored');
      const restoredOut = await cli(restored, 'restore', file);
      expect(JSON.parse(restoredOut.stdout)).toMatchObject({ restored, previous: null });
      const second = await startServerProcess({ DATA_DIR: restored, SQLITE_SYNCHRONOUS: 'normal', ...EMBEDDED });
      try {
        const missing: string[] = [];
        for (const w of before) {
          const res = await fetch(`${second.baseUrl}/api/v1/links/${w.code}`);
          if (res.status !== 200) missing.push(`${w.code}: ${res.status}`);
        }
        expect(missing).toEqual([]);
        // And the restored server takes writes of its own.
        const created = await fetch(`${second.baseUrl}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.com/after' }) });
        expect(created.status).toBe(201);
      } finally {
        await stop(second);
      }
    } finally {
      writing = false;
      await writer.catch(() => {});
      await stop(server);
    }
  }, 180_000);

  it('refuses a non-empty directory unless forced, then keeps the old contents aside', async () => {
    const source = join(root, 'source');
    mkdirSync(join(source, 'secrets'), { recursive: true });
    writeFileSync(join(source, 'secrets', 'key-secret'), 'k'.repeat(32));
    const file = join(root, 'small.tar.gz');
    await cli(source, 'backup', file);

    const target = join(root, 'occupied');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'mine.txt'), 'keep me');
    await expect(cli(target, 'restore', file)).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--force') });
    expect(readdirSync(target)).toEqual(['mine.txt']);

    const forced = JSON.parse((await cli(target, 'restore', file, '--force')).stdout) as { previous: string };
    expect(readdirSync(target)).toEqual(['secrets']);
    expect(existsSync(join(forced.previous, 'mine.txt'))).toBe(true);
  }, 90_000);

  it('refuses what is not a backup, and a damaged one', async () => {
    const junk = join(root, 'junk.tar.gz');
    writeFileSync(junk, 'not an archive');
    await expect(cli(join(root, 'nowhere'), 'restore', junk)).rejects.toMatchObject({ code: expect.any(Number) });
    expect(existsSync(join(root, 'nowhere'))).toBe(false);
    await expect(cli(join(root, 'nowhere'), 'restore', join(root, 'absent.tar.gz'))).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('does not exist') });
  }, 90_000);
});
