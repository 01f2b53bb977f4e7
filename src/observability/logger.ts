import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Credentials that could reach a log through a serialised request or response. Only fixed paths:
 * wildcard paths make pino walk every logged object, which costs more than the log line itself.
 * Bodies are never logged.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
];

/** pino options shared by every process: JSON lines, ISO time, secrets redacted. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
    base: { pid: process.pid },
  };
}

const FLUSH_EVERY_MS = 250;

/**
 * The process logger, writing JSON lines to stdout. With `buffered`, lines are gathered into
 * writes of a few KiB (one syscall per many requests instead of one each) and flushed at least
 * every 250 ms and at exit; a crash loses at most that much of the log.
 */
export function createLogger(level: string, options: { buffered: boolean }): Logger {
  if (!options.buffered) return pino(loggerOptions(level));
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), FLUSH_EVERY_MS).unref();
  return pino(loggerOptions(level), destination);
}
