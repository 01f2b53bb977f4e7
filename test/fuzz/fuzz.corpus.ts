import type { InjectOptions } from 'fastify';
import { seededRandom } from '../../src/lib/seeded-random.js';
import { BAD_AUTHORIZATIONS, BAD_CONTENT_TYPES, BAD_JSON_VALUES, BAD_STRINGS, RAW_BODIES } from './fuzz.values.js';

/** One operation of the OpenAPI document. */
export interface Operation {
  method: string;
  /** OpenAPI template: `/api/v1/links/{code}`. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** Top-level properties of the JSON body, when there is one. */
  bodyProps: string[] | undefined;
}

export interface FuzzCase {
  family: string;
  request: InjectOptions;
}

/** What reaches past authentication and lookups: a real user's token and things that exist. */
export interface FuzzContext {
  /** `Bearer <access token>` of a user (an operator) that owns `valid` things. */
  authorization: string;
  /** Values for path parameters that exist (code, id, username, topic); `<family>.<name>` first (`chat.id`: a conversation). */
  valid: Record<string, string>;
  /** A body the operation accepts, mutated one field at a time (`METHOD /path` → body). */
  bodies: Record<string, Record<string, unknown>>;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> } }>>;
}

/** The operations of the document (/healthz, /readyz and /metrics aside: no input). */
export function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (['/healthz', '/readyz', '/metrics'].includes(path)) continue;
    for (const [method, op] of Object.entries(methods)) {
      const params = op.parameters ?? [];
      const schema = op.requestBody?.content?.['application/json']?.schema;
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyProps: schema === undefined ? undefined : Object.keys(schema.properties ?? {}),
      });
    }
  }
  return out;
}

/** Endpoint families: what a client sees as one feature. */
export function familyOf(op: Operation): string {
  const p = op.path;
  if (p.startsWith('/api/v1/auth/')) return 'auth';
  if (p === '/api/v1/me' || p.startsWith('/api/v1/api-keys') || p === '/.well-known/jwks.json') return 'account';
  if (p === '/api/v1/links') return 'links';
  if (p === '/api/v1/links/{code}') return 'link';
  if (p.endsWith('/qr')) return 'qr';
  if (p.endsWith('/stats')) return 'stats';
  if (p.endsWith('/like')) return 'likes';
  if (p.startsWith('/api/v1/tweets')) return 'tweets';
  if (p.endsWith('/follow')) return 'follows';
  if (p.startsWith('/api/v1/users/')) return 'users';
  if (p.startsWith('/api/v1/timeline')) return 'timeline';
  if (p.startsWith('/api/v1/search')) return 'search';
  if (p.startsWith('/api/v1/notifications')) return 'notifications';
  if (p.startsWith('/api/v1/stream')) return 'stream';
  if (p.startsWith('/api/v1/admin/')) return 'admin';
  if (p.startsWith('/api/v1/conversations') || p.startsWith('/api/v1/chat/')) return 'chat';
  if (p === '/{code}') return 'redirect';
  return 'other';
}

/**
 * Routes where a valid credential would end the fuzzing user's session (logout) or open a
 * stream that never ends (inject waits for the end): fuzzed with bad credentials only.
 */
const NO_VALID_AUTH = new Set(['POST /api/v1/auth/logout', 'GET /api/v1/stream']);

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The corpus: at least `perFamily` bad requests for every family of the document, plus the
 * router's own family (paths, encodings, methods, headers). Deterministic for a seed: a failure
 * names its case, and the same run reproduces it.
 */
