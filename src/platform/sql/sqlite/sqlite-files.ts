import Database from 'better-sqlite3';

/**
 * Copies the SQLite database `source` to `destination` while other connections, in this process
 * or others, keep reading and writing it (SQLite's online backup API). The copy is the database as
 * of one moment: after the first step, the rest is copied in a single step, inside one read
 * transaction, so a write in between restarts the copy at most once and it never chases writers.
 * Resolves once `destination` is complete; checks it (`quick_check`) before resolving.
 */
export async function backupSqliteFile(source: string, destination: string): Promise<{ pages: number }> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(destination, { progress: ({ totalPages: total }) => Math.max(total, 1) });
    const copy = new Database(destination, { readonly: true, fileMustExist: true });
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy of ${source} fails quick_check: ${String(check)}`);
    } finally {
      copy.close();
    }
    return { pages: totalPages };
  } finally {
    db.close();
  }
}

/**
 * Whether another connection (any process) has the SQLite database `filename` open: asking for an
 * exclusive lock without waiting fails while anyone else holds it, even idle (in WAL mode every open
 * connection holds a shared lock on the WAL index). A file that does not exist is not in use.
 */
export function sqliteFileInUse(filename: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(filename, { fileMustExist: true, timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return false;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return true;
    if (code === 'SQLITE_CANTOPEN') return false;
    throw error;
  } finally {
    db?.close();
  }
}

/** `PRAGMA quick_check` of a database file that nobody uses: 'ok' or what is wrong. */
export function sqliteQuickCheck(filename: string): string {
  const db = new Database(filename, { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('quick_check', { simple: true }));
  } finally {
    db.close();
  }
}
