import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiProblem } from '../api.js';
import { formError } from '../form.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { useLive } from './live.js';
import { usePaged } from './paged.js';
import { PageFooter, RichText, TimeAgo, useNow } from './tweet.js';
import type { Notification, NotificationPage, Tweet } from './types.js';
import { setUnread, useUnread } from './unread.js';

const WHAT: Record<Notification['kind'], string> = {
  follow: 'followed you',
  like: 'liked your tweet',
  mention: 'mentioned you',
  reply: 'replied to your tweet',
  chat_message: 'sent you messages',
};

/**
 * `/notifications`: mentions, replies, likes and follows, newest first, unread ones marked; new ones
 * come in live. "Mark all read" clears them (and the badge in the header).
 */
export default function NotificationsPage() {
  const { call } = useSession();
  const now = useNow();
  const unread = useUnread();
  const [marking, setMarking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    async (cursor: string | undefined) => {
      const page = await call<NotificationPage>('GET', `/api/v1/notifications${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`);
      if (cursor === undefined) setUnread(page.unread);
      return page;
    },
    [call],
  );
  const paged = usePaged<Notification>('notifications', load);
  const { items, setItems, reload } = paged;
  const tweets = useTweets(items);

  useLive((event) => {
    if (event.type === 'notification') setItems((shown) => (shown === null || shown.some((n) => n.id === event.data.id) ? shown : [event.data, ...shown]));
    else if (event.type === 'resync') reload();
  });

  async function markAllRead() {
    setMarking(true);
    setError(null);
    try {
      const answer = await call<{ unread: number }>('POST', '/api/v1/notifications/read', {});
      setItems((shown) => shown?.map((n) => ({ ...n, read: true })) ?? shown);
      setUnread(answer.unread);
    } catch (e) {
      setError(formError(e).message);
    } finally {
      setMarking(false);
    }
  }

  const anyUnread = unread > 0 || (items?.some((n) => !n.read) ?? false);
  return (
    <section aria-labelledby="notifications-title" className="feed-page">
      <div className="feed-title-row">
        <h1 id="notifications-title">Notifications</h1>
        <button type="button" onClick={() => void markAllRead()} disabled={marking || !anyUnread}>
          {marking ? 'Marking…' : 'Mark all read'}
        </button>
      </div>
      <p className="muted" role="status">
        {items === null ? '' : unread === 0 ? 'All caught up.' : `${unread} unread`}
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {items !== null && items.length > 0 && (
        <ol className="feed-list" aria-label="Notifications">
          {items.map((n) => (
            <li key={n.id} className={n.read ? 'feed-notification' : 'feed-notification feed-unread'}>
              {!n.read && <span className="feed-new">New</span>}
              <p>
                {n.actor.username === null ? <span>A deleted account</span> : <Link href={`/u/${encodeURIComponent(n.actor.username)}`}>@{n.actor.username}</Link>} {WHAT[n.kind]}
                {' · '}
                <TimeAgo iso={n.createdAt} now={now} />
              </p>
              {n.tweetId !== undefined && <TweetSnippet tweet={tweets.get(n.tweetId)} />}
              {n.conversationId !== undefined && <Link href={`/chat/${encodeURIComponent(n.conversationId)}`}>Open the conversation</Link>}
            </li>
          ))}
        </ol>
      )}
      {items !== null && items.length === 0 && !paged.loading && !paged.error && (
        <p className="feed-empty">No notifications yet. When someone follows you, likes, mentions or answers one of your tweets, you will see it here.</p>
      )}
      <PageFooter paged={paged} nouns={['notification', 'notifications']} />
    </section>
  );
}

function TweetSnippet({ tweet }: { tweet: Tweet | null | undefined }) {
  if (tweet === undefined) return null;
  if (tweet === null) return <p className="muted feed-snippet">(This tweet was deleted.)</p>;
  return (
    <blockquote className="feed-snippet">
      <RichText text={tweet.text} />
    </blockquote>
  );
}

/** The tweets the notifications are about, fetched once each; null for a deleted one. */
function useTweets(items: Notification[] | null): Map<string, Tweet | null> {
  const { call } = useSession();
  const [tweets, setTweets] = useState(() => new Map<string, Tweet | null>());
  const asked = useRef(new Set<string>());
  useEffect(() => {
    const wanted = [...new Set((items ?? []).flatMap((n) => (n.tweetId === undefined ? [] : [n.tweetId])))].filter((id) => !asked.current.has(id));
    for (const id of wanted) {
      asked.current.add(id);
      call<Tweet>('GET', `/api/v1/tweets/${encodeURIComponent(id)}`)
        .then((tweet) => setTweets((known) => new Map(known).set(id, tweet)))
        .catch((e: unknown) => {
          if (e instanceof ApiProblem && e.status === 404) setTweets((known) => new Map(known).set(id, null));
          // Anything else (offline): asked again with the next change of the list.
          else asked.current.delete(id);
        });
    }
  }, [items, call]);
  return tweets;
}
