import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './test-app.js';

export interface RegisteredApp {
  id: string;
  client_id: string;
  client_secret: string;
  redirect_uri: string;
}

export const REDIRECT = 'https://app.example/callback';

/** Registers an app as a Mastodon client does. */
export async function registerApp(t: TestApp, body: Record<string, unknown> = {}): Promise<RegisteredApp> {
  const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/apps', payload: { client_name: 'Test App', redirect_uris: REDIRECT, scopes: 'read write follow', ...body } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as RegisteredApp;
}

/** A PKCE verifier and its S256 challenge. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const form = (fields: Record<string, string | undefined>) =>
  new URLSearchParams(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)).toString();

/** `/oauth/authorize?...` with the parameters that are set. */
export const authorizeUrl = (query: Record<string, string | undefined>) => `/oauth/authorize?${form(query)}`;

/** The authorization request's parameters for an app. */
export function authorizeQuery(app: RegisteredApp, options: { scope?: string; state?: string; challenge?: string; method?: string; redirectUri?: string } = {}): Record<string, string | undefined> {
  return {
    response_type: 'code',
    client_id: app.client_id,
    redirect_uri: options.redirectUri ?? REDIRECT,
    scope: options.scope ?? 'read write',
    state: options.state ?? 'xyz',
    code_challenge: options.challenge,
    code_challenge_method: options.challenge === undefined ? undefined : (options.method ?? 'S256'),
  };
}

/**
 * Walks the authorization page as a browser does, without one: GET the page (for its CSRF cookie),
 * then POST the form with the user's credentials and the decision. Answers the POST's response.
 */
export async function submitConsent(t: TestApp, query: Record<string, string | undefined>, credentials: { login: string; password: string } | null, decision = 'approve', cookies: Record<string, string> = {}) {
  const page = await t.runtime.app.inject({ method: 'GET', url: `/oauth/authorize?${form(query)}`, cookies });
  expect(page.statusCode, page.body).toBe(200);
  const csrf = page.cookies.find((c) => c.name === 'bp_oauth_csrf')?.value ?? cookies.bp_oauth_csrf!;
  return t.runtime.app.inject({
    method: 'POST',
    url: '/oauth/authorize',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    cookies: { ...cookies, bp_oauth_csrf: csrf },
    payload: form({ ...query, csrf, decision, ...(credentials ?? {}) }),
  });
}

/** A code through the page (signing in with the password), from the redirect's query. */
export async function authorizeCode(t: TestApp, app: RegisteredApp, user: { login: string; password: string }, options: Parameters<typeof authorizeQuery>[1] = {}): Promise<{ code: string; state: string | null }> {
  const res = await submitConsent(t, authorizeQuery(app, options), user);
  expect(res.statusCode, res.body).toBe(303);
  const location = new URL(res.headers.location as string);
  return { code: location.searchParams.get('code')!, state: location.searchParams.get('state') };
}

/** POST /oauth/token as a form. */
export function tokenRequest(t: TestApp, fields: Record<string, string | undefined>, headers: Record<string, string> = {}) {
  return t.runtime.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: form(fields) });
}

export const PASSWORD = 'correct horse battery staple';
