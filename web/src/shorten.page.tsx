import { useId, useState, type FormEvent } from 'react';
import { api, ApiProblem, ConnectionLost } from './api.js';

interface Link {
  code: string;
  shortUrl: string;
  url: string;
  expiresAt: string | null;
}

/** Shorten a URL, no account needed: optional alias and expiry; the result with copy and QR code. */
export function ShortenPage() {
  const [url, setUrl] = useState('');
  const [alias, setAlias] = useState('');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [link, setLink] = useState<Link | null>(null);
  const [error, setError] = useState<{ message: string; fields: Record<string, string> } | null>(null);
  const [copied, setCopied] = useState(false);
  const ids = { url: useId(), alias: useId(), expires: useId(), urlError: useId(), aliasError: useId(), expiresError: useId() };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setCopied(false);
    try {
      const body = { url: url.trim(), ...(alias.trim() ? { alias: alias.trim() } : {}), ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) };
      setLink(await api<Link>('POST', '/api/v1/links', body));
    } catch (e) {
      setLink(null);
      if (e instanceof ApiProblem) setError({ message: e.message, fields: e.fields });
      else if (e instanceof ConnectionLost) setError({ message: e.message, fields: {} });
      else setError({ message: 'Something went wrong; please try again.', fields: {} });
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (link === null) return;
    await navigator.clipboard?.writeText(link.shortUrl).catch(() => undefined);
    setCopied(true);
  }

  const field = (name: string) => error?.fields[`/${name}`];
  return (
    <section aria-labelledby="shorten-title">
      <h1 id="shorten-title">Shorten a link</h1>
      <p className="lede">Paste a long URL; get a short one that counts its clicks. No account needed.</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor={ids.url}>Long URL</label>
        <input
          id={ids.url}
          name="url"
          type="url"
          inputMode="url"
          placeholder="https://example.com/a/very/long/path"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          aria-invalid={field('url') ? true : undefined}
          aria-describedby={field('url') ? ids.urlError : undefined}
          required
          autoFocus
        />
        {field('url') && (
          <p className="field-error" id={ids.urlError}>
            {field('url')}
          </p>
        )}
        <details>
          <summary>Options: custom alias, expiry</summary>
          <label htmlFor={ids.alias}>Custom alias (optional)</label>
          <input id={ids.alias} name="alias" value={alias} onChange={(e) => setAlias(e.target.value)} placeholder="my-launch" aria-invalid={field('alias') ? true : undefined} aria-describedby={field('alias') ? ids.aliasError : undefined} />
          {field('alias') && (
            <p className="field-error" id={ids.aliasError}>
              {field('alias')}
            </p>
          )}
          <label htmlFor={ids.expires}>Expires (optional)</label>
          <input id={ids.expires} name="expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} aria-invalid={field('expiresAt') ? true : undefined} aria-describedby={field('expiresAt') ? ids.expiresError : undefined} />
          {field('expiresAt') && (
            <p className="field-error" id={ids.expiresError}>
              {field('expiresAt')}
            </p>
          )}
        </details>
        <button type="submit" disabled={busy}>
          {busy ? 'Shortening…' : 'Shorten'}
        </button>
      </form>
      {error && Object.keys(error.fields).length === 0 && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
      {link && (
        <div className="result" role="status" aria-live="polite">
          <p>
            Your short link: <a href={link.shortUrl} data-testid="short-url">{link.shortUrl}</a>
          </p>
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy'}
          </button>
          <img src={`/api/v1/links/${encodeURIComponent(link.code)}/qr`} width={160} height={160} alt={`QR code for ${link.shortUrl}`} />
          <p className="muted">
            Goes to <span className="target">{link.url}</span>
            {link.expiresAt && <> · expires {new Date(link.expiresAt).toLocaleString()}</>}
          </p>
        </div>
      )}
    </section>
  );
}
