import { useEffect, useSyncExternalStore } from 'react';
import { useSession } from '../session.js';
import { ChatClient } from './client.js';
import type { ChatState } from './state.js';

/** One chat client (and socket) per tab, open while a chat page is. */
const client = new ChatClient();
let users = 0;
let closeTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * The chat's state and its client, for the signed-in user; re-renders on every change. The socket
 * opens with the first user of the hook and closes a second after the last one leaves (a page
 * change, or React's double effects, unmounts and mounts again at once).
 */
export function useChat(): { state: ChatState; client: ChatClient } {
  const { user, token, call } = useSession();
  const userId = user?.id;
  const username = user?.username;
  useEffect(() => {
    if (userId === undefined || username === undefined) {
      client.detach();
      return;
    }
    clearTimeout(closeTimer);
    users++;
    client.attach({ userId, username, token, call });
    return () => {
      users--;
      if (users === 0) closeTimer = setTimeout(() => users === 0 && client.detach(), 1_000);
    };
  }, [userId, username, token, call]);
  const state = useSyncExternalStore(
    (listener) => client.subscribe(listener),
    () => client.state,
  );
  return { state, client };
}
