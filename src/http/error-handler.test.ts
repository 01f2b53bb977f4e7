import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toAppError } from './error-handler.js';

describe('toAppError', () => {
  it('answers 503 with Retry-After when the database stays locked, 500 for other failures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'busy-'));
    const [a, b] = [new Database(join(dir, 'x.db')), new Database(join(dir, 'x.db'))];
    try {
      a.exec('create table t (x)');
      b.pragma('busy_timeout = 0');
      a.exec('begin immediate');
      let busy: unknown;
      try {
        b.exec('begin immediate');
      } catch (error) {
        busy = error;
      }
      const mapped = toAppError(busy as Error);
      expect(mapped.status).toBe(503);
      expect(mapped.code).toBe('overloaded');
      expect(mapped.headers).toEqual({ 'retry-after': '1' });
      expect(toAppError(new Error('boom')).status).toBe(500);
    } finally {
      a.close();
      b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
