import { describe, expect, it } from 'vitest';
import { allocateUniqueKey, KeyAllocationError } from './allocate.js';
import type { KeyGenerator, KeyRequest } from './keygen.port.js';

/** Hands out the given codes in order and records what it was asked. */
function scripted(codes: string[]): KeyGenerator & { requests: KeyRequest[] } {
  const requests: KeyRequest[] = [];
  return {
    strategy: 'hash',
    requests,
    async next(request) {
      requests.push(request);
      const code = codes[request.attempt];
      if (code === undefined) throw new Error('script exhausted');
      return code;
    },
  };
}

describe('allocateUniqueKey', () => {
  it('returns what tryInsert stored on the first free code', async () => {
    const generator = scripted(['aaa', 'bbb', 'ccc']);
    const taken = new Set(['aaa']);
    const result = await allocateUniqueKey(generator, 'https://x.example', async (code) => (taken.has(code) ? 'taken' : { code }));
    expect(result).toEqual({ code: 'bbb' });
    expect(generator.requests).toEqual([
      { url: 'https://x.example', attempt: 0 },
      { url: 'https://x.example', attempt: 1 },
    ]);
  });

  it('skips reserved codes without trying to insert them', async () => {
    const generator = scripted(['api', 'ADMIN', 'free']);
    const tried: string[] = [];
    const result = await allocateUniqueKey(
      generator,
      'u',
      async (code) => {
        tried.push(code);
        return code;
      },
      { isReserved: (code) => ['api', 'admin'].includes(code.toLowerCase()) },
    );
    expect(result).toBe('free');
    expect(tried).toEqual(['free']);
  });

  it('gives up after maxAttempts with a clear error', async () => {
    const generator = scripted(['r', 't1', 't2', 't3', 'never']);
    let inserts = 0;
    const attempt = allocateUniqueKey(
      generator,
      'u',
      async () => {
        inserts++;
        return 'taken';
      },
      { maxAttempts: 4, isReserved: (code) => code === 'r' },
    );
    await expect(attempt).rejects.toThrow(KeyAllocationError);
    await expect(attempt).rejects.toThrow("could not allocate a unique short code with the 'hash' strategy after 4 attempts (3 taken, 1 reserved)");
    expect(inserts).toBe(3);
    expect(generator.requests).toHaveLength(4);
  });

  it('defaults to 16 attempts', async () => {
    const generator = scripted(Array.from({ length: 20 }, (_, i) => `c${i}`));
    await expect(allocateUniqueKey(generator, 'u', async () => 'taken' as const)).rejects.toMatchObject({ attempts: 16, taken: 16 });
    expect(generator.requests).toHaveLength(16);
  });

  it('lets errors of the generator and of tryInsert through', async () => {
    await expect(allocateUniqueKey(scripted([]), 'u', async () => 'x')).rejects.toThrow('script exhausted');
    await expect(
      allocateUniqueKey(scripted(['a']), 'u', async () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    await expect(allocateUniqueKey(scripted(['a']), 'u', async () => 'x', { maxAttempts: 0 })).rejects.toThrow(RangeError);
  });
});
