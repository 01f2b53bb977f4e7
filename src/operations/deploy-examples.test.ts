import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { servicesRequired } from '../../test/helpers/services.js';
import { nginxSite, systemdUnit } from './deploy-examples.js';

const run = promisify(execFile);
const NGINX = '/usr/sbin/nginx';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const dir = mkdtempSync(join(tmpdir(), 'blueprint-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('systemd unit', () => {
  const config = loadConfig({ DATA_DIR: './data', SHUTDOWN_TIMEOUT_MS: '20000', DATABASE_URL: 'postgres://u@db/x' });
  const unit = systemdUnit(config, { workingDirectory: '/opt/blueprint', node: process.execPath, user: 'blueprint', environmentFile: '/etc/blueprint/blueprint.env' });

  it('runs the built server as its user, checks first, waits the graceful shutdown out, writes only DATA_DIR', () => {
    expect(unit).toContain(`ExecStart=${process.execPath} dist/server.js`);
    expect(unit).toContain(`ExecStartPre=${process.execPath} dist/cli.js doctor --quiet`);
    expect(unit).toContain('User=blueprint');
    expect(unit).toContain('EnvironmentFile=/etc/blueprint/blueprint.env');
    expect(unit).toContain('TimeoutStopSec=25');
    expect(unit).toContain('ReadWritePaths=/opt/blueprint/data');
    expect(unit).toContain('ProtectSystem=strict');
    expect(unit).toMatch(/^After=network-online\.target postgresql\.service$/m);
  });

  it.runIf(existsSync(SYSTEMD_ANALYZE))('passes systemd-analyze verify', async () => {
    const file = join(dir, 'blueprint.service');
    writeFileSync(file, systemdUnit(config, { workingDirectory: dir, node: process.execPath, user: 'root', environmentFile: join(dir, 'env') }));
    const { stderr } = await run(SYSTEMD_ANALYZE, ['verify', file]);
    expect(stderr).not.toMatch(/blueprint\.service/);
  });
});

describe('nginx site', () => {
  const config = loadConfig({ PUBLIC_URL: 'https://sho.rt', PORT: '8080' });
  const site = nginxSite(config);

  it('redirects HTTP, ends TLS for the public host, proxies to loopback, streams unbuffered, refuses /metrics', () => {
    expect(site).toContain('server_name sho.rt;');
    expect(site).toContain('return 301 https://$host$request_uri;');
    expect(site).toContain('ssl_certificate /etc/letsencrypt/live/sho.rt/fullchain.pem;');
    expect(site).toContain('server 127.0.0.1:8080;');
    expect(site).toMatch(/location = \/api\/v1\/stream \{[^}]*proxy_buffering off;/);
    expect(site).toMatch(/location = \/metrics \{[^}]*return 403 '\{[^']*"code":"metrics_forbidden"/);
    expect(site).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  });

  it.runIf(existsSync(NGINX) || servicesRequired)('passes nginx -t', async () => {
    const pems = await generate([{ name: 'commonName', value: 'sho.rt' }], { keyType: 'ec', algorithm: 'sha256', notAfterDate: new Date(Date.now() + 86_400_000) });
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private);
    writeFileSync(join(dir, 'site.conf'), nginxSite(config, { certificate: join(dir, 'cert.pem'), certificateKey: join(dir, 'key.pem') }));
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path tmp/${t};`).join(' ');
    writeFileSync(join(dir, 'nginx.conf'), `pid nginx.pid;\nerror_log stderr warn;\nevents {}\nhttp {\n${temp}\ninclude site.conf;\n}\n`);
    const { stderr } = await run(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')]);
    expect(stderr).toContain('test is successful');
  });
});
