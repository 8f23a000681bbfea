import { useCallback } from 'react';
import { fetchSavedViews, type SavedView } from '../api/catalog.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** The user's own saved list views and those shared with the clinic. */
export function useSavedViews() {
  const load = useCallback(async (signal: AbortSignal): Promise<SavedView[]> => (await fetchSavedViews(signal)).items, []);
  return useApiQuery(load);
}
