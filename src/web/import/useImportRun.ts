import { useEffect, useState } from 'react';
import { ApiError, isAbortError } from '../api/client.ts';
import { fetchImport } from './api.ts';
import { isFinished, type ImportRun } from './types.ts';

const POLL_MS = 1000;

/**
 * Follows one import run from the state it was started in: polls it every second until it has
 * finished, then stops. Render its user with `key={run.id}` so a new run starts afresh.
 */
export function useImportRun(started: ImportRun): { run: ImportRun; error: unknown } {
  const [run, setRun] = useState<ImportRun>(started);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (isFinished(run)) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      fetchImport(run.id, controller.signal).then(
        (next) => {
          setError(null);
          setRun(next);
        },
        (cause: unknown) => {
          if (isAbortError(cause)) return;
          setError(cause);
          // A blip in the connection should not lose the run: keep trying, unless the server said no.
          const refused = cause instanceof ApiError && cause.status >= 400 && cause.status < 500;
          if (!refused) setRun((current) => ({ ...current }));
        },
      );
    }, POLL_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [run]);

  return { run, error };
}
