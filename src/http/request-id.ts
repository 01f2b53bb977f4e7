import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: the caller's `X-Request-Id` when it is a short safe token (so a trace can
 * cross services), otherwise a new UUID. Anything else is ignored so logs cannot be forged.
 */
export function requestIdOf(req: IncomingMessage): string {
  return givenRequestId(req) ?? randomUUID();
}

/** The caller's `X-Request-Id` when it is a short safe token, else undefined. */
export function givenRequestId(req: IncomingMessage): string | undefined {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_ID.test(given) ? given : undefined;
}
