import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, toProblem, type FieldError } from '../shared/errors/index.js';

/** Fastify's own client-error codes, given stable names of ours. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_content_length',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_body',
  FST_ERR_BAD_URL: 'bad_url',
};

/** Renders an error as problem+json. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.status).type('application/problem+json').send(toProblem(error, request.url));
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

/** Installs the one error handler and the not-found handler. */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new AppError('route_not_found', 404, `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
