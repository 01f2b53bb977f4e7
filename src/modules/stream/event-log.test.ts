import { describe, expect, it } from 'vitest';
import { EventLog } from './event-log.js';

describe('EventLog', () => {
  it('replays exactly what came after an id it still covers', () => {
    const log = new EventLog(3, 100);
    expect(log.position).toBe(100);
    expect(log.since(100)).toEqual([]);
    log.append(101, 'a');
    log.append(105, 'b');
    expect(log.position).toBe(105);
    expect(log.since(100)).toEqual(['a', 'b']);
    expect(log.since(101)).toEqual(['b']);
    // Ids in between belong to other users: still a complete answer.
    expect(log.since(103)).toEqual(['b']);
    expect(log.since(105)).toEqual([]);
  });

  it('cannot replay ids older than what it evicted, or from before it existed', () => {
    const log = new EventLog(2, 100);
    expect(log.since(99)).toBeNull();
    log.append(101, 'a');
    log.append(102, 'b');
    log.append(103, 'c');
    expect(log.since(100)).toBeNull();
    expect(log.since(101)).toEqual(['b', 'c']);
  });

  it('refuses ids it never issued (another instance, a previous process)', () => {
    const log = new EventLog(5, 100);
    log.append(101, 'a');
    expect(log.since(102)).toBeNull();
  });

  it('with no capacity, keeps only its position', () => {
    const log = new EventLog(0, 100);
    log.append(101, 'a');
    expect(log.position).toBe(101);
    expect(log.since(101)).toEqual([]);
    expect(log.since(100)).toBeNull();
  });
});
