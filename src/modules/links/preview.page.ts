/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}code,a{word-break:break-all}.muted{color:#666}';

/** A minimal page; every dynamic value passes through escapeHtml. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** The preview page of `/{code}+`: where the link goes, without going there. */
export function previewPage(p: { code: string; shortUrl: string; url: string; createdAt: number; expiresAt: number | null; clicks: number }): string {
  const e = escapeHtml;
  const expiry = p.expiresAt === null ? 'never' : new Date(p.expiresAt).toISOString();
  return htmlPage(`Preview of ${p.code}`, `<h1>Where does <code>${e(p.shortUrl)}</code> go?</h1>
<p>It redirects to:</p><p><a href="${e(p.url)}" rel="noopener noreferrer nofollow">${e(p.url)}</a></p>
<p class="muted">Created ${e(new Date(p.createdAt).toISOString())} · expires ${e(expiry)} · ${p.clicks} click${p.clicks === 1 ? '' : 's'}</p>`);
}

/** The page a browser sees for an unknown or expired code. */
export function errorPage(status: number, message: string): string {
  return htmlPage(String(status), `<h1>${status}</h1><p>${escapeHtml(message)}</p>`);
}

/** Content-Security-Policy for these pages: no scripts, inline style only. */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