export function buildCorpus(doc: OpenApiDoc, ctx: FuzzContext, options: { perFamily: number; seed: number }): FuzzCase[] {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const chance = (p: number) => random() < p;
  const byFamily = new Map<string, Operation[]>();
  for (const op of operationsOf(doc)) byFamily.set(familyOf(op), [...(byFamily.get(familyOf(op)) ?? []), op]);
  const cases: FuzzCase[] = [];

  const segment = (value: string) => (/%/.test(value) && chance(0.5) ? value : encode(value));
  for (const [family, ops] of byFamily) {
    for (let i = 0; i < options.perFamily; i++) {
      const op = ops[i % ops.length]!;
      const key = `${op.method} ${op.path}`;
      // One thing is wrong at a time most often (so that the rest passes and the bad part is what is judged), sometimes several.
      const target = pick(['path', 'query', 'body', 'auth', 'method', 'several'] as const);
      const several = target === 'several';
      let path = op.path;
      for (const name of op.pathParams) {
        const bad = (target === 'path' || (several && chance(0.5))) && true;
        path = path.replace(`{${name}}`, bad ? segment(pick(BAD_STRINGS)) : encodeURIComponent(ctx.valid[`${family}.${name}`] ?? ctx.valid[name] ?? 'x'));
      }
      const query: string[] = [];
      for (const name of op.queryParams) {
        if ((target === 'query' || several) && chance(0.7)) query.push(`${name}=${segment(pick(BAD_STRINGS))}`);
        if (target === 'query' && chance(0.15)) query.push(`${name}=${segment(pick(BAD_STRINGS))}`);
      }
      if (target === 'query' && (op.queryParams.length === 0 || chance(0.2))) query.push(`${segment(pick(BAD_STRINGS))}=${segment(pick(BAD_STRINGS))}`);
      const url = query.length === 0 ? path : `${path}?${query.join('&')}`;

      const headers: Record<string, string> = {};
      const validAuth = !NO_VALID_AUTH.has(key) && !(target === 'auth' || (several && chance(0.5)));
      const authorization = validAuth ? ctx.authorization : pick(BAD_AUTHORIZATIONS);
      if (authorization !== undefined) headers.authorization = authorization;
      if (family === 'auth' && chance(0.3)) {
        headers.cookie = `__Host-refresh=${encode(pick(BAD_STRINGS)).slice(0, 4_000)}`;
        headers.origin = pick(['http://sho.rt', 'https://evil.example', 'null']);
      }

      let method = op.method;
      if (target === 'method') method = pick(OTHER_METHODS.filter((m) => m !== op.method));
      let payload: string | undefined;
      if (op.bodyProps !== undefined || target === 'body') {
        const body: Record<string, unknown> = { ...(ctx.bodies[key] ?? {}) };
        const props = op.bodyProps ?? [];
        let raw: string | undefined;
        if (target === 'body' || several) {
          const how = pick(['field', 'field', 'field', 'unknown', 'missing', 'raw', 'type'] as const);
          if (how === 'field' && props.length > 0) body[pick(props)] = pick(BAD_JSON_VALUES);
          else if (how === 'unknown') body[pick(BAD_STRINGS).slice(0, 100) || 'x'] = pick(BAD_JSON_VALUES);
          else if (how === 'missing' && props.length > 0) delete body[pick(props)];
          else if (how === 'raw') raw = pick(RAW_BODIES);
          else headers['content-type'] = pick(BAD_CONTENT_TYPES);
        }
        payload = raw ?? JSON.stringify(body);
        headers['content-type'] ??= 'application/json';
      }
      cases.push({ family, request: { method: method as InjectOptions['method'], url, headers, ...(payload === undefined || method === 'GET' ? {} : { payload }) } });
    }
  }

  // The router's own family: paths no route has, encodings, methods and headers.
  const ROUTER_PATHS = ['/api', '/api/', '/api/v1', '/api/v2/links', '/api/v1/links/', '/api//v1/links', '/API/V1/LINKS', '/api/v1/links/a/b/c', '/%', '/%E0%A4%A', '/api/v1/links/%ZZ', '/..%2f..%2fetc%2fpasswd', `/api/v1/links/${'a'.repeat(150)}`, `/${'b'.repeat(150)}`, '/api/docs/static/index.html?x', '/api/docs/static/../../../../etc/passwd', '/api/docs/%2e%2e/%2e%2e/package.json', '/favicon.ico', '/robots.txt', '/.env', '/.git/config', '/assets/../../package.json', '/%00', '/\u0000', '/?a=%', '/x?' + 'q='.repeat(2_000)];
  for (let i = 0; i < options.perFamily; i++) {
    const headers: Record<string, string> = {};
    if (chance(0.3)) headers['x-request-id'] = printable(pick(BAD_STRINGS).slice(0, 300));
    if (chance(0.2)) headers.accept = pick(['*/*', 'application/json', 'image/png', ';;', 'x'.repeat(500)]);
    if (chance(0.2)) headers.origin = pick(['https://evil.example', 'null', 'http://sho.rt', 'x']);
    if (chance(0.2)) headers['if-none-match'] = pick(['*', 'W/"x"', '"', 'x'.repeat(300)]);
    if (chance(0.1)) headers['x-forwarded-for'] = pick(['1.2.3.4', 'x', '::1, 999.999.1.1']);
    if (chance(0.1)) headers['last-event-id'] = printable(pick(BAD_STRINGS).slice(0, 200));
    const path = chance(0.6) ? pick(ROUTER_PATHS) : `/${segment(pick(BAD_STRINGS)).slice(0, 300)}${chance(0.3) ? '+' : ''}`;
    const method = pick(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const);
    cases.push({ family: 'router', request: { method, url: path, headers, ...(method === 'POST' || method === 'PUT' || method === 'PATCH' ? { payload: pick(RAW_BODIES), headers: { ...headers, 'content-type': pick([...BAD_CONTENT_TYPES, 'application/json']) } } : {}) } });
  }
  return cases;
}

/** What an HTTP header can carry (a client cannot send the rest). */
function printable(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?');
}

/** Percent-encodes as UTF-8; a lone surrogate (which UTF-8 cannot hold) as the bytes a broken client would send. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}
