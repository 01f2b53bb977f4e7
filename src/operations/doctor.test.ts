import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICES, shouldRun } from '../../test/helpers/services.js';
import { formatDoctorReport, nodeSatisfies, runDoctor, type Check } from './doctor.js';

const dir = mkdtempSync(join(tmpdir(), 'blueprint-doctor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers = (await shouldRun('postgres')) && (await shouldRun('redis')) && (await shouldRun('rabbitmq'));
const failures = (checks: Check[]) => checks.filter((c) => c.status === 'fail');

describe('nodeSatisfies', () => {
  it('reads the engines forms: ^major[.minor] and >=major', () => {
    const range = '^20.19 || ^22.13 || ^24 || >=26';
    for (const v of ['20.19.0', '20.20.2', '22.13.1', '24.0.0', '24.22.3', '26.12.1', '27.0.0']) expect(nodeSatisfies(v, range), v).toBe(true);
    for (const v of ['18.20.0', '20.12.0', '22.12.0', '23.11.0', '25.1.0', '21.0.0']) expect(nodeSatisfies(v, range), v).toBe(false);
  });
});

describe('blueprint doctor', () => {
  it('passes an embedded setup and says so', async () => {
    const checks = await runDoctor({ DATA_DIR: join(dir, 'good') }, '24.22.3');
    expect(failures(checks)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual(['node', 'config', 'data dir', 'disk', 'database', 'redis', 'queue', 'public url', 'metrics']);
    expect(checks.every((c) => c.status === 'ok')).toBe(true);
    expect(formatDoctorReport(checks)).toMatch(/Ready to start\.\n$/);
  });

  it('names each problem of a broken setup and what to do about it', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    const checks = await runDoctor({ DATA_DIR: file, REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'postgres://u:secret@127.0.0.1:1/db', HOST: '0.0.0.0' }, '18.20.0');
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.node).toMatchObject({ status: 'fail', fix: expect.stringContaining('Node 24') });
    expect(byName['data dir']).toMatchObject({ status: 'fail', detail: expect.stringContaining('is a file') });
    expect(byName.redis).toMatchObject({ status: 'fail', detail: expect.stringContaining('ECONNREFUSED'), fix: expect.stringContaining('REDIS_URL') });
    expect(byName.database).toMatchObject({ status: 'fail', fix: expect.stringContaining('DATABASE_URL') });
    expect(byName.database!.detail).not.toContain('secret');
    expect(byName.metrics).toMatchObject({ status: 'warn', fix: expect.stringContaining('METRICS_TOKEN') });
    expect(byName['public url']).toMatchObject({ status: 'warn' });
    const report = formatDoctorReport(checks);
    expect(report).toContain('fix: start Redis');
    expect(report).toMatch(/4 problem\(s\) to fix before starting/);
  });

  it('lists every invalid variable at once and stops there', async () => {
    const checks = await runDoctor({ DATA_DIR: dir, PORT: 'eighty', RATE_LIMIT_GLOBAL: 'fast please' }, '24.0.0');
    expect(failures(checks).map((c) => c.detail)).toEqual([expect.stringContaining('PORT'), expect.stringContaining('RATE_LIMIT_GLOBAL')]);
    expect(checks.map((c) => c.name)).toEqual(['node', 'config', 'config']);
  });

  it.runIf(servers)('reaches the configured PostgreSQL, Redis and RabbitMQ', async () => {
    const checks = await runDoctor({ DATA_DIR: join(dir, 'scaled'), DATABASE_URL: SERVICES.postgres, REDIS_URL: SERVICES.redis, AMQP_URL: SERVICES.rabbitmq }, '24.0.0');
    expect(failures(checks)).toEqual([]);
    expect(checks.filter((c) => ['database', 'redis', 'queue'].includes(c.name)).map((c) => c.detail)).toEqual([
      expect.stringContaining('PostgreSQL answers'),
      expect.stringContaining('Redis answers'),
      expect.stringContaining('RabbitMQ answers'),
    ]);
  });
});
