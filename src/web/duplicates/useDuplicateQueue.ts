import { useCallback } from 'react';
import { fetchDuplicateQueue, fetchPatientDuplicates, type DuplicateCandidate } from '../api/duplicates.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { useCursorList } from '../common/useCursorList.ts';

/** The review queue: open pairs, best score first, a page at a time. */
export function useDuplicateQueue() {
  const loadPage = useCallback((cursor: string | null, signal: AbortSignal) => fetchDuplicateQueue(cursor, signal), []);
  return useCursorList(loadPage);
}

/**
 * A pair asked for by id that is not on the loaded pages of the queue (opened from a patient's
 * Duplicates tab): found among that patient's open pairs. Nothing is asked when `patientId` is null.
 */
export function useLinkedCandidate(candidateId: string | null, patientId: string | null) {
  const load = useCallback(
    async (signal: AbortSignal): Promise<DuplicateCandidate | null> => {
      if (!candidateId || !patientId) return null;
      const { items } = await fetchPatientDuplicates(patientId, signal);
      return items.find((c) => c.id === candidateId) ?? null;
    },
    [candidateId, patientId],
  );
  return useApiQuery(load);
}
