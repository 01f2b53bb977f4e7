import type { TestApp } from './test-app.js';

/** Signs a new user up through the API and returns its access token. */
export async function signUp(t: TestApp, username: string, password = 'correct horse battery staple'): Promise<{ token: string; userId: string }> {
  const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { username, email: `${username}@example.com`, password } });
  if (res.statusCode !== 201) throw new Error(`signup answered ${res.statusCode}: ${res.body}`);
  const body = res.json() as { accessToken: string; user: { id: string } };
  return { token: body.accessToken, userId: body.user.id };
}

/** The Authorization header of a token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
