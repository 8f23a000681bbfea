import { fetchTags } from '../api/catalog.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** The clinic's tags, for pickers and filters. */
export function useTags() {
  return useApiQuery(fetchTags);
}
