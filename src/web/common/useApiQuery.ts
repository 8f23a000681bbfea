import { useCallback, useEffect, useState } from 'react';
import { isAbortError } from '../api/client.ts';

export type QueryState<T> =
  | { status: 'loading' }
  | { status: 'success'; data: T }
  | { status: 'error'; error: unknown };

export type ApiQuery<T> = QueryState<T> & {
  /** Loads again, showing the loading state. */
  reload: () => void;
  /** Loads again in the background, keeping what is shown until the answer arrives. */
  refresh: () => void;
  /** Replaces the data with what a write returned (a saved record), without a request. */
  setData: (data: T) => void;
};

/**
 * Loads one resource when the component mounts (and again on `reload`, or when `load` changes),
 * cancelling the request if the component goes away first. Small on purpose: no cache, no dedupe.
 */
export function useApiQuery<T>(load: (signal: AbortSignal) => Promise<T>): ApiQuery<T> {
  const [state, setState] = useState<QueryState<T>>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => setState({ status: 'success', data }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', error });
      },
    );
    return () => controller.abort();
  }, [load, attempt]);

  const reload = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);
  const refresh = useCallback(() => setAttempt((n) => n + 1), []);
  const setData = useCallback((data: T) => setState({ status: 'success', data }), []);

  return { ...state, reload, refresh, setData };
}
