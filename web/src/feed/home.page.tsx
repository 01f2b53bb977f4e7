import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { Composer } from './composer.js';
import { useLive, useLiveStatus } from './live.js';
import { usePaged, withItem } from './paged.js';
import { TweetList } from './tweet.js';
import type { Page, Tweet } from './types.js';

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
      setItems((shown) => withItem(shown, tweet));
    },
    [setItems],
  );
  const hasItems = paged.items !== null;
  useEffect(() => {
    loaded.current = hasItems;
    if (!hasItems || early.current.length === 0) return;
    const waiting = early.current;
    early.current = [];
    setItems((shown) => waiting.reduce(withItem, shown));
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
      <Composer label="What's happening?" onPosted={add} />
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
        infinite
        onPosted={add}
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
