import { useCallback, useEffect, useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { formError } from '../form.js';
import type { Page } from './types.js';

export interface Paged<T> {
  /** Null until the first page is in. */
  items: T[] | null;
  setItems: Dispatch<SetStateAction<T[] | null>>;
  nextCursor: string | null;
  loading: boolean;
  error: string | null;
  /** Loads the next page (with the cursor), appending what is not shown yet. */
  more: () => void;
  /** Loads the first page again. */
  reload: () => void;
}

/**
 * A cursor-paged list: the first page on mount and whenever `key` changes, then "Load more".
 * Answers for an older key (or a reload since) are dropped, so a slow page never lands in a newer list.
 */
export function usePaged<T extends { id: string }>(key: string, load: (cursor: string | undefined) => Promise<Page<T>>): Paged<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  const loader = useRef(load);
  useEffect(() => {
    loader.current = load;
  });

  const fetchPage = useCallback(async (cursor: string | undefined) => {
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await loader.current(cursor);
      if (mine !== generation.current) return;
      setItems((shown) => {
        if (cursor === undefined || shown === null) return page.items;
        const seen = new Set(shown.map((i) => i.id));
        return [...shown, ...page.items.filter((i) => !seen.has(i.id))];
      });
      setNextCursor(page.nextCursor);
    } catch (e) {
      if (mine === generation.current) setError(formError(e).message);
    } finally {
      if (mine === generation.current) setLoading(false);
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
    error,
    more: () => {
      if (nextCursor !== null && !loading) void fetchPage(nextCursor);
    },
    reload: () => void fetchPage(undefined),
  };
}
