import { useState } from 'react';
import { Field, FormAlert, useSubmit } from './form.js';
import { Link as AppLink } from './router.js';
import { useSession } from './session.js';

export interface Link {
  code: string;
  shortUrl: string;
  url: string;
  redirect: 301 | 302;
  createdAt: string;
  expiresAt: string | null;
}

/** Shorten a URL, no account needed: optional alias and expiry; the result with copy and QR code. */
export function ShortenPage() {
  const { call, user } = useSession();
  const [url, setUrl] = useState('');
  const [alias, setAlias] = useState('');
  const [expires, setExpires] = useState('');
  const [link, setLink] = useState<Link | null>(null);
  const [copied, setCopied] = useState(false);
  const { busy, error, submit } = useSubmit(async () => {
    setCopied(false);
    setLink(null);
    const body = { url: url.trim(), ...(alias.trim() ? { alias: alias.trim() } : {}), ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}) };
    setLink(await call<Link>('POST', '/api/v1/links', body));
  });

  async function copy() {
    if (link === null) return;
    await navigator.clipboard?.writeText(link.shortUrl).catch(() => undefined);
    setCopied(true);
  }

  const field = (name: string) => error?.fields[`/${name}`];
  return (
    <section aria-labelledby="shorten-title">
      <h1 id="shorten-title">Shorten a link</h1>
      <p className="lede">
        Paste a long URL; get a short one that counts its clicks.{' '}
        {user ? (
          'It is saved under My links.'
        ) : (
          <>
            No account needed; <AppLink href="/signup">create one</AppLink> to keep your links, see their analytics and post to the feed.
          </>
        )}
      </p>
      <form onSubmit={submit} noValidate>
        <Field label="Long URL" name="url" type="url" inputMode="url" placeholder="https://example.com/a/very/long/path" value={url} onChange={(e) => setUrl(e.target.value)} error={field('url')} required autoFocus />
        <details>
          <summary>Options: custom alias, expiry</summary>
          <Field label="Custom alias (optional)" name="alias" value={alias} onChange={(e) => setAlias(e.target.value)} placeholder="my-launch" error={field('alias')} />
          <Field label="Expires (optional)" name="expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} error={field('expiresAt')} />
        </details>
        <button type="submit" disabled={busy}>
          {busy ? 'Shortening…' : 'Shorten'}
        </button>
      </form>
      <FormAlert error={error} shown={['/url', '/alias', '/expiresAt']} />
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
