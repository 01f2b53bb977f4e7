import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDataDir } from './helpers/test-app.js';
import { startServerProcess } from './helpers/server-process.js';

describe('crash safety', () => {
  it('keeps every link whose creation was answered 201 when the process is killed mid-load', async () => {
    const dataDir = tempDataDir();
    try {
      const first = await startServerProcess({ DATA_DIR: dataDir });
      const created: { code: string; url: string }[] = [];
      let stop = false;
      const loop = async (worker: number) => {
        for (let i = 0; !stop && i < 10_000; i++) {
          const url = `https://example.com/${worker}/${i}`;
          try {
            const res = await fetch(`${first.baseUrl}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }) });
            if (res.status === 201) created.push({ code: ((await res.json()) as { code: string }).code, url });
          } catch {
            return; // the server is gone
          }
        }
      };
      const loops = Array.from({ length: 16 }, (_, w) => loop(w));
      const deadline = Date.now() + 15_000;
      while (created.length < 400 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      stop = true;
      await Promise.all(loops);
      expect(created.length).toBeGreaterThanOrEqual(400);

      const second = await startServerProcess({ DATA_DIR: dataDir });
      try {
        const missing: string[] = [];
        for (let i = 0; i < created.length; i += 50) {
          await Promise.all(created.slice(i, i + 50).map(async ({ code, url }) => {
            const res = await fetch(`${second.baseUrl}/${code}`, { redirect: 'manual' });
            if (res.status !== 302 || res.headers.get('location') !== url) missing.push(code);
          }));
        }
        expect(missing).toEqual([]);
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
