import { fetchStaff } from '../api/catalog.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** The clinic's active staff, for assigning tasks. */
export function useStaff() {
  return useApiQuery(fetchStaff);
}
