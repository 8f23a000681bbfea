import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { ConsentSource } from '../../server/db/types.ts';
import { AppError } from '../../server/errors.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { emitMessageEvents } from '../webhooks/events.ts';
import { MessageFacts } from './facts.ts';
import { CHANNELS, OPT_IN_PURPOSES, PURPOSES, type Channel, type Purpose } from './types.ts';

/**
 * The consent ledger. Every answer a patient gives (or staff record for them) is a new row; the
 * latest row per channel and purpose is the answer in force. Care and billing messages are sent
 * until the patient opts out; education, marketing and research only after they opt in.
 */

export type ConsentAnswer = {
  channel: Channel;
  purpose: Purpose;
  status: 'granted' | 'withdrawn' | 'default';
  /** Whether a message of this channel and purpose may be sent now. */
  allowed: boolean;
  source: ConsentSource | null;
  recordedAt: Date | null;
  recordedBy: string | null;
};

export const defaultAllowed = (purpose: Purpose) => !OPT_IN_PURPOSES.includes(purpose);

/** The answer in force for every channel and purpose, for one patient. */
export async function consentState(scope: TenantScope, patientId: string): Promise<ConsentAnswer[]> {
  const rows = await scope.tx
    .selectFrom('consent_event')
    .select(['channel', 'purpose', 'status', 'source', 'recorded_at', 'recorded_by'])
    .distinctOn(['channel', 'purpose'])
    .where('patient_id', '=', patientId)
    .orderBy('channel')
    .orderBy('purpose')
    .orderBy('recorded_at', 'desc')
    .execute();
  const latest = new Map(rows.map((r) => [`${r.channel}:${r.purpose}`, r]));
  return CHANNELS.flatMap((channel) =>
    PURPOSES.map((purpose): ConsentAnswer => {
      const row = latest.get(`${channel}:${purpose}`);
      if (!row) return { channel, purpose, status: 'default', allowed: defaultAllowed(purpose), source: null, recordedAt: null, recordedBy: null };
      return { channel, purpose, status: row.status, allowed: row.status === 'granted', source: row.source, recordedAt: row.recorded_at, recordedBy: row.recorded_by };
    }),
  );
}

/** Whether one channel and purpose may be used for a patient now, and if not, why (a not-sent reason). */
export async function consentAllows(scope: TenantScope, patientId: string, channel: Channel, purpose: Purpose): Promise<{ allowed: boolean; reason: string | null }> {
  return new MessageFacts(scope).consent(patientId, channel, purpose);
}

export type ConsentChange = {
  patientId: string;
  channels: readonly Channel[];
  purposes: readonly Purpose[];
  status: 'granted' | 'withdrawn';
  source: ConsentSource;
  note?: string | null | undefined;
};

/**
 * Records an answer for each channel and purpose named. A withdrawal also stops, in the same
 * transaction, every message of that channel and purpose still waiting to go: a worker that has
 * one claimed holds its row lock until it has sent, so after this commits nothing more goes out.
 */
export async function recordConsent(scope: TenantScope, change: ConsentChange, now: Date): Promise<{ recorded: number; messagesStopped: number }> {
  if (!change.channels.length || !change.purposes.length) {
    throw new AppError(400, 'validation_failed', 'Invalid request: name at least one channel and one purpose', [{ path: 'channels', message: 'must not be empty' }]);
  }
  const patient = await scope.tx.selectFrom('patient').select('id').where('id', '=', change.patientId).executeTakeFirst();
  if (!patient) throw new AppError(404, 'patient_not_found', 'Patient not found');
  const recordedBy = scope.actor.type === 'user' ? scope.actor.id : scope.actor.type === 'api_token' ? scope.actor.userId : null;
  // The latest row is the answer in force, so a new answer must sort after every earlier one even
  // when given in the same millisecond (an opt-in and an opt-out from one form post).
  const last = await scope.tx
    .selectFrom('consent_event')
    .select(sql<Date | null>`max(recorded_at)`.as('at'))
    .where('patient_id', '=', change.patientId)
    .executeTakeFirst();
  const recordedAt = last?.at && new Date(last.at).getTime() >= now.getTime() ? new Date(new Date(last.at).getTime() + 1) : now;
  await scope.tx
    .insertInto('consent_event')
    .values(
      change.channels.flatMap((channel) =>
        change.purposes.map((purpose) => ({
          tenant_id: scope.tenantId,
          patient_id: change.patientId,
          channel,
          purpose,
          status: change.status,
          source: change.source,
          recorded_by: recordedBy,
          recorded_at: recordedAt,
          note: change.note ?? null,
        })),
      ),
    )
    .execute();
  let messagesStopped = 0;
  if (change.status === 'withdrawn') {
    const stopped = await scope.tx
      .updateTable('message')
      .set({ status: 'not_sent', reason: 'consent_withdrawn', lease_until: null, updated_at: now })
      .where('patient_id', '=', change.patientId)
      .where('channel', 'in', change.channels)
      .where('purpose', 'in', change.purposes)
      .where('status', 'in', ['scheduled', 'sending'])
      .returning(['id', 'patient_id', 'channel', 'purpose'])
      .execute();
    messagesStopped = stopped.length;
    await emitMessageEvents(scope, stopped.map((m) => ({ id: m.id, patientId: m.patient_id, channel: m.channel, purpose: m.purpose, status: 'not_sent' as const, reason: 'consent_withdrawn' })), now);
  }
  const what = `${change.purposes.join(', ')} by ${change.channels.map((c) => (c === 'in_app' ? 'in-app' : c)).join(', ')}`;
  await recordTimelineEvent(scope, {
    patientId: change.patientId,
    kind: change.status === 'granted' ? 'consent.granted' : 'consent.withdrawn',
    summary: `${change.status === 'granted' ? 'Consented to' : 'Withdrew consent for'} ${what} (${change.source.replace('_', ' ')})`,
    detail: { channels: change.channels, purposes: change.purposes, source: change.source, note: change.note ?? null, messagesStopped },
    occurredAt: now,
  });
  await scope.audit({
    action: `consent.${change.status === 'granted' ? 'grant' : 'withdraw'}`,
    entityType: 'patient',
    entityId: change.patientId,
    patientId: change.patientId,
    detail: { channels: change.channels, purposes: change.purposes, source: change.source, messagesStopped },
  });
  return { recorded: change.channels.length * change.purposes.length, messagesStopped };
}

/** How many messages of a purpose a patient was sent since `since` (frequency caps). */
export async function sentSince(scope: TenantScope, patientId: string, purpose: Purpose, since: Date): Promise<number> {
  const row = await scope.tx
    .selectFrom('message')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('patient_id', '=', patientId)
    .where('purpose', '=', purpose)
    .where('sent_at', '>=', since)
    .executeTakeFirstOrThrow();
  return row.n;
}
