import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';

/*
 * Access tokens are signed with Ed25519 (JWS `EdDSA`) rather than ECDSA P-256 (`ES256`):
 * - signatures are deterministic (RFC 8032): no per-signature nonce, so no way to leak the private
 *   key through a repeated or biased nonce, the failure that broke ECDSA in the PS3 and in
 *   several wallets and libraries;
 * - one curve, one encoding: no curve parameters or point formats to validate, no invalid-curve
 *   attacks, no signature malleability to worry about;
 * - small keys (32 bytes) and signatures (64 bytes), and verification, the hot operation (every
 *   authenticated request), is fast and constant-time;
 * - supported by jose, Node's crypto and current JWT libraries.
 */

/** An Ed25519 key as kept in the key file (private JWK, RFC 8037). */
export interface StoredSigningKey {
  kid: string;
  /** Epoch ms. */
  createdAt: number;
  privateJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; d: string };
}

interface KeyFile {
  version: 1;
  /** Oldest first; the last one signs. */
  keys: StoredSigningKey[];
}

/** The public part of a key, as published in the JWKS. */
export interface PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

/** A key ready for jose. */
export interface SigningKey {
  kid: string;
  createdAt: number;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: PublicJwk;
}

/** Where generated keys live. */
export function keyFilePath(dataDir: string): string {
  return join(dataDir, 'secrets', 'jwt-keys.json');
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key: its required members in lexicographic order. */
export function jwkThumbprint(jwk: { crv: string; kty: string; x: string }): string {
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x })).digest('base64url');
}

/** A fresh Ed25519 key; its kid is its thumbprint. */
export function generateSigningKey(now: number): StoredSigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const privateJwk = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: String(jwk.x), d: String(jwk.d) };
  return { kid: jwkThumbprint(privateJwk), createdAt: now, privateJwk };
}

function toSigningKey(privateKey: KeyObject, createdAt: number): SigningKey {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error('JWT signing keys must be Ed25519 private keys');
  }
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  const x = String(jwk.x);
  const kid = jwkThumbprint({ crv: 'Ed25519', kty: 'OKP', x });
  return { kid, createdAt, privateKey, publicKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } };
}

/** Loads a configured key (PKCS#8 PEM, as JWT_PRIVATE_KEY); its kid is its RFC 7638 thumbprint. */
export function signingKeyFromPem(pem: string): SigningKey {
  return toSigningKey(createPrivateKey({ key: pem, format: 'pem' }), 0);
}

function fromStored(stored: StoredSigningKey): SigningKey {
  // The kid is recomputed, not trusted from the file.
  return toSigningKey(createPrivateKey({ key: stored.privateJwk, format: 'jwk' }), stored.createdAt);
}

function parseKeyFile(text: string, path: string): KeyFile {
  const data = JSON.parse(text) as Partial<KeyFile>;
  if (data.version !== 1 || !Array.isArray(data.keys) || data.keys.length === 0) throw new Error(`${path}: not a key file (version 1, at least one key)`);
  for (const k of data.keys) {
    if (typeof k?.createdAt !== 'number' || typeof k.privateJwk?.d !== 'string' || typeof k.privateJwk.x !== 'string') throw new Error(`${path}: malformed key entry`);
  }
  return { version: 1, keys: [...data.keys].sort((a, b) => a.createdAt - b.createdAt) };
}

async function readKeyFile(path: string): Promise<KeyFile | null> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseKeyFile(text, path);
}

