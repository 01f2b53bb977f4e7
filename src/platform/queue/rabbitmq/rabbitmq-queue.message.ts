import { randomBytes } from 'node:crypto';
import type { Message, Options } from 'amqplib';
import type { DeadLetter, QueueMessage } from '../queue.port.js';

/**
 * How a message travels: the body is the payload's JSON as is (any AMQP client can read it), our
 * metadata is in headers. `x-bp-attempts` counts the attempts made before the message was
 * (re)published: 0 when published, the failed attempt's number when it went through a retry queue.
 */
export const HEADER = {
  key: 'x-bp-key',
  publishedAt: 'x-bp-published-at',
  attempts: 'x-bp-attempts',
  error: 'x-bp-error',
  failedAt: 'x-bp-failed-at',
  replayOf: 'x-bp-replay-of',
  traceparent: 'traceparent',
} as const;

/** Error text kept with a retried or dead message: bounded, so a huge error cannot bloat the broker. */
export const MAX_ERROR_LENGTH = 1000;

/** The fields of a message we need to (re)publish it. */
export interface Envelope {
  id: string;
  key: string | null;
  body: Buffer;
  publishedAt: number;
  attempts: number;
  error?: string;
  failedAt?: number;
  replayOf?: string;
  traceparent?: string;
}

let sequence = 0;
const processTag = randomBytes(3).toString('hex');

/**
 * A new message id: base36 publish time (9 digits), a per-process sequence and a process tag, so
 * ids sort by publish time (the dead-letter listing pages by id, oldest first) and never collide.
 */
export function newMessageId(now: number): string {
  sequence = (sequence + 1) % 36 ** 5;
  return `${now.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(5, '0')}${processTag}`;
}

/** AMQP properties of an envelope: persistent, JSON, with the publish time also in the standard (seconds) timestamp. */
export function publishOptions(envelope: Envelope, extra: Options.Publish = {}): Options.Publish {
  const headers: Record<string, unknown> = { [HEADER.publishedAt]: envelope.publishedAt, [HEADER.attempts]: envelope.attempts };
  if (envelope.key !== null) headers[HEADER.key] = envelope.key;
  if (envelope.error !== undefined) headers[HEADER.error] = envelope.error;
  if (envelope.failedAt !== undefined) headers[HEADER.failedAt] = envelope.failedAt;
  if (envelope.replayOf !== undefined) headers[HEADER.replayOf] = envelope.replayOf;
  if (envelope.traceparent !== undefined) headers[HEADER.traceparent] = envelope.traceparent;
  return {
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    messageId: envelope.id,
    timestamp: Math.floor(envelope.publishedAt / 1000),
    headers,
    ...extra,
  };
}

const asNumber = (value: unknown): number | undefined => {
  const n = typeof value === 'bigint' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

/** Reads the envelope back; tolerates messages published by other clients (no headers, no id). */
export function readEnvelope(message: Message): Envelope {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const key = headers[HEADER.key];
  const error = headers[HEADER.error];
  const replayOf = headers[HEADER.replayOf];
  const traceparent = headers[HEADER.traceparent];
  const publishedAt =
    asNumber(headers[HEADER.publishedAt]) ?? (asNumber(message.properties.timestamp) ?? 0) * 1000;
  return {
    id: typeof message.properties.messageId === 'string' ? message.properties.messageId : `tag-${message.fields.deliveryTag}`,
    key: typeof key === 'string' ? key : key instanceof Buffer ? key.toString('utf8') : null,
    body: message.content,
    publishedAt,
    attempts: asNumber(headers[HEADER.attempts]) ?? 0,
    ...(typeof error === 'string' ? { error } : error instanceof Buffer ? { error: error.toString('utf8') } : {}),
    ...(asNumber(headers[HEADER.failedAt]) === undefined ? {} : { failedAt: asNumber(headers[HEADER.failedAt]) }),
    ...(typeof replayOf === 'string' ? { replayOf } : {}),
    ...(typeof traceparent === 'string' ? { traceparent } : traceparent instanceof Buffer ? { traceparent: traceparent.toString('latin1') } : {}),
  };
}

/**
 * The attempt number of a delivery: attempts made before it was published, plus one, plus the
 * times the queue took it back. Quorum queues count the latter in `x-delivery-count`: on every
 * return up to 3.13, and from 4.x on a `basic.reject` with requeue and on a consumer's connection
 * or channel loss, but not on a `basic.nack` requeue. So failures are returned with reject, and
 * messages given back unstarted (stop, shutdown) with nack. Without the header (a classic queue)
 * the redelivered flag counts as one.
 */
export function attemptOf(message: Message, envelope: Envelope): number {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const returned = asNumber(headers['x-delivery-count']) ?? (message.fields.redelivered ? 1 : 0);
  return envelope.attempts + 1 + returned;
}

/** The message a handler gets; throws when the body is not JSON (the consumer dead-letters it). */
export function toQueueMessage<T>(topic: string, envelope: Envelope, attempt: number): QueueMessage<T> {
  return {
    id: envelope.id,
    topic,
    key: envelope.key,
    payload: JSON.parse(envelope.body.toString('utf8')) as T,
    attempt,
    publishedAt: envelope.publishedAt,
    traceparent: envelope.traceparent ?? null,
  };
}

interface XDeath {
  reason?: unknown;
  time?: unknown;
}

/**
 * A message of the dead-letter queue as the port shows it. Ours carry the attempts and the last
 * error; one the broker dead-lettered itself (delivery limit) says so through `x-death`.
 */
export function toDeadLetter<T>(topic: string, message: Message, deliveryLimit: number): DeadLetter<T> {
  const envelope = readEnvelope(message);
  const deaths = (message.properties.headers?.['x-death'] ?? []) as XDeath[];
  const death = deaths[0];
  let payload: unknown;
  try {
    payload = JSON.parse(envelope.body.toString('utf8'));
  } catch {
    payload = envelope.body.toString('utf8');
  }
  const deathTime = death?.time as { value?: unknown } | Date | undefined;
  const deathSeconds = deathTime instanceof Date ? deathTime.getTime() / 1000 : asNumber(deathTime?.value);
  return {
    id: envelope.id,
    topic,
    key: envelope.key,
    payload: payload as T,
    attempts: envelope.error === undefined && death ? deliveryLimit + 1 + envelope.attempts : envelope.attempts,
    lastError: envelope.error ?? `dead-lettered by the broker (${String(death?.reason ?? 'unknown reason')})`,
    publishedAt: envelope.publishedAt,
    failedAt: envelope.failedAt ?? (deathSeconds === undefined ? envelope.publishedAt : deathSeconds * 1000),
  };
}

/** The error's message only (no stack: it travels with the message and is shown to operators), bounded. */
export function errorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message || error.name : String(error);
  } catch {
    text = 'unprintable error';
  }
  return text.length > MAX_ERROR_LENGTH ? text.slice(0, MAX_ERROR_LENGTH) : text;
}

/** The AWS "full jitter" backoff: uniform in [0, min(cap, base * 2^(attempt-1))] ms (as the embedded queue). */
export function fullJitterBackoff(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 52));
  return Math.round(random() * ceiling);
}
