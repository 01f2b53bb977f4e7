import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqlite } from './sqlite-database.js';
import { WalCheckpointer } from './wal-checkpointer.js';

// Through SqliteDatabase (when it starts, what it checkpoints, close): sqlite-database.test.ts.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('WalCheckpointer', () => {
  it('a thread that dies (here: on a file that is no database) turns the connection’s own checkpoints back on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blueprint-ckpt-'));
    const filename = join(dir, 'not.db');
    writeFileSync(filename, 'not a database, only text long enough for SQLite to read it as a header');
    const db = openSqlite({ filename: join(dir, 'real.db') });
    const dying = new WalCheckpointer(filename, { intervalMs: 10, startAfterSyncs: 2, setAutocheckpoint: (pages) => db.pragma(`wal_autocheckpoint = ${pages}`) });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => void db.close(), () => dying.close());
    dying.noteSync();
    expect(dying.running).toBe(false);
    dying.noteSync();
    expect(dying.running).toBe(true);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await vi.waitFor(() => expect(dying.running).toBe(false), { timeout: 5_000 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