/** Writes the content to a fresh temporary file (mode 0600) beside `path` and returns its name. */
async function writeTemporary(path: string, file: KeyFile): Promise<string> {
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
    // Durable before it becomes visible under the real name.
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

/**
 * Creates the key file if there is none, race-safely: the content is written to a temporary file
 * and hard-linked to the real name, which fails with EEXIST when another process won; readers
 * never see a half-written file (the `wx` pattern of lib/secrets, made atomic).
 */
async function createKeyFile(path: string, now: number): Promise<{ file: KeyFile; created: boolean }> {
  const file: KeyFile = { version: 1, keys: [generateSigningKey(now)] };
  const tmp = await writeTemporary(path, file);
  try {
    await fs.link(tmp, path);
    return { file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readKeyFile(path);
    if (theirs === null) throw error;
    return { file: theirs, created: false };
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/** Replaces the key file atomically (rename over it). */
async function replaceKeyFile(path: string, file: KeyFile): Promise<void> {
  const tmp = await writeTemporary(path, file);
  try {
    await fs.rename(tmp, path);
  } catch (error) {
    await fs.unlink(tmp).catch(() => undefined);
    throw error;
  }
}

const STALE_LOCK_MS = 60_000;

/** Runs `work` holding `${path}.lock` (created with `wx`), so that two rotations do not lose a key. */
async function withLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let handle: fs.FileHandle | undefined;
  for (let attempt = 0; handle === undefined; attempt++) {
    try {
      handle = await fs.open(lock, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw new Error(`another key rotation holds ${lock}`, { cause: error });
      // A lock left by a crashed rotation is removed once it is clearly old.
      const age = Date.now() - (await fs.stat(lock)).mtimeMs;
      if (age < STALE_LOCK_MS) throw new Error(`another key rotation holds ${lock}`, { cause: error });
      await fs.unlink(lock).catch(() => undefined);
    }
  }
  try {
    return await work();
  } finally {
    await handle.close();
    await fs.unlink(lock).catch(() => undefined);
  }
}

/** Margin kept beyond an access token's lifetime before the key that signed it is dropped. */
export const KEY_RETENTION_MARGIN_MS = 5 * 60_000;

export interface RotateOptions {
  /**
   * How long a key is kept once a newer key has replaced it (it may have signed tokens until
   * then). Default: the access-token lifetime plus 5 minutes.
   */
  keepMs?: number;
  /** Used for the default keepMs; default 86,400 (the largest ACCESS_TOKEN_TTL_SECONDS allowed). */
  accessTokenTtlSeconds?: number;
  /** Epoch ms; default now. */
  now?: number;
}

export interface RotationResult {
  /** kid of the new signing key. */
  added: string;
  /** kids dropped. */
  removed: string[];
  /** kids kept, oldest first (the last one signs). */
  kids: string[];
}

/**
 * Adds a new signing key to `${dataDir}/secrets/jwt-keys.json` and drops the keys that were
 * replaced more than `keepMs` ago. A key is judged by when it stopped signing (the creation of
 * its successor), not by its age: the key that signed until this rotation is always kept, since
 * tokens it signed a moment ago must still verify. Running servers pick the change up by
 * themselves (they re-read the file when it changes and when a token names an unknown kid).
 */
export async function rotateSigningKeys(dataDir: string, options: RotateOptions = {}): Promise<RotationResult> {
  const now = options.now ?? Date.now();
  const keepMs = options.keepMs ?? (options.accessTokenTtlSeconds ?? 86_400) * 1000 + KEY_RETENTION_MARGIN_MS;
  if (!Number.isFinite(keepMs) || keepMs < 0) throw new RangeError('keepMs must be a non-negative number of milliseconds');
  const path = keyFilePath(dataDir);
  return withLock(path, async () => {
    const current = (await readKeyFile(path)) ?? { version: 1 as const, keys: [] };
    const fresh = generateSigningKey(Math.max(now, (current.keys.at(-1)?.createdAt ?? 0) + 1));
    const keys = [...current.keys, fresh];
    const kept = keys.filter((key, i) => {
      const replacedAt = keys[i + 1]?.createdAt;
      return replacedAt === undefined || now - replacedAt < keepMs;
    });
    await replaceKeyFile(path, { version: 1, keys: kept });
    return {
      added: fresh.kid,
      removed: keys.filter((k) => !kept.includes(k)).map((k) => k.kid),
      kids: kept.map((k) => k.kid),
    };
  });
}

export interface SigningKeysOptions {
  dataDir: string;
  /** A configured key (PKCS#8 PEM); when set, no key file is read or written. */
  signingKeyPem?: string | undefined;
  now: () => number;
  /** Told when a key is generated or the key file changes. */
  onEvent?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * How often the key file is checked for changes (rotation by another process, a key removed by
 * hand): a removed key stops verifying within this, whether or not this process signs meanwhile.
 */
const FILE_CHECK_INTERVAL_MS = 2_000;
/** How often an unknown kid may make a verifier re-read the key file. */
const UNKNOWN_KID_RELOAD_INTERVAL_MS = 1_000;

/**
 * The signing keys of this process: the newest signs, all of them verify and are published.
 * With a key file, changes made by `rotateSigningKeys` (another process) are picked up.
 */
export class SigningKeys {
  readonly #options: SigningKeysOptions;
  readonly #path: string;
  #keys: SigningKey[] = [];
  #byKid = new Map<string, SigningKey>();
  #fileMtime = 0;
  #lastFileCheck = 0;
  #lastUnknownReload = -Infinity;
  #watch: NodeJS.Timeout | undefined;

  private constructor(options: SigningKeysOptions) {
    this.#options = options;
    this.#path = keyFilePath(options.dataDir);
  }

  /** Loads the configured key, or loads (creating it on first start) the key file. */
  static async open(options: SigningKeysOptions): Promise<SigningKeys> {
    const keys = new SigningKeys(options);
    if (options.signingKeyPem !== undefined) {
      keys.#install([signingKeyFromPem(options.signingKeyPem)]);
    } else {
      let file = await readKeyFile(keys.#path);
      if (file === null) {
        const made = await createKeyFile(keys.#path, options.now());
        file = made.file;
        if (made.created) options.onEvent?.('generated a JWT signing key', { kid: file.keys.at(-1)?.kid, file: keys.#path });
      }
      keys.#install(file.keys.map(fromStored));
      keys.#fileMtime = (await fs.stat(keys.#path)).mtimeMs;
      keys.#lastFileCheck = performance.now();
      // A stat every couple of seconds; the timer does not keep the process alive.
      keys.#watch = setInterval(() => void keys.refreshIfStale(), FILE_CHECK_INTERVAL_MS).unref();
    }
    return keys;
  }

  #install(keys: SigningKey[]): void {
    this.#keys = keys;
    this.#byKid = new Map(keys.map((k) => [k.kid, k]));
  }

  /** The key that signs: the newest. */
  current(): SigningKey {
    const key = this.#keys.at(-1);
    if (key === undefined) throw new Error('no signing key loaded');
    return key;
  }

  /** Whether a key of that `kid` verifies now (checked on every use of a remembered verification). */
  has(kid: string): boolean {
    return this.#byKid.has(kid);
  }

  /** Stops watching the key file. */
  close(): void {
    clearInterval(this.#watch);
  }

  /** Every key that verifies, oldest first. */
  all(): readonly SigningKey[] {
    return this.#keys;
  }

  /** The verification key named `kid`, re-reading the key file (at most once a second) when it is unknown. */
  async find(kid: string): Promise<SigningKey | undefined> {
    const known = this.#byKid.get(kid);
    if (known !== undefined || this.#options.signingKeyPem !== undefined) return known;
    const now = performance.now();
    if (now - this.#lastUnknownReload < UNKNOWN_KID_RELOAD_INTERVAL_MS) return undefined;
    this.#lastUnknownReload = now;
    await this.reload();
    return this.#byKid.get(kid);
  }

  /** Re-reads the key file if it changed since the last check (at most every 10 s); for signers. */
  async refreshIfStale(): Promise<void> {
    if (this.#options.signingKeyPem !== undefined) return;
    const now = performance.now();
    // A little slack: the watch timer fires every interval, give or take.
    if (now - this.#lastFileCheck < FILE_CHECK_INTERVAL_MS - 100) return;
    this.#lastFileCheck = now;
    try {
      if ((await fs.stat(this.#path)).mtimeMs !== this.#fileMtime) await this.reload();
    } catch {
      // A vanished or unreadable file leaves the keys in memory in service.
    }
  }

  /** Re-reads the key file now. A file that cannot be read or parsed leaves the loaded keys in place. */
  async reload(): Promise<void> {
    if (this.#options.signingKeyPem !== undefined) return;
    try {
      const mtime = (await fs.stat(this.#path)).mtimeMs;
      const file = await readKeyFile(this.#path);
      if (file === null) return;
      const before = this.current().kid;
      this.#install(file.keys.map(fromStored));
      this.#fileMtime = mtime;
      if (this.current().kid !== before) this.#options.onEvent?.('JWT signing keys reloaded', { kid: this.current().kid, keys: this.#keys.length });
    } catch (error) {
      this.#options.onEvent?.('JWT key file unreadable; keeping the loaded keys', { error: (error as Error).message });
    }
  }

  /** The JWKS document: public parts only. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.#keys.map((k) => ({ ...k.publicJwk })) };
  }
}
