import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../shared/errors/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route judges the Authorization header itself (`/metrics` takes a static token): the
     * authentication hooks still resolve a principal from a valid access token, but a credential
     * they do not recognise is left to the route instead of refused.
     */
    ownCredentials?: boolean;
  }
}

/** Who may read `/metrics` on one listener. */
export interface MetricsAccess {
  /** Anyone (no credentials asked): the listener is bound to loopback and nothing else was configured. */
  readonly open: boolean;
  /** METRICS_TOKEN, when set: a Bearer credential equal to it opens the endpoint. */
  readonly token: string | undefined;
  /** Whether a signed-in user is an operator (the role on their record; the console sends their token). None: no user may. */
  readonly isOperator: ((userId: string) => Promise<boolean>) | undefined;
}

/** Whether `host` (a listen address) is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The access rule of the `/metrics` of a listener bound to `listenHost`: route names, queue depths
 * and upstream addresses are for operators. Without METRICS_TOKEN and METRICS_PORT it stays open on
 * loopback (`npm start`, a Prometheus on the same machine) and closes as soon as the listener is
 * reachable from elsewhere; with either, credentials are always asked (a separate metrics port means
 * the public one should not answer).
 */
export function metricsAccessFor(
  config: { METRICS_TOKEN?: string | undefined; METRICS_PORT?: number | undefined },
  listenHost: string,
  isOperator?: (userId: string) => Promise<boolean>,
): MetricsAccess {
  return {
    open: config.METRICS_TOKEN === undefined && config.METRICS_PORT === undefined && isLoopbackHost(listenHost),
    token: config.METRICS_TOKEN,
    isOperator,
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Throws the problem to answer when `request` may not read `/metrics` (401 without a usable
 * credential, 403 for a signed-in user who is not an operator); returns when it may. The token is
 * compared in constant time, on digests so that its length does not leak either.
 */
export async function assertMetricsAccess(request: FastifyRequest, access: MetricsAccess): Promise<void> {
  if (access.open) return;
  const header = request.headers.authorization;
  const bearer = header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
  if (access.token !== undefined && bearer !== undefined && timingSafeEqual(digest(bearer), digest(access.token))) return;
  const principal = (request as { principal?: { userId: string } | null }).principal;
  if (principal != null) {
    if (access.isOperator !== undefined && (await access.isOperator(principal.userId))) return;
    throw new ForbiddenError('Only operators (`blueprint users:role NAME operator`) or a scraper holding METRICS_TOKEN may read /metrics', 'metrics_forbidden');
  }
  throw new UnauthorizedError(
    access.token === undefined
      ? 'This listener is reachable beyond loopback: /metrics needs METRICS_TOKEN (or a separate METRICS_PORT), or an operator signed in'
      : '/metrics needs the METRICS_TOKEN bearer credential, or an operator signed in',
    'metrics_credentials_required',
  );
}
