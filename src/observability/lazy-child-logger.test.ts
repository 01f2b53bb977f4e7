import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';

function capture(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  const root = pino({ level }, stream) as unknown as FastifyBaseLogger;
  return { root, lines };
}

describe('lazyChildLoggerFactory', () => {
  it('writes lines with the bound request id', async () => {
    const { root, lines } = capture();
    const log = lazyChildLoggerFactory(root, { reqId: 'r-1' }, {});
    log.info({ status: 200 }, 'request');
    log.error('failed');
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'r-1', status: 200, msg: 'request', level: 30 }),
      expect.objectContaining({ reqId: 'r-1', msg: 'failed', level: 50 }),
    ]);
  });

  it('builds no pino child when nothing is logged or the level is off', () => {
    const { root } = capture('warn');
    let children = 0;
    const original = root.child.bind(root);
    root.child = ((...a: Parameters<typeof original>) => { children++; return original(...a); }) as typeof root.child;
    const log = lazyChildLoggerFactory(root, { reqId: 'r-2' }, {});
    log.info('not at this level');
    log.debug('nor this');
    expect(children).toBe(0);
    log.warn('this one');
    log.error('and this');
    expect(children).toBe(1);
  });

  it('makes real children that keep the bindings', async () => {
    const { root, lines } = capture();
    lazyChildLoggerFactory(root, { reqId: 'r-3' }, {}).child({ part: 'x' }).info('deep');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ reqId: 'r-3', part: 'x', msg: 'deep' });
  });
});
