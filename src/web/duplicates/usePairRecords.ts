import { useCallback } from 'react';
import type { DuplicateCandidate } from '../api/duplicates.ts';
import { fetchPatient, type PatientRecord } from '../api/patients.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/**
 * Both whole records of a pair: the queue's sides carry only the matching fields, and staff choose
 * between every field a merge can take (language, quiet hours, source ...).
 */
export function usePairRecords(candidate: DuplicateCandidate) {
  const [a, b] = [candidate.patients[0].id, candidate.patients[1].id];
  const load = useCallback(
    (signal: AbortSignal): Promise<[PatientRecord, PatientRecord]> => Promise.all([fetchPatient(a, signal), fetchPatient(b, signal)]),
    [a, b],
  );
  return useApiQuery(load);
}
