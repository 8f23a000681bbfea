import { useCallback, useEffect, useRef, useState } from 'react';

export interface ActionState {
  pending: boolean;
  error: unknown;
}

/**
 * Runs a write (a save, a merge) and tracks whether it is in flight and how it failed. `run`
 * resolves to the result, or to undefined when it failed (the error is then in `error`).
 */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [state, setState] = useState<ActionState>({ pending: false, error: null });
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setState({ pending: true, error: null });
      try {
        const result = await action(...args);
        if (mounted.current) setState({ pending: false, error: null });
        return result;
      } catch (error) {
        if (mounted.current) setState({ pending: false, error });
        return undefined;
      }
    },
    [action],
  );

  const reset = useCallback(() => setState({ pending: false, error: null }), []);
  return { ...state, run, reset };
}
