import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors/index.js';
import { webappRoutes } from './webapp.routes.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function serve(files: Record<string, string | Buffer>) {
  const dir = mkdtempSync(join(tmpdir(), 'blueprint-web-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) => reply.code(error instanceof AppError ? error.status : 500).send({ code: error instanceof AppError ? error.code : 'internal' }));
  await app.register(webappRoutes, { dir });
  return app;
}

describe('web app routes', () => {
  it('serves hashed assets for a year (immutable) and the page revalidated on every load', async () => {
    const app = await serve({
      'index.html': '<!doctype html><script type="module" src="/assets/index-AbCdEf12.js"></script>',
      'assets/index-AbCdEf12.js': 'console.log(1)',
      'assets/index-AbCdEf12.js.br': brotliCompressSync('console.log(1)'),
    });
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject({ url: '/assets/index-AbCdEf12.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log(1)');
    expect((await app.inject({ url: '/assets/missing-00000000.js' })).statusCode).toBe(404);
    // The build's precompressed copy goes to clients that accept it, still immutable.
    const br = await app.inject({ url: '/assets/index-AbCdEf12.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['vary']).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.rawPayload).toEqual(brotliCompressSync('console.log(1)'));
    expect((await app.inject({ url: '/assets/index-AbCdEf12.js', headers: { 'accept-encoding': 'identity' } })).body).toBe('console.log(1)');
    expect((await app.inject({ url: '/assets/../index.html' })).statusCode).not.toBe(200);
    await app.close();
  });

  it('says the app is not built instead of serving nothing', async () => {
    const app = await serve({});
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.json()).toEqual({ code: 'unavailable' });
    expect((await app.inject({ url: '/assets/index-AbCdEf12.js' })).statusCode).toBe(404);
    await app.close();
  });
});
