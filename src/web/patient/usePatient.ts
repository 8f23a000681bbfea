import { useCallback } from 'react';
import { fetchPatient } from '../api/patients.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** One patient's whole record; `setData` takes the record a save returns. */
export function usePatient(patientId: string) {
  const load = useCallback((signal: AbortSignal) => fetchPatient(patientId, signal), [patientId]);
  return useApiQuery(load);
}
