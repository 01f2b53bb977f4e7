import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Field, FormAlert, formError, useSubmit, type FormError } from '../form.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../session.js';
import type { Link as ShortLink } from '../shorten.page.js';

interface LinkPage {
  items: ShortLink[];
  nextCursor: string | null;
}

const PAGE_SIZE = 20;

/** The signed-in user's links: search, pages, edit the target or expiry, delete. */
export default function LinksPage({ query }: { query: URLSearchParams }) {
  const { call } = useSession();
  const q = query.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const [items, setItems] = useState<ShortLink[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      setError(null);
      try {
        const params = new URLSearchParams({ limit: String(PAGE_SIZE), ...(q ? { q } : {}), ...(after ? { cursor: after } : {}) });
        const page = await call<LinkPage>('GET', `/api/v1/links?${params}`);
        setItems((prev) => (after === null ? page.items : [...(prev ?? []), ...page.items]));
        setCursor(page.nextCursor);
      } catch (e) {
        setError(formError(e));
      }
    },
    [call, q],
  );
  useEffect(() => void load(null), [load]);

  function submitSearch(e: FormEvent) {
    e.preventDefault();
    navigate(search.trim() ? `/links?q=${encodeURIComponent(search.trim())}` : '/links', { replace: true });
  }

  async function remove(link: ShortLink) {
    if (!window.confirm(`Delete ${link.shortUrl}? It stops redirecting at once, and its code is never reused.`)) return;
    try {
      await call('DELETE', `/api/v1/links/${encodeURIComponent(link.code)}`);
      setItems((prev) => prev?.filter((l) => l.code !== link.code) ?? null);
    } catch (e) {
      setError(formError(e));
    }
  }

  return (
    <section aria-labelledby="links-title">
      <h1 id="links-title">My links</h1>
      <form className="row" role="search" onSubmit={submitSearch}>
        <label htmlFor="links-search" className="visually-hidden">
          Search my links
        </label>
        <input id="links-search" type="search" placeholder="Search by code or URL" value={search} onChange={(e) => setSearch(e.target.value)} style={{ flex: 1, minWidth: '10rem', width: 'auto' }} />
        <button type="submit">Search</button>
      </form>
      <FormAlert error={error} />
      {items === null && !error && <p aria-busy="true">Loading…</p>}
      {items?.length === 0 && <p>{q ? `No link matches “${q}”.` : <>No links yet. <Link href="/">Shorten one</Link>.</>}</p>}
      {items && items.length > 0 && (
        <ul className="links-list">
          {items.map((link) =>
            editing === link.code ? (
              <li key={link.code}>
                <EditLink link={link} onDone={(updated) => { setEditing(null); if (updated) setItems((prev) => prev?.map((l) => (l.code === updated.code ? updated : l)) ?? null); }} />
              </li>
            ) : (
              <li key={link.code} className="links-item">
                <div className="links-main">
                  <a href={link.shortUrl}>{link.shortUrl.replace(/^https?:\/\//, '')}</a>
                  <span className="muted target">{link.url}</span>
                  <span className="muted">
                    created {new Date(link.createdAt).toLocaleDateString()}
                    {link.expiresAt && ` · expires ${new Date(link.expiresAt).toLocaleString()}`}
                  </span>
                </div>
                <div className="row">
                  <Link href={`/links/${encodeURIComponent(link.code)}`}>Analytics</Link>
                  <button type="button" className="link" onClick={() => setEditing(link.code)} aria-label={`Edit ${link.code}`}>
                    Edit
                  </button>
                  <button type="button" className="link danger" onClick={() => void remove(link)} aria-label={`Delete ${link.code}`}>
                    Delete
                  </button>
                </div>
              </li>
            ),
          )}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Load more
        </button>
      )}
    </section>
  );
}

/** Changes a link's target and expiry in place. */
function EditLink({ link, onDone }: { link: ShortLink; onDone: (updated: ShortLink | null) => void }) {
  const { call } = useSession();
  const [url, setUrl] = useState(link.url);
  const [expires, setExpires] = useState(link.expiresAt ? toLocalInput(link.expiresAt) : '');
  const { error, submit: save } = useSubmit(async () => {
    onDone(await call<ShortLink>('PATCH', `/api/v1/links/${encodeURIComponent(link.code)}`, { url: url.trim(), expiresAt: expires ? new Date(expires).toISOString() : null }));
  });
  return (
    <form onSubmit={save} aria-label={`Edit ${link.code}`} noValidate>
      <Field label={`Target of ${link.code}`} type="url" value={url} onChange={(e) => setUrl(e.target.value)} error={error?.fields['/url']} autoFocus />
      <Field label="Expires (empty: never)" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} error={error?.fields['/expiresAt']} />
      <FormAlert error={error} shown={['/url', '/expiresAt']} />
      <div className="row">
        <button type="submit">Save</button>
        <button type="button" className="link" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** An ISO time as a datetime-local input value (local time, minutes). */
function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
