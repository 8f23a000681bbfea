import type { TenantScope } from '../../server/db/scope.ts';

/**
 * Writing to the one timeline every touch with a patient goes on. `kind` is open-ended
 * ('note', 'call', 'task.created', 'record.changed', 'lead.stage_changed', and whatever later
 * modules add: 'appointment.booked', 'message.sent' ...), so a new kind needs no schema change.
 */
export type TimelineEventInput = {
  patientId?: string | null;
  leadId?: string | null;
  kind: string;
  summary: string;
  detail?: Record<string, unknown>;
  occurredAt: Date;
  /** What the event is about, when it is a thing of its own (a task, an appointment, a merge). */
  subject?: { type: string; id: string };
};

export const TIMELINE_KIND = /^[a-z][a-z_.]{0,62}$/;

export async function recordTimelineEvent(scope: TenantScope, event: TimelineEventInput): Promise<string> {
  const row = await scope.tx.insertInto('timeline_event').values(timelineRow(scope, event)).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Several events in one statement (a batch of work, such as a dispatcher's batch of messages). */
export async function recordTimelineEvents(scope: TenantScope, events: readonly TimelineEventInput[]): Promise<void> {
  if (!events.length) return;
  await scope.tx.insertInto('timeline_event').values(events.map((event) => timelineRow(scope, event))).execute();
}

function timelineRow(scope: TenantScope, event: TimelineEventInput) {
  if (!TIMELINE_KIND.test(event.kind)) throw new Error(`timeline kind "${event.kind}" is not lower_snake.dotted`);
  return {
    tenant_id: scope.tenantId,
    patient_id: event.patientId ?? null,
    lead_id: event.leadId ?? null,
    kind: event.kind,
    summary: event.summary.length > 500 ? `${event.summary.slice(0, 497)}...` : event.summary,
    detail: JSON.stringify(event.detail ?? {}),
    occurred_at: event.occurredAt,
    actor_type: scope.actor.type,
    actor_id: scope.actor.type === 'api_token' ? scope.actor.userId : scope.actor.id,
    subject_type: event.subject?.type ?? null,
    subject_id: event.subject?.id ?? null,
  };
}
