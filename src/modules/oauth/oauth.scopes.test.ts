import { describe, expect, it } from 'vitest';
import { Scopes } from './oauth.scopes.js';

const parse = (text: string | undefined) => Scopes.parse(text)!;

describe('Scopes', () => {
  it('parses space-separated lists (and old clients’ + and commas), defaulting to read, refusing unknown names', () => {
    expect(parse(undefined).names).toEqual(['read']);
    expect(parse('read  write read').names).toEqual(['read', 'write']);
    expect(parse('read+write,follow').names).toEqual(['read', 'write', 'follow']);
    expect(Scopes.parse('read admin:read')).toBeNull();
    expect(Scopes.parse('x'.repeat(2000))).toBeNull();
  });

  it('lets a broad scope cover its granular ones, never the reverse', () => {
    expect(parse('read').includes(parse('read:statuses read:notifications'))).toBe(true);
    expect(parse('read:statuses').includes(parse('read'))).toBe(false);
    expect(parse('read').includes(parse('write:statuses'))).toBe(false);
    expect(parse('write').includes(parse('follow'))).toBe(false);
    expect(parse('read write').includes(parse('follow'))).toBe(true);
    expect(parse('follow').includes(parse('write:follows'))).toBe(true);
  });

  it('allows a route when any one of its scopes is granted', () => {
    expect(parse('read').allows('read:statuses')).toBe(true);
    expect(parse('read:statuses').allows('read:notifications')).toBe(false);
    expect(parse('profile').allows('read:accounts', 'profile')).toBe(true);
    expect(parse('follow').allows('write:follows')).toBe(true);
    expect(parse('push').allows('read:statuses')).toBe(false);
  });
});
