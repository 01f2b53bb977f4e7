import type { AuthorizationRequest } from './oauth.service.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML content and attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** What each scope lets an app do, in words a user can judge. */
const SCOPE_WORDS: Record<string, string> = {
  read: 'read everything in your account: timelines, profile, follows, notifications, favourites',
  write: 'post, delete and favourite statuses, follow and unfollow, and change your account',
  follow: 'see and change whom you follow',
  push: 'receive push notifications',
  profile: 'see your profile (name only)',
};
const describeScope = (scope: string) => SCOPE_WORDS[scope] ?? scope.replace(':', ': ');

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · Blueprint</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.4rem}ul{padding-left:1.2rem}label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
.buttons{display:flex;gap:.8rem;margin-top:1.2rem}button{padding:.6rem 1.2rem;font-size:1rem;cursor:pointer}.approve{background:#2563eb;color:#fff;border:0;border-radius:4px}
.error{color:#b91c1c}.code{font:1.2rem monospace;padding:.8rem;background:#f3f4f6;word-break:break-all;user-select:all}</style></head>
<body>${body}</body></html>`;
}

/** The hidden fields that carry an authorization request through the form. */
export interface AuthorizeFields {
  client_id: string;
  redirect_uri: string;
  response_type: string;
  scope: string;
  state?: string | undefined;
  code_challenge?: string | undefined;
  code_challenge_method?: string | undefined;
}

/**
 * The consent page: the app and what it asks for, then either the signed-in user's name or a
 * sign-in form, and Authorize / Deny. The form posts back to the same path with a CSRF token.
 */
export function consentPage(request: AuthorizationRequest, fields: AuthorizeFields, options: { username: string | null; csrf: string; error?: string }): string {
  const { client, scopes } = request;
  const hidden = Object.entries({ ...fields, csrf: options.csrf })
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const site = client.website === null ? '' : ` (<a href="${escapeHtml(client.website)}" rel="noopener noreferrer">${escapeHtml(client.website)}</a>)`;
  const who =
    options.username === null
      ? `<p>Sign in to continue.</p><label for="login">Username or email</label><input id="login" name="login" type="text" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>`
      : `<p>Signed in as <strong>@${escapeHtml(options.username)}</strong>.</p>`;
  const error = options.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(options.error)}</p>`;
  return layout(
    `Authorize ${client.name}`,
    `<h1>Authorize <span id="app-name">${escapeHtml(client.name)}</span>?</h1>
<p><strong>${escapeHtml(client.name)}</strong>${site} asks to use your Blueprint account. It will be able to:</p>
<ul id="scopes">${scopes.names.map((s) => `<li data-scope="${escapeHtml(s)}">${escapeHtml(describeScope(s))}</li>`).join('')}</ul>
${error}<form method="post" action="/oauth/authorize">${hidden}${who}
<div class="buttons"><button class="approve" type="submit" name="decision" value="approve">Authorize</button><button type="submit" name="decision" value="deny" formnovalidate>Deny</button></div></form>
<p><small>You can revoke this at any time from your authorized apps.</small></p>`,
  );
}

/** The out-of-band answer: the code, for the user to paste into the app. */
export function oobPage(appName: string, code: string): string {
  return layout('Authorization code', `<h1>Authorization code</h1><p>Copy this code into ${escapeHtml(appName)}:</p><p class="code" id="code">${escapeHtml(code)}</p>`);
}

/** An authorization request that cannot be sent back to any client: shown, never redirected. */
export function errorPage(message: string): string {
  return layout('Authorization failed', `<h1>Authorization failed</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
}
