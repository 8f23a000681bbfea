import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError } from '../api/client.ts';

export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface CursorListState<T> {
  items: T[];
  nextCursor: string | null;
  /** The first page has not arrived yet. */
  loading: boolean;
  error: unknown;
  loadingMore: boolean;
  loadMoreError: unknown;
}

const START = { items: [], nextCursor: null, loading: true, error: null, loadingMore: false, loadMoreError: null };

/**
 * A list read one page at a time with the API's cursors (timeline, history). A new `loadPage`
 * (its inputs changed) starts again from the first page; `reload` does so for the same inputs,
 * keeping the rows shown until the new first page arrives.
 */
export function useCursorList<T>(loadPage: (cursor: string | null, signal: AbortSignal) => Promise<CursorPage<T>>) {
  const [state, setState] = useState<CursorListState<T>>(START);
  const [attempt, setAttempt] = useState(0);
  const generation = useRef(0);
  const more = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const current = ++generation.current;
    more.current?.abort();
    setState((s) => ({ ...s, error: null, loadingMore: false, loadMoreError: null }));
    loadPage(null, controller.signal).then(
      (page) => {
        if (current === generation.current) setState({ ...START, items: page.items, nextCursor: page.nextCursor, loading: false });
      },
      (error: unknown) => {
        if (!isAbortError(error) && current === generation.current) setState((s) => ({ ...s, loading: false, error }));
      },
    );
    return () => controller.abort();
  }, [loadPage, attempt]);

  useEffect(() => () => more.current?.abort(), []);

  const loadMore = useCallback(() => {
    const cursor = state.nextCursor;
    if (!cursor || state.loadingMore) return;
    const current = generation.current;
    const controller = new AbortController();
    more.current = controller;
    setState((s) => ({ ...s, loadingMore: true, loadMoreError: null }));
    loadPage(cursor, controller.signal).then(
      (page) => {
        if (current !== generation.current) return;
        setState((s) => ({ ...s, items: [...s.items, ...page.items], nextCursor: page.nextCursor, loadingMore: false }));
      },
      (error: unknown) => {
        if (!isAbortError(error) && current === generation.current) setState((s) => ({ ...s, loadingMore: false, loadMoreError: error }));
      },
    );
  }, [loadPage, state.nextCursor, state.loadingMore]);

  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  return { ...state, loadMore, reload };
}
