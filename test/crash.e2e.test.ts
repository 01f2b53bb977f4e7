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

  it('keeps every acknowledged tweet in every active follower\'s home exactly once when killed during a burst of posts and follows', async () => {
    const dataDir = tempDataDir();
    const env = { DATA_DIR: dataDir, JWT_ISSUER: 'http://crash.test', RATE_LIMIT_AUTH: 'off', PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', ACCESS_TOKEN_TTL_SECONDS: '3600' };
    const USERS = 24;
    type User = { name: string; token: string };
    const call = (base: string, user: User, method: string, path: string, body?: object) =>
      fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${user.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    try {
      const first = await startServerProcess(env);
      const users: User[] = [];
      for (let i = 0; i < USERS; i++) {
        const name = `crash_${i}`;
        const res = await fetch(`${first.baseUrl}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, email: `${name}@example.com`, password: `crash test password ${i}` }) });
        expect(res.status).toBe(201);
        users.push({ name, token: ((await res.json()) as { accessToken: string }).accessToken });
      }
      // A ring of follows, then every home read once: everyone is active and has a cached timeline.
      for (let i = 0; i < USERS; i++) for (const d of [1, 2, 3]) await call(first.baseUrl, users[i]!, 'PUT', `/api/v1/users/${users[(i + d) % USERS]!.name}/follow`);
      for (const u of users) await (await call(first.baseUrl, u, 'GET', '/api/v1/timeline/home')).arrayBuffer();

      const acknowledged = new Set<string>();
      let stop = false;
      const loop = async (worker: number) => {
        for (let i = 0; !stop && i < 10_000; i++) {
          const user = users[(worker * 7 + i) % USERS]!;
          try {
            if (i % 5 === 4) {
              await (await call(first.baseUrl, user, 'PUT', `/api/v1/users/${users[(worker + i) % USERS]!.name}/follow`)).arrayBuffer();
              continue;
            }
            const res = await call(first.baseUrl, user, 'POST', '/api/v1/tweets', { text: `burst ${worker}.${i}` });
            if (res.status === 201) acknowledged.add(((await res.json()) as { id: string }).id);
          } catch {
            return; // the server is gone
          }
        }
      };
      const loops = Array.from({ length: 12 }, (_, w) => loop(w));
      const deadline = Date.now() + 15_000;
      while (acknowledged.size < 600 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');
      stop = true;
      await Promise.all(loops);
      expect(acknowledged.size).toBeGreaterThanOrEqual(600);

      const second = await startServerProcess(env);
      try {
        /** Each user's whole home timeline, every page, and whom they follow now. */
        const check = async (mustHave: Set<string>) => {
          for (const user of users) {
            const following = new Set<string>([user.name]);
            for (let cursor: string | null = null, n = 0; n === 0 || cursor !== null; n++) {
              const res = await call(second.baseUrl, user, 'GET', `/api/v1/users/${user.name}/following?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`);
              expect(res.status, await res.clone().text()).toBe(200);
              const page = (await res.json()) as { items: { username: string }[]; nextCursor: string | null };
              for (const u of page.items) following.add(u.username);
              cursor = page.nextCursor;
            }
            const seen: { id: string; author: string }[] = [];
            for (let cursor: string | null = null, n = 0; n === 0 || cursor !== null; n++) {
              const page = (await (await call(second.baseUrl, user, 'GET', `/api/v1/timeline/home?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`)).json()) as { items: { id: string; author: string }[]; nextCursor: string | null };
              seen.push(...page.items);
              cursor = page.nextCursor;
            }
            expect(new Set(seen.map((t) => t.id)).size, `${user.name}: a tweet shown twice`).toBe(seen.length);
            expect(seen.filter((t) => !following.has(t.author)), `${user.name}: a tweet of someone not followed`).toEqual([]);
            const ids = new Set(seen.map((t) => t.id));
            const missing = [...mustHave].filter((id) => following.has(tweetAuthors.get(id)!) && !ids.has(id));
            expect(missing, `${user.name}: acknowledged tweets missing`).toEqual([]);
          }
        };
        const tweetAuthors = new Map<string, string>();
        for (const id of acknowledged) {
          const res = await fetch(`${second.baseUrl}/api/v1/tweets/${id}`);
          expect(res.status, `acknowledged tweet ${id} lost`).toBe(200);
          tweetAuthors.set(id, ((await res.json()) as { author: string }).author);
        }
        await check(acknowledged);
        // After the restart: fan-out from the reloaded follower graph into the rebuilt timelines.
        for (let i = 0; i < USERS; i += 3) {
          const res = await call(second.baseUrl, users[i]!, 'POST', '/api/v1/tweets', { text: `after restart ${i}` });
          const { id, author } = (await res.json()) as { id: string; author: string };
          acknowledged.add(id);
          tweetAuthors.set(id, author);
        }
        await check(acknowledged);
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
