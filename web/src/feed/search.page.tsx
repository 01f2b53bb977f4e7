import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Field } from '../form.js';
import { Link, navigate } from '../router.js';
import { useSession } from '../session.js';
import { usePaged } from './paged.js';
import { PageFooter, TimeAgo, TweetList, useNow } from './tweet.js';
import type { Page, Tweet, UserHit } from './types.js';

type SearchType = 'tweets' | 'users';

const searchPath = (q: string, type: SearchType) => `/search?${new URLSearchParams({ q, ...(type === 'users' ? { type } : {}) }).toString()}`;

/**
 * `/search?q=&type=`: tweets (all the words, ranked; or one `#tag`) with the matched words in <mark>,
 * or people by name prefix. The query lives in the URL: back/forward and shared links work.
 */
export default function SearchPage({ query }: { query: URLSearchParams }) {
  const q = (query.get('q') ?? '').trim();
  const type: SearchType = query.get('type') === 'users' ? 'users' : 'tweets';
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);

  function submit(event: FormEvent) {
    event.preventDefault();
    navigate(searchPath(text.trim(), type));
  }

  return (
    <section aria-labelledby="search-title" className="feed-page">
      <h1 id="search-title">Search</h1>
      <form role="search" className="feed-search" onSubmit={submit}>
        <div className="feed-search-field">
          <Field label={type === 'users' ? 'Search users' : 'Search tweets'} name="q" type="search" value={text} onChange={(e) => setText(e.target.value)} maxLength={256} placeholder={type === 'users' ? 'A name, or its beginning' : 'Words, or a #tag'} autoFocus={q === ''} />
        </div>
        <button type="submit">Search</button>
      </form>
      <nav className="feed-tabs" aria-label="Search for">
        <Link href={searchPath(q, 'tweets')} aria-current={type === 'tweets' ? 'page' : undefined}>
          Tweets
        </Link>
        <Link href={searchPath(q, 'users')} aria-current={type === 'users' ? 'page' : undefined}>
          Users
        </Link>
      </nav>
      {q === '' ? <p className="muted">{type === 'users' ? 'Type the beginning of a name.' : 'Type some words: tweets with all of them are found, the best matches first. Or a #tag.'}</p> : type === 'tweets' ? <TweetResults q={q} /> : <UserResults q={q} />}
    </section>
  );
}

function useSearch<T extends { id: string }>(q: string, type: SearchType) {
  const { call } = useSession();
  const load = useCallback(
    (cursor: string | undefined) => call<Page<T>>('GET', `/api/v1/search?${new URLSearchParams({ q, type, ...(cursor === undefined ? {} : { cursor }) }).toString()}`),
    [call, q, type],
  );
  return usePaged<T>(`${type}:${q}`, load);
}

function TweetResults({ q }: { q: string }) {
  const paged = useSearch<Tweet>(q, 'tweets');
  return <TweetList paged={paged} label={`Tweets matching ${q}`} empty={<p>No tweets match “{q}”.</p>} />;
}

function UserResults({ q }: { q: string }) {
  const paged = useSearch<UserHit>(q, 'users');
  const now = useNow();
  return (
    <>
      {paged.items !== null && paged.items.length > 0 && (
        <ul className="feed-list" aria-label={`People matching ${q}`}>
          {paged.items.map((u) => (
            <li key={u.id} className="feed-user">
              <Link href={`/u/${encodeURIComponent(u.username)}`}>@{u.username}</Link>
              <span className="muted">
                joined <TimeAgo iso={u.createdAt} now={now} />
              </span>
            </li>
          ))}
        </ul>
      )}
      {paged.items !== null && paged.items.length === 0 && !paged.loading && !paged.error && <p className="feed-empty">Nobody’s name starts with “{q}”.</p>}
      <PageFooter paged={paged} nouns={['person', 'people']} />
    </>
  );
}
