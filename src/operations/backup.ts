import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, copyFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import * as tar from 'tar';
import { backupSqliteFile, sqliteFileInUse, sqliteQuickCheck } from '../platform/sql/sqlite/sqlite-files.js';

/** What a backup holds, written into it as `MANIFEST.json`. */
export interface BackupManifest {
  format: 'blueprint-data-dir';
  version: 1;
  createdAt: string;
  /** Paths relative to the data directory, `/`-separated; databases are consistent online copies. */
  files: { path: string; bytes: number; sha256: string; database: boolean }[];
}

const MANIFEST = 'MANIFEST.json';
/** A database's side files: its copy already holds their committed content. */
const SIDE_FILE = /\.(db|sqlite)-(wal|shm|journal)$/;
const DATABASE = /\.(db|sqlite)$/;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function walk(dir: string, root = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return walk(path, root);
    return e.isFile() ? [relative(root, path)] : [];
  });
}

const toPosix = (p: string) => p.split(sep).join('/');

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The embedded databases of a data directory (`*.db` files, at any depth). */
export function databasesIn(dataDir: string): string[] {
  return walk(dataDir).filter((p) => DATABASE.test(p));
}

/** The databases of `dataDir` that a process has open now (a server, a CLI command). */
export function databasesInUse(dataDir: string): string[] {
  return databasesIn(dataDir).filter((p) => sqliteFileInUse(join(dataDir, p)));
}

/**
 * Writes a backup of the data directory to `file` (a gzipped tar) while a server may be running on
 * it: each SQLite database through SQLite's online backup (a consistent copy as of one moment; the
 * databases are copied one after another, so each is consistent on its own, as the processes that
 * write them are), every other file (generated secrets, signing keys) as it is, and a manifest with
 * sizes and SHA-256 digests that restore verifies. The archive appears under its name only once
 * complete and synced.
 */
export async function backupDataDir(dataDir: string, file: string): Promise<BackupManifest> {
  const source = resolve(dataDir);
  if (!existsSync(source)) throw new Error(`DATA_DIR ${source} does not exist: nothing to back up`);
  const target = resolve(file);
  if (target.startsWith(source + sep)) throw new Error(`the backup file must be outside DATA_DIR (${source})`);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.staging-`));
  try {
    const files: BackupManifest['files'] = [];
    for (const path of walk(source)) {
      if (SIDE_FILE.test(path) || path.includes('.restore-') || path.endsWith('.tmp')) continue;
      const to = join(staging, path);
      mkdirSync(dirname(to), { recursive: true });
      const database = DATABASE.test(path);
      if (database) await backupSqliteFile(join(source, path), to);
      else copyFileSync(join(source, path), to);
      files.push({ path: toPosix(path), bytes: statSync(to).size, sha256: sha256(to), database });
    }
    const manifest: BackupManifest = { format: 'blueprint-data-dir', version: 1, createdAt: new Date().toISOString(), files };
    writeFileSync(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const partial = `${target}.tmp`;
    await tar.create({ gzip: true, file: partial, cwd: staging, portable: true }, [MANIFEST, ...files.map((f) => f.path)]);
    fsyncFile(partial);
    renameSync(partial, target);
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Why a restore was refused: the exit code and message say what to do. */
export class RestoreRefused extends Error {}

/**
 * Restores a backup into `dataDir`. Refuses while any process has one of its databases open (stop
 * the server first), and onto a directory that holds files unless `force`, in which case the old
 * contents are kept beside it (`<dataDir>.before-restore-<time>`), never deleted. The archive is
 * unpacked next to the target, checked against its manifest (digests, `quick_check` of every
 * database), and only then renamed into place.
 */
export async function restoreDataDir(file: string, dataDir: string, options: { force?: boolean } = {}): Promise<{ manifest: BackupManifest; previous: string | undefined }> {
  const target = resolve(dataDir);
  const archive = resolve(file);
  if (!existsSync(archive)) throw new RestoreRefused(`${archive} does not exist`);
  const inUse = databasesInUse(target);
  if (inUse.length > 0) throw new RestoreRefused(`${inUse.join(', ')} in ${target} ${inUse.length === 1 ? 'is' : 'are'} open in a running process: stop the server (and any blueprint command) first`);
  const occupied = existsSync(target) && readdirSync(target).length > 0;
  if (occupied && options.force !== true) throw new RestoreRefused(`${target} is not empty: restore into an empty directory, or pass --force to move its contents aside`);

  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(`${target}.restore-`);
  try {
    await tar.extract({ file: archive, cwd: staging, strict: true });
    const manifestPath = join(staging, MANIFEST);
    if (!existsSync(manifestPath)) throw new RestoreRefused(`${archive} is not a blueprint backup (no ${MANIFEST})`);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
    if (manifest.format !== 'blueprint-data-dir' || manifest.version !== 1) throw new RestoreRefused(`${archive}: unknown backup format`);
    for (const f of manifest.files) {
      const path = join(staging, f.path);
      if (!resolve(path).startsWith(staging + sep) || !existsSync(path)) throw new RestoreRefused(`${archive} lacks ${f.path}`);
      if (sha256(path) !== f.sha256) throw new RestoreRefused(`${f.path} in ${archive} is damaged (SHA-256 differs from the manifest)`);
      if (f.database && sqliteQuickCheck(path) !== 'ok') throw new RestoreRefused(`${f.path} in ${archive} fails quick_check`);
    }
    rmSync(manifestPath);
    let previous: string | undefined;
    if (existsSync(target)) {
      if (occupied) {
        previous = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        renameSync(target, previous);
      } else rmSync(target, { recursive: true });
    }
    renameSync(staging, target);
    return { manifest, previous };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
