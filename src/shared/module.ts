import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import type { Migration } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { Metrics } from '../observability/metrics.js';
import type { Tracing } from '../observability/tracing.js';
import type { CachePort } from '../platform/cache/index.js';
import type { Clock } from '../platform/clock/index.js';
import type { IdGenerator } from '../platform/ids/index.js';
import type { PresenceRegistry } from '../platform/presence/index.js';
import type { PubSubPort } from '../platform/pubsub/index.js';
import type { RateLimitStore } from '../platform/ratelimit/index.js';
import type { HandlerWrapper, QueuePort, Subscription } from '../platform/queue/index.js';
import type { SqlDatabase, SqlDialectName } from '../platform/sql/index.js';
import type { TimelineStore } from '../platform/timelines/index.js';

/*
 * The one shape of a module, as the composition code assembles it (docs/architecture.md).
 * A definition names the module, the modules it needs and its tables; `create` builds it from the
 * process's adapters and those modules. The role assemblies (src/composition/) loop over the
 * definitions a role runs: they migrate, register `routes`, start `consumers` and `start`, and
 * close in the reverse order of opening.
 */

/** The ports a module may use, opened on first use by the composition code (one place picks the adapters). */
export interface Adapters {
  readonly sql: SqlDatabase<unknown>;
  /** Where reads that tolerate a replica's bounded lag go (read replicas); `sql` without replicas. */
  readonly reads: SqlDatabase<unknown>;
  readonly queue: QueuePort;
  readonly pubsub: PubSubPort;
  readonly cache: CachePort;
  readonly timelines: TimelineStore;
  /** The databases named by FEED_SHARDS (empty without), each opened once. */
  readonly shardDatabases: ReadonlyMap<string, SqlDatabase<unknown>>;
  /** Who is connected on which process (the chat's routing): in process, or in Redis when REDIS_URL is set. */
  readonly presence: PresenceRegistry;
  /** Rate-limit counters (the HTTP edge's store): for limits a module decides itself (chat sends over HTTP and WebSocket). */
  readonly rateLimits: RateLimitStore;
}

/** What every module is built from. */
export interface ModuleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly tracing: Tracing;
  readonly adapters: Adapters;
  /** Registers work to run at shutdown: after everything opened later, before everything opened earlier. */
  onClose(close: () => Promise<void> | void): void;
}

/** What the role running a module's consumers gives them. */
export interface ConsumerContext {
  readonly queue: QueuePort;
  /** Where consumer counters go (the worker thread has its own). */
  readonly registry: Registry;
  /** Wraps each handler: tracing, waiting out a database outage, yielding to a busy API thread. */
  readonly around: HandlerWrapper;
}

/** What the HTTP app offers a handler that answers before the router (src/http/http-app.ts's fast-path slot). */
export interface PreRouting {
  /** Static GET routes: their paths are theirs, never the handler's. */
  readonly staticPaths: ReadonlySet<string>;
  ipOf(req: IncomingMessage): string;
  /** The caller's request id when it sent a usable one (none is generated). */
  givenRequestId(req: IncomingMessage): string | undefined;
  /** The security headers every answer carries, as pairs. */
  readonly headers: readonly (readonly [string, string])[];
  /** A route's rate limits, decided now: the headers to send, or undefined to let the router answer. */
  limitsOf(route: string): (req: IncomingMessage, ip: string) => readonly [string, string][] | undefined;
  /** Tells the HTTP metrics about an answer, as if the route had given it. */
  observe(route: string): (method: string, status: number, seconds: number) => void;
}

/** A built module: the parts a role assembly uses. A module's own API is added beside them. */
export interface Module {
  /** Routes under the JSON API scope (CORS, cookies), registered by the API role. */
  readonly routes?: FastifyPluginAsync;
  /** Routes outside the JSON API scope (short-link redirects), registered by the API role. */
  readonly siteRoutes?: FastifyPluginAsync;
  /** A handler run before the router, answering true when it answered (the redirect hot path); one per app. */
  preRouting?(http: PreRouting): (req: IncomingMessage, res: ServerResponse) => boolean;
  /** Queue consumers, started by the worker role. */
  consumers?(context: ConsumerContext): Subscription[];
  /** Background work and what must be loaded before serving; run in dependency order once every module is built. */
  start?(): Promise<void>;
  /** Stops background work and flushes buffers; run in the reverse order of `start`. */
  close(): Promise<void>;
}

/** A module as the composition code sees it: its name, what it needs, its tables and how it is built. */
export interface ModuleDefinition<Name extends string = string, Api extends Module = Module, Needs extends object = object> {
  readonly name: Name;
  /** The modules `create` receives, built before this one. */
  readonly needs: readonly (keyof Needs & string)[];
  /** The tables it owns, for a SQL dialect (run by the API role before anything is built). */
  migrations(dialect: SqlDialectName): Record<string, Migration>;
  create(context: ModuleContext, needs: Needs): Api | Promise<Api>;
}

/** Declares a module (the identity function, for inference of its name and its needs). */
export function defineModule<Name extends string, Api extends Module, Needs extends object = object>(
  definition: ModuleDefinition<Name, Api, Needs>,
): ModuleDefinition<Name, Api, Needs> {
  return definition;
}

/** No tables. */
export const noMigrations = (): Record<string, Migration> => ({});
