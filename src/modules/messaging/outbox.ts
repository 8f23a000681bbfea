import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { MessageStatus } from '../../server/db/types.ts';
import { validationFailed } from '../../server/errors.ts';
import { recordTimelineEvent, type TimelineEventInput } from '../timeline/events.ts';
import { emitMessageEvents } from '../webhooks/events.ts';
import { consentAllows } from './consent.ts';
import { addressFor, channelLabel, messagingSettings, overFrequencyCap } from './policy.ts';
import { mayBeUrgent, URGENT_REFUSAL, type Channel, type Purpose } from './types.ts';

/**
 * The outbox: every message is a row before anything is sent. Scheduling checks consent and the
 * contact point at once (a message that cannot go is recorded as not sent, with the reason);
 * the dispatcher checks everything again just before sending.
 */

export type ScheduleRequest = {
  patientId: string | null;
  channel: Channel;
  purpose: Purpose;
  /** Unique per (subject, rule, channel, occurrence): scheduling the same thing twice is a no-op. */
  idempotencyKey: string;
  dueAt: Date;
  /** Never sent after this (an appointment's start, an offer's expiry). */
  expiresAt?: Date | null | undefined;
  /** Sent even in quiet hours and past frequency caps (a same-day change the patient must know); care only. */
  urgent?: boolean | undefined;
  templateKey?: string | null | undefined;
  /** Free text instead of a template (a staff reply); subject for email. */
  body?: string | null | undefined;
  subject?: string | null | undefined;
  about?: { type: string; id: string } | null | undefined;
  journey?: { id: string; runId: string } | null | undefined;
  conversationId?: string | null | undefined;
  /** For a reply to a number no patient is known by. */
  toAddress?: string | null | undefined;
  variables?: Record<string, string> | undefined;
};

export type Scheduled = { id: string; status: MessageStatus; reason: string | null; created: boolean };

/**
 * Writes a message to the outbox (or finds the one already written under its idempotency key).
 * An urgent message of a purpose other than care is refused (400 naming `urgent`) before
 * anything is stored.
 */
export async function scheduleMessage(scope: TenantScope, request: ScheduleRequest, now: Date): Promise<Scheduled> {
  if (request.urgent && !mayBeUrgent(request.purpose)) throw validationFailed([{ path: 'urgent', message: URGENT_REFUSAL }]);
  let status: MessageStatus = 'scheduled';
  let reason: string | null = null;
  let to = request.toAddress ?? null;
  if (request.patientId) {
    const consent = await consentAllows(scope, request.patientId, request.channel, request.purpose);
    const address = await addressFor(scope, request.patientId, request.channel);
    to = address.address ?? to;
    if (!consent.allowed) [status, reason] = ['not_sent', consent.reason];
    else if (!to) [status, reason] = ['not_sent', address.reason];
    else if (!request.urgent && (await overFrequencyCap(scope, request.patientId, request.purpose, await messagingSettings(scope), now))) {
      [status, reason] = ['not_sent', 'frequency_cap'];
    }
  } else if (!to) {
    [status, reason] = ['not_sent', request.channel === 'email' ? 'no_email_address' : 'no_phone_number'];
  }
  if (status === 'scheduled' && request.expiresAt && request.expiresAt <= now) [status, reason] = ['not_sent', 'expired'];

  const inserted = await scope.tx
    .insertInto('message')
    .values({
      tenant_id: scope.tenantId,
      patient_id: request.patientId,
      channel: request.channel,
      purpose: request.purpose,
      status,
      reason,
      idempotency_key: request.idempotencyKey,
      template_key: request.templateKey ?? null,
      journey_id: request.journey?.id ?? null,
      journey_run_id: request.journey?.runId ?? null,
      subject_type: request.about?.type ?? null,
      subject_id: request.about?.id ?? null,
      conversation_id: request.conversationId ?? null,
      to_address: to,
      subject: request.subject ?? null,
      body_text: request.body ?? null,
      variables: JSON.stringify(request.variables ?? {}),
      urgent: request.urgent ?? false,
      due_at: request.dueAt,
      expires_at: request.expiresAt ?? null,
      created_by_type: scope.actor.type,
      created_by: scope.actor.type === 'user' ? scope.actor.id : scope.actor.type === 'api_token' ? scope.actor.userId : null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'idempotency_key']).doNothing())
    .returning(['id', 'status', 'reason'])
    .executeTakeFirst();
  if (!inserted) {
    const existing = await scope.tx
      .selectFrom('message')
      .select(['id', 'status', 'reason'])
      .where('idempotency_key', '=', request.idempotencyKey)
      .executeTakeFirstOrThrow();
    return { ...existing, created: false };
  }
  if (status === 'not_sent' && request.patientId) {
    await messageOutcomeOnTimeline(scope, { id: inserted.id, patientId: request.patientId, channel: request.channel, status, reason, label: request.templateKey ?? 'message' }, now);
  }
  if (status === 'not_sent') {
    await emitMessageEvents(scope, [{ id: inserted.id, patientId: request.patientId ?? null, channel: request.channel, purpose: request.purpose, status, reason }], now);
  }
  return { ...inserted, created: true };
}

