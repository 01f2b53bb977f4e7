import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { formError } from '../form.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { Composer } from './composer.js';
import type { Paged } from './paged.js';
import type { Highlight, Tweet } from './types.js';

// The server's own rules (src/modules/feed/feed.text.ts): `@name` not inside a word or an email
// address, `#tag` not inside a word; an all-digit tag is text.
const ENTITY = /(?<![\p{L}\p{M}\p{N}_@.])@([a-z0-9_]{3,30})(?![a-z0-9_])|(?<![\p{L}\p{M}\p{N}_&#])#([\p{L}\p{M}\p{N}_]+)/giu;

/** `text[from, to)` as text nodes, the parts inside `highlights` wrapped in <mark>. */
function marked(text: string, from: number, to: number, highlights: readonly Highlight[], key: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  let at = from;
  for (const h of highlights) {
    const start = Math.max(h.start, at);
    const end = Math.min(h.end, to);
    if (end <= start) continue;
    if (start > at) nodes.push(text.slice(at, start));
    nodes.push(<mark key={`${key}-${start}`}>{text.slice(start, end)}</mark>);
    at = end;
  }
  if (at < to) nodes.push(text.slice(at, to));
  return nodes;
}

/**
 * A tweet's text as React nodes (never HTML): @mentions link to profiles, #tags to their search, and
 * the search's matched spans are in <mark>. Ranges are UTF-16 offsets, as the API gives them.
 */
export function RichText({ text, highlights = [] }: { text: string; highlights?: readonly Highlight[] | undefined }) {
  const spans = [...highlights].filter((h) => Number.isInteger(h.start) && Number.isInteger(h.end) && h.start < h.end).sort((a, b) => a.start - b.start);
  const nodes: ReactNode[] = [];
  let at = 0;
  for (const m of text.matchAll(ENTITY)) {
    const [whole, name, tag] = m;
    if (tag !== undefined && /^[0-9_]+$/.test(tag)) continue;
    const start = m.index;
    const end = start + whole.length;
    nodes.push(...marked(text, at, start, spans, `t${at}`));
    const href = name !== undefined ? `/u/${name.toLowerCase()}` : `/search?q=${encodeURIComponent(`#${tag!}`)}`;
    nodes.push(
      <Link key={`e${start}`} href={href}>
        {marked(text, start, end, spans, `e${start}`)}
      </Link>,
    );
    at = end;
  }
  nodes.push(...marked(text, at, text.length, spans, `t${at}`));
  return <>{nodes}</>;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** "now", "5 min. ago", "3 hr. ago", "2 days ago", then the date. */
export function relativeTime(iso: string, now: number): string {
  const then = Date.parse(iso);
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return relative.format(0, 'second');
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return relative.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 24) return relative.format(-hours, 'hour');
  const days = Math.round(hours / 24);
  if (days < 7) return relative.format(-days, 'day');
  return day.format(then);
}

/** The current time, ticking every `everyMs` (relative times stay true on a page left open). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function TimeAgo({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} title={absolute.format(Date.parse(iso))}>
      {relativeTime(iso, now)}
    </time>
  );
}

/**
 * One tweet: author (a link to the profile), relative time, what it replies to, text, like button
 * with its count, Reply (an inline reply box) with the count of replies, and Delete (with a
 * confirmation) on one's own tweets.
 */
export function TweetItem({
  tweet,
  now,
  parentAuthor,
  onChange,
  onDeleted,
  onReplied,
}: {
  tweet: Tweet;
  now: number;
  /** The author of the tweet this one replies to, when it is on the page. */
  parentAuthor?: string | null | undefined;
  /** Fields of the tweet that changed. */
  onChange: (change: Pick<Tweet, 'id'> & Partial<Tweet>) => void;
  onDeleted: (id: string) => void;
  /** A reply to this tweet was posted. */
  onReplied?: ((reply: Tweet) => void) | undefined;
}) {
  const { user, call } = useSession();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [replying, setReplying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const replyButton = useRef<HTMLButtonElement>(null);
  const replyBoxId = useId();
  const likes = tweet.likeCount ?? 0;
  const replies = tweet.replyCount ?? 0;
  const own = user != null && user.id === tweet.authorId;

  /** Closes the reply box, the focus back on the Reply button. */
  function closeReply() {
    setReplying(false);
    replyButton.current?.focus();
  }

  async function toggleLike() {
    setBusy(true);
    setError(null);
    const liking = !tweet.likedByMe;
    try {
      const answer = await call<{ likeCount: number }>(liking ? 'PUT' : 'DELETE', `/api/v1/tweets/${encodeURIComponent(tweet.id)}/like`);
      onChange({ id: tweet.id, likeCount: answer.likeCount, likedByMe: liking });
    } catch (e) {
      setError(formError(e).message);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await call('DELETE', `/api/v1/tweets/${encodeURIComponent(tweet.id)}`);
      onDeleted(tweet.id);
    } catch (e) {
      setError(formError(e).message);
      setBusy(false);
    }
  }

  return (
    <article className="feed-tweet">
      <header className="feed-tweet-head">
        {tweet.author === null ? (
          <span className="muted">a deleted account</span>
        ) : (
          <Link className="feed-author" href={`/u/${encodeURIComponent(tweet.author)}`}>
            @{tweet.author}
          </Link>
        )}
        <span aria-hidden="true">·</span>
        <TimeAgo iso={tweet.createdAt} now={now} />
      </header>
      {tweet.replyTo ? (
        // The API gives the answered tweet's id only: its author is named when that tweet is on the page.
        <p className="feed-reply-to">
          <span aria-hidden="true">↳ </span>
          {parentAuthor ? (
            <>
              in reply to <Link href={`/u/${encodeURIComponent(parentAuthor)}`}>@{parentAuthor}</Link>
            </>
          ) : (
            'Replying to a tweet'
          )}
        </p>
      ) : null}
      <p className="feed-text">
        <RichText text={tweet.text} highlights={tweet.highlights} />
      </p>
      <footer className="feed-actions">
        {user ? (
          <button type="button" className="feed-action" aria-pressed={tweet.likedByMe === true} disabled={busy} onClick={() => void toggleLike()}>
            <span aria-hidden="true">{tweet.likedByMe ? '♥' : '♡'}</span> Like <span className="feed-count">{likes}</span>
          </button>
        ) : (
          <span className="feed-stat">
            {likes} {likes === 1 ? 'like' : 'likes'}
          </span>
        )}
        {user ? (
          <button
            ref={replyButton}
            type="button"
            className="feed-action"
            aria-expanded={replying}
            aria-controls={replying ? replyBoxId : undefined}
            onClick={() => (replying ? closeReply() : setReplying(true))}
          >
            <span aria-hidden="true">↩</span> Reply <span className="feed-count">{replies}</span>
          </button>
        ) : (
          <span className="feed-stat">
            {replies} {replies === 1 ? 'reply' : 'replies'}
          </span>
        )}
        {own && !confirming && (
          <button type="button" className="feed-action feed-danger" disabled={busy} onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
        {own && confirming && (
          <span className="feed-confirm" role="group" aria-label="Delete this tweet?">
            <span>Delete this tweet?</span>
            <button type="button" className="feed-action feed-danger" disabled={busy} onClick={() => void remove()} autoFocus>
              Yes, delete
            </button>
            <button type="button" className="feed-action" disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        )}
      </footer>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {user && replying && (
        <div id={replyBoxId}>
          <Composer
            className="feed-reply-compose"
            label={tweet.author === null ? 'Reply to this tweet' : `Reply to @${tweet.author}`}
            replyTo={tweet.id}
            submitLabel="Post reply"
            autoFocus
            onCancel={closeReply}
            onPosted={(reply) => {
              closeReply();
              onReplied?.(reply);
            }}
          />
        </div>
      )}
    </article>
  );
}

/**
 * A paged list of tweets with its loading, error, empty and "Load more" states; `infinite`, the next
 * page also comes as the end of the list scrolls into view. A reply posted from the list counts on
 * its tweet and is handed to `onPosted` (the list's page decides whether it belongs there).
 */
export function TweetList({
  paged,
  label,
  empty,
  infinite = false,
  onPosted,
}: {
  paged: Paged<Tweet>;
  label: string;
  empty: ReactNode;
  infinite?: boolean;
  onPosted?: (tweet: Tweet) => void;
}) {
  const now = useNow();
  const { items, setItems } = paged;
  const authors = new Map(items?.map((t) => [t.id, t.author]));
  const update = (id: string, change: (t: Tweet) => Partial<Tweet>) => setItems((shown) => shown?.map((t) => (t.id === id ? { ...t, ...change(t) } : t)) ?? shown);
  const drop = (id: string) => setItems((shown) => shown?.filter((t) => t.id !== id) ?? shown);
  const replied = (reply: Tweet) => {
    if (reply.replyTo) update(reply.replyTo, (t) => ({ replyCount: (t.replyCount ?? 0) + 1 }));
    onPosted?.(reply);
  };
  return (
    <>
      {items !== null && items.length > 0 && (
        <ol className="feed-list" aria-label={label}>
          {items.map((tweet) => (
            <li key={tweet.id}>
              <TweetItem
                tweet={tweet}
                now={now}
                parentAuthor={tweet.replyTo ? authors.get(tweet.replyTo) : undefined}
                onChange={(change) => update(change.id, () => change)}
                onDeleted={drop}
                onReplied={replied}
              />
            </li>
          ))}
        </ol>
      )}
      {items !== null && items.length === 0 && !paged.loading && !paged.error && <div className="feed-empty">{empty}</div>}
      <PageFooter paged={paged} infinite={infinite} nouns={['tweet', 'tweets']} />
    </>
  );
}

/**
 * While `enabled` and a next page can be asked for, loads it when the returned element (put after the
 * list) comes within a screen's margin of the viewport. Watched anew after each page: a new observer
 * reports at once whether the end is still in view (a short page on a tall screen), so it goes on
 * until the screen is filled or the list ends. Without IntersectionObserver, "Load more" remains.
 */
function useLoadOnView<T extends { id: string }>(paged: Paged<T>, enabled: boolean) {
  const sentinel = useRef<HTMLDivElement>(null);
  const more = useRef(paged.more);
  useEffect(() => {
    more.current = paged.more;
  });
  const watch = enabled && paged.items !== null && paged.nextCursor !== null && paged.error === null && !paged.loading;
  useEffect(() => {
    const target = sentinel.current;
    if (!watch || target === null || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && more.current(), { rootMargin: '0px 0px 400px 0px' });
    observer.observe(target);
    return () => observer.disconnect();
  }, [watch]);
  return sentinel;
}

/**
 * Under a paged list: "Loading…" for the first page, the error with a retry, or "Load more" while
 * there is a next page (with `infinite`, loaded on scrolling too); next pages are announced politely.
 */
export function PageFooter<T extends { id: string }>({
  paged,
  infinite = false,
  nouns: [one, many] = ['item', 'items'],
}: {
  paged: Paged<T>;
  infinite?: boolean;
  /** What the list holds, singular and plural, for the announcements. */
  nouns?: [string, string];
}) {
  const sentinel = useLoadOnView(paged, infinite);
  const { added } = paged;
  const announcement = paged.loadingMore
    ? `Loading more ${many}…`
    : added === null
      ? ''
      : `${added} more ${added === 1 ? one : many} loaded${paged.nextCursor === null ? ', that is all' : ''}.`;
  return (
    <>
      {infinite && <div ref={sentinel} className="feed-sentinel" aria-hidden="true" />}
      <FooterState paged={paged} />
      <p className="feed-sr" role="status">
        {announcement}
      </p>
    </>
  );
}

function FooterState<T extends { id: string }>({ paged }: { paged: Paged<T> }) {
  if (paged.error !== null) {
    return (
      <div className="feed-more">
        <p className="error" role="alert">
          {paged.error}
        </p>
        <button type="button" onClick={paged.items === null ? paged.reload : paged.more}>
          Try again
        </button>
      </div>
    );
  }
  if (paged.items === null) {
    return (
      <p className="feed-more muted" aria-busy="true">
        Loading…
      </p>
    );
  }
  if (paged.nextCursor === null) return null;
  // aria-disabled, not disabled: the button keeps the keyboard focus while the page loads.
  return (
    <div className="feed-more">
      <button type="button" onClick={paged.more} aria-disabled={paged.loading} aria-busy={paged.loading}>
        {paged.loading ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
