import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { FormAlert, formError, type FormError } from '../form.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { useLive, useLiveStatus } from './live.js';
import { usePaged } from './paged.js';
import { TweetList } from './tweet.js';
import type { Page, Tweet } from './types.js';

/** The server's limit: 280 code points after NFC normalisation (an emoji counts once). */
const MAX_LENGTH = 280;
const lengthOf = (text: string) => [...text.normalize('NFC')].length;

/** Newest first by id (ids are time-sorted snowflakes, as decimal strings). */
const newestFirst = (a: Tweet, b: Tweet) => (BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0);

/** Puts a tweet in a newest-first list once (a live event and one's own post may bring the same one). */
function withTweet(shown: Tweet[] | null, tweet: Tweet): Tweet[] | null {
  if (shown === null) return shown;
  if (shown.some((t) => t.id === tweet.id)) return shown;
  return [...shown, tweet].sort(newestFirst);
}

/**
 * `/home`: compose a tweet, and the home timeline (the people one follows and oneself), kept live by
 * the stream: new tweets come in at the top and deleted ones leave, without a reload.
 */
export default function HomePage() {
  const { user, call } = useSession();
  const load = useCallback((cursor: string | undefined) => call<Page<Tweet>>('GET', `/api/v1/timeline/home${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`), [call]);
  const paged = usePaged<Tweet>(`home:${user?.id ?? ''}`, load);
  const { setItems, reload } = paged;
  const status = useLiveStatus();
  const [announcement, setAnnouncement] = useState('');
  // Live tweets that came before the first page: merged into it once it is in.
  const early = useRef<Tweet[]>([]);
  const loaded = useRef(false);
  const add = useCallback(
    (tweet: Tweet) => {
      if (!loaded.current) early.current.push(tweet);
      setItems((shown) => withTweet(shown, tweet));
    },
    [setItems],
  );
  const hasItems = paged.items !== null;
  useEffect(() => {
    loaded.current = hasItems;
    if (!hasItems || early.current.length === 0) return;
    const waiting = early.current;
    early.current = [];
    setItems((shown) => waiting.reduce(withTweet, shown));
  }, [hasItems, setItems]);

  useLive((event) => {
    if (event.type === 'tweet') {
      call<Tweet>('GET', `/api/v1/tweets/${encodeURIComponent(event.data.id)}`)
        .then((tweet) => {
          add(tweet);
          if (tweet.authorId !== user?.id) setAnnouncement(`New tweet from @${tweet.author ?? 'someone'}`);
        })
        // Deleted meanwhile (404), or the connection is down: the next load has it right.
        .catch(() => undefined);
    } else if (event.type === 'delete') {
      early.current = early.current.filter((t) => t.id !== event.data.id);
      setItems((shown) => shown?.filter((t) => t.id !== event.data.id) ?? shown);
    } else if (event.type === 'resync') {
      reload();
    }
  });

  return (
    <section aria-labelledby="home-title" className="feed-page" data-live={status}>
      <h1 id="home-title">Home</h1>
      <Compose onPosted={add} />
      <div role="status" className="feed-live-status">
        {status === 'lost' && <p className="feed-lost">Connection lost — reconnecting…</p>}
      </div>
      <p className="feed-sr" aria-live="polite">
        {announcement}
      </p>
      <h2 className="feed-sr">Your timeline</h2>
      <TweetList
        paged={paged}
        label="Home timeline"
        empty={
          <>
            <p>
              <strong>Your timeline is empty.</strong> Tweets from you and the people you follow show up here, as they are posted.
            </p>
            <p>
              Say hello above, or <Link href="/search?type=users">find people to follow</Link>.
            </p>
          </>
        }
      />
    </section>
  );
}

/** The compose box: a labelled textarea with a live character count; errors next to the field. */
function Compose({ onPosted }: { onPosted: (tweet: Tweet) => void }) {
  const { call } = useSession();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);
  const id = useId();
  const errorId = `${id}-error`;
  const counterId = `${id}-counter`;
  const left = MAX_LENGTH - lengthOf(text);
  const fieldError = error?.fields['/text'];

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const tweet = await call<Tweet>('POST', '/api/v1/tweets', { text });
      setText('');
      onPosted(tweet);
    } catch (e) {
      setError(formError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="feed-compose" onSubmit={submit} noValidate>
      <label htmlFor={id}>What&apos;s happening?</label>
      <textarea
        id={id}
        name="text"
        rows={3}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          // The message was about the text as it was: it goes once the text changes.
          if (error !== null) setError(null);
        }}
        onKeyDown={(e) => {
          // Ctrl/Cmd+Enter posts, as on most social sites.
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
        }}
        aria-invalid={fieldError ? true : undefined}
        aria-describedby={fieldError ? `${errorId} ${counterId}` : counterId}
      />
      {fieldError && (
        <p className="field-error" id={errorId}>
          {fieldError}
        </p>
      )}
      <div className="feed-compose-foot">
        <span id={counterId} className={left < 0 ? 'feed-counter feed-over' : left <= 20 ? 'feed-counter feed-near' : 'feed-counter'}>
          {left < 0 ? `${-left} ${left === -1 ? 'character' : 'characters'} over the limit of ${MAX_LENGTH}` : `${left} of ${MAX_LENGTH} characters left`}
        </span>
        <button type="submit" disabled={busy}>
          {busy ? 'Posting…' : 'Post'}
        </button>
      </div>
      <FormAlert error={error} shown={['/text']} />
    </form>
  );
}