/** Human words for the reasons a message was not sent (also shown to staff). */
export const NOT_SENT_REASONS: Record<string, string> = {
  consent_withdrawn: 'the patient withdrew consent',
  no_opt_in: 'the patient has not opted in',
  no_email_address: 'no email address on file',
  no_phone_number: 'no mobile number on file',
  appointment_cancelled: 'the appointment was cancelled',
  appointment_past: 'the appointment had already started',
  appointment_changed: 'the appointment changed',
  expired: 'it was no longer relevant by the time it could go',
  quiet_hours_expired: 'quiet hours lasted past the time it was useful',
  frequency_cap: 'the patient already had the most messages of this kind allowed',
  patient_inactive: 'the patient is inactive, deceased or merged',
  email_bounced: 'the email address bounced',
  journey_disabled: 'the journey was switched off',
  cancelled_by_staff: 'staff cancelled it',
  offer_closed: 'the waitlist offer was no longer open',
  invoice_settled: 'the invoice was paid or voided',
  medication_stopped: 'the medication reminder was stopped',
  medication_changed: 'the medication reminder changed',
  template_missing: 'no template exists for this channel and language',
};

export const describeReason = (reason: string | null) => (reason ? (NOT_SENT_REASONS[reason] ?? reason) : '');

export type MessageOutcome = { id: string; patientId: string; channel: Channel; status: MessageStatus; reason: string | null; label: string; subject?: string | null };

/** One line on the patient's timeline for a message that went, failed, or was held back. */
export async function messageOutcomeOnTimeline(scope: TenantScope, m: MessageOutcome, now: Date): Promise<void> {
  await recordTimelineEvent(scope, messageOutcomeEvent(m, now));
}

export function messageOutcomeEvent(m: MessageOutcome, now: Date): TimelineEventInput {
  const what = `${channelLabel(m.channel)} "${m.subject ?? m.label}"`;
  const summary =
    m.status === 'sent' || m.status === 'delivered'
      ? `${what} sent`
      : m.status === 'sandboxed'
        ? `${what} not delivered: no ${channelLabel(m.channel)} provider is configured (sandbox)`
        : m.status === 'failed'
          ? `${what} failed: ${m.reason ?? 'unknown reason'}`
          : `${what} not sent: ${describeReason(m.reason)}`;
  return {
    patientId: m.patientId,
    kind: `message.${m.status}`,
    summary,
    detail: { messageId: m.id, channel: m.channel, reason: m.reason },
    occurredAt: now,
    subject: { type: 'message', id: m.id },
  };
}

/**
 * Stops messages that have not gone yet (scheduled, or claimed by a worker: the worker holds the
 * row lock while it sends, so this waits for it and then finds the message sent). Returns how
 * many were stopped.
 */
export async function stopPendingMessages(
  scope: TenantScope,
  where: { about?: { type: string; id: string }; runIds?: string[]; exceptRunTrigger?: string },
  reason: string,
  now: Date,
): Promise<number> {
  let query = scope.tx
    .updateTable('message')
    .set({ status: 'not_sent', reason, lease_until: null, updated_at: now })
    .where('status', 'in', ['scheduled', 'sending']);
  if (where.about) query = query.where('subject_type', '=', where.about.type).where('subject_id', '=', where.about.id);
  if (where.runIds) {
    if (!where.runIds.length) return 0;
    query = query.where('journey_run_id', 'in', where.runIds);
  }
  if (where.exceptRunTrigger) {
    const trigger = where.exceptRunTrigger;
    query = query.where((eb) =>
      eb.or([
        eb('journey_run_id', 'is', null),
        eb('journey_run_id', 'not in', eb.selectFrom('journey_run').select('id').where('trigger_type', '=', trigger)),
      ]),
    );
  }
  const stopped = await query.returning(['id', 'patient_id', 'channel', 'purpose', 'template_key', 'subject']).execute();
  for (const m of stopped) {
    if (m.patient_id) {
      await messageOutcomeOnTimeline(scope, { id: m.id, patientId: m.patient_id, channel: m.channel, status: 'not_sent', reason, label: m.template_key ?? 'message', subject: m.subject }, now);
    }
  }
  await emitMessageEvents(scope, stopped.map((m) => ({ id: m.id, patientId: m.patient_id, channel: m.channel, purpose: m.purpose, status: 'not_sent' as const, reason })), now);
  return stopped.length;
}

/** Counts by status, for the outbox page and the benchmarks. */
export async function outboxCounts(scope: TenantScope): Promise<Record<string, number>> {
  const rows = await scope.tx.selectFrom('message').select(['status', sql<number>`count(*)::int`.as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
