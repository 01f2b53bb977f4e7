import { connect } from 'node:http2';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/test-app.js';

describe('TLS termination', () => {
  let t: TestApp;
  let cert: string;
  let base: string;
  const dir = mkdtempSync(join(tmpdir(), 'blueprint-tls-'));
  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 86_400_000),
      extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    cert = pems.cert;
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private);
    t = await startTestApp({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem'), PUBLIC_URL: 'https://localhost' });
    base = await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS over HTTP/1.1 with HSTS, trusting only the generated certificate', async () => {
    expect(base.startsWith('https://')).toBe(true);
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${base}/healthz`, { ca: cert, servername: 'localhost' }, (r) => {
        let body = '';
        r.on('data', (c) => (body += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    await expect(new Promise((resolve, reject) => request(`${base}/healthz`, (r) => resolve(r.statusCode)).on('error', reject).end())).rejects.toThrow(/self-signed|certificate/i);
  });

  it('speaks HTTP/2 and creates and follows a link over it', async () => {
    const session = connect(base, { ca: cert, servername: 'localhost' });
    const call = (headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const stream = session.request(headers);
        let data = '';
        let head: Record<string, unknown> = {};
        stream.on('response', (h) => (head = h));
        stream.on('data', (c) => (data += c));
        stream.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: data }));
        stream.on('error', reject);
        stream.end(body);
      });
    try {
      const created = await call({ ':method': 'POST', ':path': '/api/v1/links', 'content-type': 'application/json' }, JSON.stringify({ url: 'https://example.com/h2' }));
      expect(created.status).toBe(201);
      const { code, shortUrl } = JSON.parse(created.body);
      expect(shortUrl).toBe(`https://localhost/${code}`);
      const go = await call({ ':method': 'GET', ':path': `/${code}` });
      expect(go.status).toBe(302);
      expect(go.headers.location).toBe('https://example.com/h2');
    } finally {
      session.close();
    }
  });
});
