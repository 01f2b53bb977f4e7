import { describe, expect, it } from 'vitest';
import { classifyReplicaError } from './replica-errors.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyReplicaError', () => {
  it('finds an unreachable or departing server', () => {
    expect(classifyReplicaError(withCode('connect ECONNREFUSED 127.0.0.1:5433', 'ECONNREFUSED'))).toBe('unavailable');
    expect(classifyReplicaError(withCode('write EPIPE', 'EPIPE'))).toBe('unavailable');
    expect(classifyReplicaError(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(classifyReplicaError(new Error('timeout exceeded when trying to connect'))).toBe('unavailable');
    expect(classifyReplicaError(withCode('terminating connection due to administrator command', '57P01'))).toBe('unavailable');
    expect(classifyReplicaError(withCode('the database system is starting up', '57P03'))).toBe('unavailable');
    expect(classifyReplicaError(withCode('connection failure', '08006'))).toBe('unavailable');
    expect(classifyReplicaError(new AggregateError([withCode('a', 'ECONNREFUSED')]))).toBe('unavailable');
  });

  it('retries elsewhere a statement a healthy replica could not run', () => {
    expect(classifyReplicaError(withCode('canceling statement due to conflict with recovery', '40001'))).toBe('retryable');
    expect(classifyReplicaError(withCode('sorry, too many clients already', '53300'))).toBe('retryable');
  });

  it('leaves the read\'s own faults alone', () => {
    expect(classifyReplicaError(withCode('relation "nope" does not exist', '42P01'))).toBeUndefined();
    expect(classifyReplicaError(withCode('duplicate key', '23505'))).toBeUndefined();
    expect(classifyReplicaError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifyReplicaError('a string')).toBeUndefined();
    expect(classifyReplicaError(undefined)).toBeUndefined();
  });
});
