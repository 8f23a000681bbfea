import { useCallback } from 'react';
import { fetchLeadBoard, LEAD_STAGES, type LeadBoard } from '../api/leads.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** The lead board: open leads by stage, and those converted or lost in the last 90 days. */
export function useLeadBoard() {
  const load = useCallback(async (signal: AbortSignal): Promise<LeadBoard> => {
    const { stages } = await fetchLeadBoard(signal);
    return Object.fromEntries(LEAD_STAGES.map((stage) => [stage, stages[stage] ?? []])) as LeadBoard;
  }, []);
  return useApiQuery(load);
}
