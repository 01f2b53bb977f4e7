import { Type } from '@sinclair/typebox';
import type { AppError, ProblemExtensions } from './app-error.js';
import { STATUS_CODES } from 'node:http';

/** The response schema of every 4xx/5xx answer (OpenAPI). */
export const ProblemSchema = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), detail: Type.String(), code: Type.String() },
  { additionalProperties: true, description: 'RFC 9457 problem details' },
);

/** An RFC 9457 problem document with our stable `code`. */
export interface Problem extends ProblemExtensions {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
}

/** Problem types are documented per code at this URI. */
export function problemType(code: string): string {
  return `https://blueprint.dev/problems/${code}`;
}

/** Builds the problem document of an error; internals of 5xx are never shown. */
export function toProblem(error: AppError, instance?: string): Problem {
  const status = error.status;
  // A 503 says why (which dependency is down); other 5xx never show internals.
  const detail = status >= 500 && status !== 503 ? 'The server failed to handle the request.' : error.message;
  return {
    ...(error.extensions ?? {}),
    type: problemType(error.code),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    code: error.code,
    ...(instance === undefined ? {} : { instance }),
  };
}
