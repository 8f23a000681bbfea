import { apiRequest } from './client.ts';

/** The patient's one timeline of touches (see src/modules/timeline/routes.ts). */

export interface TimelineItem {
  id: string;
  /** Open-ended and dotted: 'note', 'call', 'task.created', 'record.changed', 'lead.converted' ... */
  kind: string;
  occurredAt: string;
  summary: string;
  detail: Record<string, unknown>;
  actor: { type: string; id: string | null; name: string | null };
  subject: { type: string; id: string } | null;
}

export interface TimelinePage {
  items: TimelineItem[];
  nextCursor: string | null;
}

export const fetchTimeline = (
  patientId: string,
  input: { kinds: string[]; cursor: string | null },
  signal?: AbortSignal,
): Promise<TimelinePage> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/timeline`, {
    query: { kind: input.kinds.join(','), cursor: input.cursor, limit: 30 },
    signal,
  });

export const addNote = (patientId: string, body: string): Promise<{ id: string }> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/notes`, { method: 'POST', body: { body } });

export type CallDirection = 'inbound' | 'outbound';
export type CallOutcome = 'answered' | 'no_answer' | 'voicemail' | 'busy' | 'wrong_number';

export interface NewCall {
  direction: CallDirection;
  outcome: CallOutcome;
  durationSeconds?: number;
  notes?: string;
}

export const logCall = (patientId: string, call: NewCall): Promise<{ id: string }> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/calls`, { method: 'POST', body: call });
