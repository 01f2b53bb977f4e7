import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { openQueue } from '../src/composition/adapters.js';
import { startTestApp, tempDataDir, waitFor } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

const run = promisify(execFile);
const cli = (dataDir: string, ...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, DATA_DIR: dataDir } });

describe('the operator command line', () => {
  it('lists dead letters and replays them onto their topic', async () => {
    const dataDir = tempDataDir();
    try {
      const queue = openQueue(loadConfig({ DATA_DIR: dataDir, QUEUE_MAX_ATTEMPTS: '1', QUEUE_POLL_INTERVAL_MS: '10' }), pino({ level: 'silent' }));
      await queue.publish('jobs', [{ key: 'k', payload: { n: 1 } }, { payload: { n: 2 } }]);
      const sub = queue.consume('jobs', async () => {
        throw new Error('handler failed');
      });
      expect(await waitFor(async () => (await queue.stats('jobs')).deadLettered === 2)).toBe(true);
      await sub.stop();
      await queue.close();

      const listed = await cli(dataDir, 'queue:dead-letters', 'jobs');
      const letters = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(letters.map((l) => l.payload)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(letters[0]).toMatchObject({ topic: 'jobs', key: 'k', lastError: 'handler failed' });

      const replayed = await cli(dataDir, 'queue:replay', 'jobs', letters[0].id);
      expect(replayed.stderr).toContain('1 message(s) put back on jobs');
      const stats = JSON.parse((await cli(dataDir, 'queue:stats', 'jobs')).stdout);
      expect(stats).toMatchObject({ topic: 'jobs', ready: 1, deadLettered: 1 });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('gives a registered user the operator role, and refuses unknown names', async () => {
    const dataDir = tempDataDir();
    const t = await startTestApp({ PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1' }, { dataDir });
    try {
      const { token } = await signUp(t, 'opslead');
      const list = () => t.runtime.app.inject({ url: '/api/v1/admin/queues/clicks/dead-letters', headers: bearer(token) });
      expect((await list()).statusCode).toBe(403);
      // ADMIN_USERS left over in the environment does not stop the command that replaces it.
      const given = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'users:role', 'OpsLead', 'operator'], { env: { ...process.env, DATA_DIR: dataDir, ADMIN_USERS: 'opslead' } });
      expect(JSON.parse(given.stdout)).toEqual({ username: 'opslead', role: 'operator' });
      expect((await list()).statusCode).toBe(200);
      await expect(cli(dataDir, 'users:role', 'nobody', 'operator')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('No registered user') });
      await expect(cli(dataDir, 'users:role', 'opslead', 'root')).rejects.toMatchObject({ code: 2 });
      await cli(dataDir, 'users:role', 'opslead', 'user');
      expect((await list()).statusCode).toBe(403);
    } finally {
      await t.close();
    }
    // Five command-line runs, each starting Node with tsx.
  }, 120_000);

  it('explains its usage and refuses bad arguments', async () => {
    const dataDir = tempDataDir();
    try {
      await expect(cli(dataDir, 'queue:nope', 'x')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: blueprint') });
      await expect(cli(dataDir, 'queue:dead-letters', 'x', '--limit', 'lots')).rejects.toMatchObject({ code: 2 });
      expect((await cli(dataDir, '--help')).stdout).toContain('queue:replay');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
