import { useCallback } from 'react';
import { fetchTimeline } from '../../api/timeline.ts';
import { useCursorList } from '../../common/useCursorList.ts';

/** The patient's timeline, newest first, of the chosen kinds (all when none), a page at a time. */
export function usePatientTimeline(patientId: string, kinds: string[]) {
  const key = kinds.join(',');
  const loadPage = useCallback(
    (cursor: string | null, signal: AbortSignal) => fetchTimeline(patientId, { kinds: key ? key.split(',') : [], cursor }, signal),
    [patientId, key],
  );
  return useCursorList(loadPage);
}
