import { ACQUIRE_LUA, EXTEND_LUA, FENCED_WRITE_LUA, RELEASE_LUA } from './lock.lua.js';

/** One script: the ioredis command it is defined as, its source, and its key count. */
export interface LockScript {
  readonly command: string;
  readonly lua: string;
  readonly keys: number;
}

/** Every script of the Redis lock and fenced store, by the operation that runs it. */
export const scripts = {
  acquire: { command: 'blueprintLockAcquire', lua: ACQUIRE_LUA, keys: 2 },
  release: { command: 'blueprintLockRelease', lua: RELEASE_LUA, keys: 1 },
  extend: { command: 'blueprintLockExtend', lua: EXTEND_LUA, keys: 1 },
  fencedWrite: { command: 'blueprintFencedWrite', lua: FENCED_WRITE_LUA, keys: 1 },
} as const satisfies Record<string, LockScript>;

export type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/** Defines the scripts on a client (once: same name, same source) and returns them bound to it. */
export function bindScripts<K extends keyof typeof scripts>(
  redis: { defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void },
  names: readonly K[],
): Record<K, ScriptCall> {
  const client = redis as unknown as Record<string, ScriptCall | undefined>;
  const calls = {} as Record<K, ScriptCall>;
  for (const name of names) {
    const s = scripts[name];
    if (typeof client[s.command] !== 'function') redis.defineCommand(s.command, { numberOfKeys: s.keys, lua: s.lua });
    calls[name] = client[s.command]!.bind(redis);
  }
  return calls;
}
