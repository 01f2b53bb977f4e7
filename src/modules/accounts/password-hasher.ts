import { randomBytes } from 'node:crypto';
import { hash, parseOptions, verify, type Algorithm } from '@node-rs/argon2';
import { normalisePassword } from './password-policy.js';

/** argon2id costs; OWASP's minimum is memoryCost 19456 KiB, timeCost 2, parallelism 1. */
export interface PasswordHashParams {
  /** KiB. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

// `Algorithm` is an ambient const enum, which isolatedModules cannot read: its Argon2id member is 2.
const ARGON2ID = 2 as Algorithm;
// Version 0x13 (`V0x13` = 1 in the binding's enum), the current one.
const VERSION_0X13 = 1;

/**
 * argon2id hashing through @node-rs/argon2's async API: the work runs on the addon's worker
 * threads, never on the event loop. Passwords are NFKC-normalised first (see normalisePassword).
 */
export class PasswordHasher {
  readonly #params: PasswordHashParams;
  #dummy: string | undefined;

  constructor(params: PasswordHashParams) {
    this.#params = { ...params };
  }

  get params(): PasswordHashParams {
    return { ...this.#params };
  }

  /** Makes the hash that unknown logins are verified against; call once before serving. */
  async start(): Promise<void> {
    this.#dummy ??= await this.hash(randomBytes(32).toString('base64url'));
  }

  async hash(password: string): Promise<string> {
    return hash(normalisePassword(password), { ...this.#params, algorithm: ARGON2ID });
  }

  /** True when `password` matches; false for a wrong password or a malformed stored hash. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, normalisePassword(password));
    } catch {
      return false;
    }
  }

  /**
   * Spends the time of a real verification and fails: the answer for an unknown login, so that
   * it cannot be told from a wrong password by its timing.
   */
  async verifyDummy(password: string): Promise<false> {
    if (this.#dummy === undefined) throw new Error('PasswordHasher.start() was not called');
    await this.verify(this.#dummy, password);
    return false;
  }

  /** True when `stored` was made with other parameters than the current ones (or is not argon2id). */
  needsRehash(stored: string): boolean {
    try {
      const o = parseOptions(stored);
      return (
        o.algorithm !== ARGON2ID ||
        o.version !== VERSION_0X13 ||
        o.memoryCost !== this.#params.memoryCost ||
        o.timeCost !== this.#params.timeCost ||
        o.parallelism !== this.#params.parallelism
      );
    } catch {
      return true;
    }
  }
}

/** The parameters a stored hash was made with (for the audit trail), or null when unreadable. */
export function hashParamsOf(stored: string): PasswordHashParams | null {
  try {
    const { memoryCost, timeCost, parallelism } = parseOptions(stored);
    return { memoryCost, timeCost, parallelism };
  } catch {
    return null;
  }
}
