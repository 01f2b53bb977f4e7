import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { formError } from '../form.js';
import type { Page } from './types.js';

export interface Paged<T> {
  /** Null until the first page is in. */
  items: T[] | null;
  setItems: Dispatch<SetStateAction<T[] | null>>;
  nextCursor: string | null;
  loading: boolean;
  /** Loading a next page (not the first one, nor a reload). */
  loadingMore: boolean;
  error: string | null;
  /** How many items the last next page added; null before one is in (and while loading, or after a failure). */
  added: number | null;
  /** Loads the next page (with the cursor), appending what is not shown yet; one request at a time. */
  more: () => void;
  /** Loads the first page again. */
  reload: () => void;
}

/** Newest first by id (ids are time-sorted snowflakes, as decimal strings). */
const newestFirst = (a: { id: string }, b: { id: string }) => (BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0);

/** Puts an item in a newest-first list once (a live event and one's own post may bring the same one). */
export function withItem<T extends { id: string }>(shown: T[] | null, item: T): T[] | null {
  if (shown === null) return shown;
  if (shown.some((t) => t.id === item.id)) return shown;
  return [...shown, item].sort(newestFirst);
}

/** `shown` then the items of `page` that are not in it yet (nor twice in the page). */
function appended<T extends { id: string }>(shown: T[], page: readonly T[]): T[] {
  const seen = new Set(shown.map((i) => i.id));
  const added: T[] = [];
  for (const item of page) {
    if (seen.has(item.id)) continue;
    seen.add(item.id);
    added.push(item);
  }
  return added.length === 0 ? shown : [...shown, ...added];
}

/**
 * A cursor-paged list: the first page on mount and whenever `key` changes, then "Load more".
 * Answers for an older key (or a reload since) are dropped, so a slow page never lands in a newer list.
 */
export function usePaged<T extends { id: string }>(key: string, load: (cursor: string | undefined) => Promise<Page<T>>): Paged<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<number | null>(null);
  const generation = useRef(0);
  /** A request is out (set at once: a scroll and a click in the same frame ask once). */
  const inFlight = useRef(false);
  const loader = useRef(load);
  /** The items as last rendered (to count what a next page adds). */
  const shown = useRef(items);
  useEffect(() => {
    loader.current = load;
    shown.current = items;
  });

  const fetchPage = useCallback(async (cursor: string | undefined) => {
    const mine = ++generation.current;
    inFlight.current = true;
    setLoading(true);
    setLoadingMore(cursor !== undefined);
    setError(null);
    setAdded(null);
    try {
      const page = await loader.current(cursor);
      if (mine !== generation.current) return;
      if (cursor === undefined) {
        setItems(appended([], page.items));
      } else {
        const before = shown.current ?? [];
        setAdded(appended(before, page.items).length - before.length);
        setItems((now) => appended(now ?? [], page.items));
      }
      setNextCursor(page.nextCursor);
    } catch (e) {
      if (mine === generation.current) setError(formError(e).message);
    } finally {
      if (mine === generation.current) {
        inFlight.current = false;
        setLoading(false);
        setLoadingMore(false);
      }
    }
  }, []);

  useEffect(() => {
    setItems(null);
    setNextCursor(null);
    void fetchPage(undefined);
  }, [key, fetchPage]);

  return {
    items,
    setItems,
    nextCursor,
    loading,
    loadingMore,
    error,
    added,
    more: () => {
      if (nextCursor !== null && !inFlight.current) void fetchPage(nextCursor);
    },
    reload: () => void fetchPage(undefined),
  };
}
