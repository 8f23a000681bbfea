import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError } from '../api/client.ts';
import { fetchPatients, type PatientFilters } from '../api/patients.ts';
import type { PatientListItem } from '../api/types.ts';

export const PAGE_SIZE = 50;

export interface PatientListState {
  items: PatientListItem[];
  nextCursor: string | null;
  /** Nothing loaded yet for any query. */
  initialLoading: boolean;
  /** A new query is in flight; the rows shown belong to the previous one. */
  refreshing: boolean;
  error: unknown;
  loadingMore: boolean;
  loadMoreError: unknown;
}

const START: PatientListState = {
  items: [],
  nextCursor: null,
  initialLoading: true,
  refreshing: false,
  error: null,
  loadingMore: false,
  loadMoreError: null,
};

function appendNew(existing: PatientListItem[], page: PatientListItem[]): PatientListItem[] {
  // Rows can shift between pages while staff edit patients; never show one twice.
  const seen = new Set(existing.map((p) => p.id));
  return existing.concat(page.filter((p) => !seen.has(p.id)));
}

const filtersOf = (key: string): PatientFilters => Object.fromEntries(new URLSearchParams(key));

/**
 * The patient list for a search and filters, one page at a time (cursor paging; a search with q
 * comes ranked, in one page). `key` is the filters as a canonical query string (see filterKey), so
 * equal filters never load twice.
 */
export function usePatientList(key: string) {
  const [state, setState] = useState<PatientListState>(START);
  const [attempt, setAttempt] = useState(0);
  // Bumped for every new first-page load so a late "load more" answer for an old query is dropped.
  const generation = useRef(0);
  const moreController = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const current = ++generation.current;
    moreController.current?.abort();
    setState((s) => ({ ...s, refreshing: true, error: null, loadingMore: false, loadMoreError: null }));
    fetchPatients(filtersOf(key), { limit: PAGE_SIZE, cursor: null }, controller.signal).then(
      (page) => {
        if (current !== generation.current) return;
        setState({ ...START, items: page.items, nextCursor: page.nextCursor, initialLoading: false });
      },
      (error: unknown) => {
        if (isAbortError(error) || current !== generation.current) return;
        setState((s) => ({ ...s, initialLoading: false, refreshing: false, error }));
      },
    );
    return () => controller.abort();
  }, [key, attempt]);

  useEffect(() => () => moreController.current?.abort(), []);

  const loadMore = useCallback(() => {
    const cursor = state.nextCursor;
    if (!cursor || state.loadingMore) return;
    const current = generation.current;
    const controller = new AbortController();
    moreController.current = controller;
    setState((s) => ({ ...s, loadingMore: true, loadMoreError: null }));
    fetchPatients(filtersOf(key), { limit: PAGE_SIZE, cursor }, controller.signal).then(
      (page) => {
        if (current !== generation.current) return;
        setState((s) => ({ ...s, items: appendNew(s.items, page.items), nextCursor: page.nextCursor, loadingMore: false }));
      },
      (error: unknown) => {
        if (isAbortError(error) || current !== generation.current) return;
        setState((s) => ({ ...s, loadingMore: false, loadMoreError: error }));
      },
    );
  }, [key, state.nextCursor, state.loadingMore]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  return { ...state, loadMore, retry };
}
