import { useCallback, useEffect, useRef } from 'react';
import { Link, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { useLive } from './live.js';
import type { NotificationPage } from './types.js';
import { setUnread, setUnreadIfUnchanged, unreadVersion, useUnread } from './unread.js';

/**
 * The feed's links in the header, signed-in users only: Home, Search, and Notifications with the
 * unread count, kept fresh on navigation and by the live stream's `notification` events.
 */
export function FeedNav() {
  const { user, call } = useSession();
  const { path } = useLocation();
  const unread = useUnread();
  const fetching = useRef({ busy: false, again: false });
  const userId = user?.id;

  const refresh = useCallback(() => {
    const state = fetching.current;
    if (userId === undefined) return;
    // One count request at a time; a change meanwhile asks again once it is answered.
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    const since = unreadVersion();
    call<NotificationPage>('GET', '/api/v1/notifications?limit=1')
      .then((page) => setUnreadIfUnchanged(page.unread, since))
      .catch(() => undefined)
      .finally(() => {
        state.busy = false;
        if (state.again) {
          state.again = false;
          refresh();
        }
      });
  }, [userId, call]);

  useEffect(() => {
    if (userId === undefined) setUnread(0);
    else refresh();
  }, [userId, path, refresh]);

  useLive((event) => {
    if (event.type === 'notification' || event.type === 'resync') refresh();
  });

  if (!user) return null;
  const current = (href: string) => (path === href ? 'page' : undefined);
  return (
    <>
      <Link href="/home" aria-current={current('/home')}>
        Home
      </Link>
      <Link href="/search" aria-current={current('/search')}>
        Search
      </Link>
      <Link className="feed-nav-notifications" href="/notifications" aria-current={current('/notifications')} aria-label={unread > 0 ? `Notifications (${unread} unread)` : 'Notifications'}>
        Notifications
        {unread > 0 && (
          <span className="feed-badge" aria-hidden="true">
            {unread > 999 ? '999+' : unread}
          </span>
        )}
      </Link>
    </>
  );
}
