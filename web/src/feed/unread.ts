import { useSyncExternalStore } from 'react';

/** The signed-in user's unread notification count, shared by the nav's badge and the notifications page. */
let unread = 0;
/** Bumped on every change: a count fetched before a change (say, "Mark all read") is stale. */
let version = 0;
const listeners = new Set<() => void>();

export function setUnread(count: number): void {
  version++;
  if (count === unread) return;
  unread = count;
  for (const listener of listeners) listener();
}

/** The version to pass to `setUnreadIfUnchanged` when a fetch of the count starts. */
export function unreadVersion(): number {
  return version;
}

/** Sets a fetched count unless the count changed since the fetch started. */
export function setUnreadIfUnchanged(count: number, since: number): void {
  if (since === version) setUnread(count);
}

export function useUnread(): number {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => unread,
  );
}
