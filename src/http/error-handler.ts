import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, toProblem, type FieldError } from '../shared/errors/index.js';

/** Fastify's own client-error codes, given stable names of ours. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_BAD_URL: 'bad_url',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_ASYNC_CONSTRAINT: 'internal',
};

/** The path of a request without its query string: `instance` must not echo `?access_token=`. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Renders an error as problem+json. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.status).type('application/problem+json').send(toProblem(error, pathOf(request.url)));
}

/** Maps anything thrown to an AppError: ours as is, Fastify's client errors by code, the rest 500. */
export function toAppError(error: FastifyError | AppError | Error): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError;
  if (fe.validation) {
    const errors: FieldError[] = fe.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
      const path = `${v.instancePath ?? ''}${missing === undefined ? '' : `/${missing}`}`;
      return { field: `${fe.validationContext ?? 'request'}${path}`, message: v.message ?? 'is invalid' };
    });
    return new AppError('validation_failed', 400, fe.message, { extensions: { errors } });
  }
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // JSON.parse failures reach here as SyntaxError with statusCode 400.
    const code = FASTIFY_CODES[fe.code] ?? (error instanceof SyntaxError ? 'malformed_body' : 'bad_request');
    return new AppError(code, status, fe.message);
  }
  // The database stayed locked past its busy timeout: overload, not a bug. The client may retry.
  if (BUSY_CODES.has((error as { code?: unknown }).code as string)) {
    return new AppError('overloaded', 503, 'The server is too busy to take this now; retry shortly', { cause: error, headers: { 'retry-after': '1' } });
  }
  return new AppError('internal', status >= 500 ? status : 500, 'Internal error', { cause: error });
}

/** Driver error codes that mean "busy": SQLite's lock wait expired; PostgreSQL's lock or statement timeout. */
const BUSY_CODES: ReadonlySet<string> = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', '55P03', '57014']);

// Not OPTIONS: CORS answers preflights on every path.
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Installs the one error handler and the not-found handler: a path of the JSON API that exists
 * with other methods answers 405 with `Allow`, anything else 404.
 */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, appError);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    if (path.startsWith('/api/')) {
      const allowed = METHODS.filter((method) => method !== request.method && app.findRoute({ method, url: path }) !== null);
      if (allowed.length > 0) {
        return sendProblem(reply, request, new AppError('method_not_allowed', 405, `${request.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`, { headers: { allow: allowed.join(', ') } }));
      }
    }
    return sendProblem(reply, request, new AppError('route_not_found', 404, `No route for ${request.method} ${path}`));
  });
}

/**
 * Fastify's `frameworkErrors`: errors met while routing (a bad percent-encoding, a path parameter
 * over maxParamLength), before any hook ran, answered like every other error: problem+json with
 * the request id and the security headers.
 */
export function frameworkErrorHandler(staticHeaders: Readonly<Record<string, string>>): NonNullable<FastifyServerOptions['frameworkErrors']> {
  return (error, request, reply) => {
    reply.header('x-request-id', request.id).headers(staticHeaders);
    const appError = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new AppError('uri_too_long', 414, 'A path segment is too long') : toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    void sendProblem(reply, request, appError);
  };
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', detail: 'The request was not received in time' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', detail: 'The request headers are too large' },
  HPE_URI_TOO_LONG: { status: 414, code: 'uri_too_long', detail: 'The request target is too long' },
};

/**
 * Node's `clientError` (the request could not be parsed, or did not arrive in time): answered
 * with problem+json, a fresh request id and the security headers before the socket is closed,
 * instead of Fastify's bare JSON.
 */
export function clientErrorHandler(staticHeaders: Readonly<Record<string, string>>): (error: Error & { code?: string }, socket: Socket) => void {
  const extra = Object.entries(staticHeaders).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const known = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, code: 'malformed_request', detail: 'The request is not valid HTTP' };
    if (socket.writable) {
      const body = JSON.stringify(toProblem(new AppError(known.code, known.status, known.detail)));
      const head = `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${randomUUID()}\r\n${extra}connection: close\r\n\r\n`;
      socket.end(head + body);
    }
    socket.destroy();
  };
}
