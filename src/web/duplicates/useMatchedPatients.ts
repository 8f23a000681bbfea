import { useCallback } from 'react';
import { fetchPatient, type PatientRecord } from '../api/patients.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** The records of the patients a possible duplicate names, so staff can see who they are. */
export function useMatchedPatients(ids: string[]) {
  const key = ids.join(',');
  const load = useCallback(
    (signal: AbortSignal): Promise<PatientRecord[]> =>
      Promise.all(key.split(',').filter(Boolean).map((id) => fetchPatient(id, signal))),
    [key],
  );
  return useApiQuery(load);
}
