import { useCallback } from 'react';
import { useDebouncedValue } from '@mantine/hooks';
import { searchPatients, type PatientSearchHit } from '../api/patients.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

const DEBOUNCE_MS = 250;

/** Ranked search hits for what is typed (after a pause); nothing is asked for an empty box. */
export function usePatientSearch(query: string) {
  const [debounced] = useDebouncedValue(query.trim(), DEBOUNCE_MS);
  const load = useCallback(
    async (signal: AbortSignal): Promise<PatientSearchHit[]> => (debounced ? (await searchPatients(debounced, signal)).items : []),
    [debounced],
  );
  const result = useApiQuery(load);
  return { ...result, settled: debounced === query.trim() };
}
