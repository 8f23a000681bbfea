import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { notFound } from '../../server/errors.ts';
import { decodeCursor, encodeCursor } from '../../server/http/cursor.ts';
import { recordTimelineEvent } from './events.ts';
import { isUuid } from '../../shared/ids.ts';

export type TimelineItem = {
  id: string;
  kind: string;
  occurredAt: string;
  summary: string;
  detail: Record<string, unknown>;
  actor: { type: string; id: string | null; name: string | null };
  subject: { type: string; id: string } | null;
};

type Cursor = { at: string; rec: string; id: string };
// recorded_at travels in the cursor as text: it has microseconds, which a JavaScript Date would lose.

/** A live (not merged away) patient of this tenant, or 404. */
export async function requirePatient(scope: TenantScope, patientId: string): Promise<{ id: string; given_name: string; family_name: string }> {
  const row = isUuid(patientId)
    ? await scope.tx.selectFrom('patient').select(['id', 'given_name', 'family_name']).where('id', '=', patientId).where('merged_into_id', 'is', null).executeTakeFirst()
    : undefined;
  if (!row) throw notFound('Patient');
  return row;
}

/** The patient's timeline, newest first, optionally only some kinds (a kind "task" also matches "task.created"). */
export async function patientTimeline(
  scope: TenantScope,
  patientId: string,
  input: { kinds?: string[] | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: TimelineItem[]; nextCursor: string | null }> {
  await requirePatient(scope, patientId);
  let q = scope.tx
    .selectFrom('timeline_event as e')
    .leftJoin('app_user as u', 'u.id', 'e.actor_id')
    .select(sql<string>`e.recorded_at::text`.as('recorded_key'))
    .select(['e.id', 'e.kind', 'e.occurred_at', 'e.summary', 'e.detail', 'e.actor_type', 'e.actor_id', 'u.display_name', 'e.subject_type', 'e.subject_id'])
    .where('e.patient_id', '=', patientId)
    .orderBy('e.occurred_at', 'desc')
    .orderBy('e.recorded_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(input.limit + 1);
  if (input.kinds?.length) {
    const kinds = input.kinds;
    q = q.where((eb) => eb.or([eb('e.kind', 'in', kinds), ...kinds.map((k) => eb('e.kind', 'like', `${k}.%`))]));
  }
  if (input.cursor) {
    const c = decodeCursor<Cursor>(input.cursor, (c) => typeof c.at === 'string' && !Number.isNaN(Date.parse(c.at)) && typeof c.rec === 'string' && !Number.isNaN(Date.parse(c.rec)) && isUuid(c.id));
    q = q.where(sql<boolean>`(e.occurred_at, e.recorded_at, e.id) < (${c.at}::timestamptz, ${c.rec}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await q.execute();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  await scope.audit({ action: 'patient.timeline.read', entityType: 'patient', entityId: patientId, patientId });
  return {
    items: page.map((r) => ({
      id: r.id,
      kind: r.kind,
      occurredAt: new Date(r.occurred_at).toISOString(),
      summary: r.summary,
      detail: r.detail,
      actor: { type: r.actor_type, id: r.actor_id, name: r.display_name },
      subject: r.subject_type && r.subject_id ? { type: r.subject_type, id: r.subject_id } : null,
    })),
    nextCursor:
      rows.length > input.limit && last
        ? encodeCursor({ at: new Date(last.occurred_at).toISOString(), rec: last.recorded_key, id: last.id })
        : null,
  };
}

/** A free-text note on the patient's timeline. */
export async function addNote(scope: TenantScope, patientId: string, input: { body: string; occurredAt?: Date | undefined }, now: Date) {
  await requirePatient(scope, patientId);
  const firstLine = input.body.split('\n')[0]!.trim();
  const id = await recordTimelineEvent(scope, {
    patientId,
    kind: 'note',
    summary: firstLine.length > 140 ? `${firstLine.slice(0, 137)}...` : firstLine,
    detail: { body: input.body },
    occurredAt: input.occurredAt ?? now,
  });
  await scope.audit({ action: 'patient.note.create', entityType: 'timeline_event', entityId: id, patientId });
  return id;
}

export type CallInput = {
  direction: 'inbound' | 'outbound';
  outcome: 'answered' | 'no_answer' | 'voicemail' | 'busy' | 'wrong_number';
  durationSeconds?: number | undefined;
  notes?: string | undefined;
  occurredAt?: Date | undefined;
};

const OUTCOME: Record<CallInput['outcome'], string> = {
  answered: 'answered',
  no_answer: 'no answer',
  voicemail: 'left a voicemail',
  busy: 'line busy',
  wrong_number: 'wrong number',
};

/** A logged phone call: direction, outcome, duration and what was said. */
export async function logCall(scope: TenantScope, patientId: string, input: CallInput, now: Date) {
  await requirePatient(scope, patientId);
  const minutes = input.durationSeconds ? `, ${Math.max(1, Math.round(input.durationSeconds / 60))} min` : '';
  const id = await recordTimelineEvent(scope, {
    patientId,
    kind: 'call',
    summary: `${input.direction === 'inbound' ? 'Inbound' : 'Outbound'} call, ${OUTCOME[input.outcome]}${minutes}`,
    detail: { direction: input.direction, outcome: input.outcome, durationSeconds: input.durationSeconds ?? null, notes: input.notes ?? null },
    occurredAt: input.occurredAt ?? now,
  });
  await scope.audit({ action: 'patient.call.create', entityType: 'timeline_event', entityId: id, patientId });
  return id;
}
