import { useCallback } from 'react';
import { fetchCustomFields, type CustomField } from '../api/catalog.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** The clinic's custom patient fields that are in use (archived ones are neither shown nor asked for). */
export function useCustomFields() {
  const load = useCallback(
    async (signal: AbortSignal): Promise<CustomField[]> => (await fetchCustomFields(signal)).items.filter((f) => !f.archived),
    [],
  );
  return useApiQuery(load);
}
