import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { notFound, validationFailed } from '../../server/errors.ts';
import { decodeCursor, encodeCursor } from '../../server/http/cursor.ts';
import { isUuid } from '../../shared/ids.ts';
import { requirePatient } from '../timeline/service.ts';
import { retryMessage } from './dispatch.ts';
import { consentState, defaultAllowed, recordConsent } from './consent.ts';
import { describeReason, outboxCounts, scheduleMessage } from './outbox.ts';
import type { ConsentView, MessageDetail, MessageQuery, MessageView } from './schema.ts';
import { MESSAGE_STATUSES, type Channel, type MessageStatus, type Purpose } from './types.ts';

/**
 * What staff see of the outbox: every message with its status and why, the attempts at each
 * provider, a one-off message to a patient, and a retry of one that failed or was not sent.
 */

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const PREVIEW_CHARS = 300;

function messageRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('message as m')
    .leftJoin('patient as p', 'p.id', 'm.patient_id')
    .leftJoin('journey as j', 'j.id', 'm.journey_id')
    .leftJoin('app_user as u', 'u.id', 'm.created_by')
    .select([
      'm.id', 'm.patient_id', 'p.given_name', 'p.family_name', 'm.channel', 'm.purpose', 'm.status', 'm.reason', 'm.template_key',
      'm.subject', 'm.to_address', 'm.urgent', 'm.due_at', 'm.expires_at', 'm.sent_at', 'm.delivered_at', 'm.read_at', 'm.attempts',
      'm.provider', 'm.journey_id', 'j.name as journey_name', 'm.journey_run_id', 'm.created_by_type', 'm.created_by', 'u.display_name',
      'm.created_at',
    ])
    .select(sql<string | null>`left(m.body_text, ${PREVIEW_CHARS})`.as('preview'))
    .select(sql<string>`m.created_at::text`.as('created_key'))
    // A template exists once per language; its name is the same idea in each, English preferred.
    .select((eb) =>
      eb
        .selectFrom('message_template as t')
        .select('t.name')
        .whereRef('t.key', '=', 'm.template_key')
        .whereRef('t.channel', '=', 'm.channel')
        .orderBy(sql`t.language = 'en'`, 'desc')
        .limit(1)
        .as('template_name'),
    );
}

type Row = Awaited<ReturnType<ReturnType<typeof messageRows>['executeTakeFirstOrThrow']>>;

/** Why a message is where it is, in words; null while nothing needs explaining. */
function reasonText(status: MessageStatus, reason: string | null): string | null {
  if (status === 'sandboxed') return 'not delivered: no provider is configured, so it was kept in the sandbox';
  if (status === 'failed') {
    if (!reason) return 'the provider refused it';
    // The outbox's own words ("gave up after 6 attempts: ...", "the provider could not deliver it") read as they are.
    return /^(gave up|the provider)/.test(reason) ? reason : `the provider refused it: ${reason}`;
  }
  return reason ? describeReason(reason) : null;
}

function present(r: Row): MessageView {
  return {
    id: r.id,
    patient: r.patient_id ? { id: r.patient_id, name: `${r.given_name ?? ''} ${r.family_name ?? ''}`.trim() } : null,
    channel: r.channel,
    purpose: r.purpose,
    status: r.status,
    reason: r.reason,
    reasonText: reasonText(r.status, r.reason),
    template: r.template_key ? { key: r.template_key, name: r.template_name ?? null } : null,
    subject: r.subject,
    preview: r.preview,
    to: r.to_address,
    urgent: r.urgent,
    dueAt: iso(r.due_at)!,
    expiresAt: iso(r.expires_at),
    sentAt: iso(r.sent_at),
    deliveredAt: iso(r.delivered_at),
    readAt: iso(r.read_at),
    attempts: r.attempts,
    provider: r.provider,
    journey: r.journey_id ? { id: r.journey_id, name: r.journey_name ?? '' } : null,
    createdBy: { type: r.created_by_type, id: r.created_by, name: r.display_name ?? null },
    createdAt: iso(r.created_at)!,
    retryable: r.status === 'failed' || r.status === 'not_sent',
  };
}

/** The patient a request is about; another clinic's (or an unknown) one is audited as a failure and a 404. */
async function patientFor(scope: TenantScope, patientId: string, action: string): Promise<void> {
  try {
    await requirePatient(scope, patientId);
  } catch (error) {
    await scope.audit({ action, entityType: 'patient', entityId: patientId, outcome: 'failure' });
    throw error;
  }
}

const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

type Cursor = { at: string; id: string };

/**
 * The outbox, newest first, paged by cursor: every message whatever became of it. Each patient
 * shown is named in the audit record of the read.
 */
export async function listMessages(
  scope: TenantScope,
  query: MessageQuery,
  audit: { action: string; patientId?: string } = { action: 'message.list' },
): Promise<{ items: MessageView[]; nextCursor: string | null }> {
  let q = messageRows(scope).orderBy('m.created_at', 'desc').orderBy('m.id', 'desc').limit(query.limit + 1);
  if (query.status) q = q.where('m.status', '=', query.status);
  if (query.channel) q = q.where('m.channel', '=', query.channel);
  if (query.purpose) q = q.where('m.purpose', '=', query.purpose);
  if (query.patientId) q = q.where('m.patient_id', '=', query.patientId);
  if (query.journeyId) q = q.where('m.journey_id', '=', query.journeyId);
  if (query.q) {
    const like = likePattern(query.q);
    q = q.where((eb) =>
      eb.or([
        eb(sql<string>`p.given_name || ' ' || p.family_name`, 'ilike', like),
        eb('m.to_address', 'ilike', like),
        eb('m.subject', 'ilike', like),
        eb('m.template_key', 'ilike', like),
      ]),
    );
  }
  if (query.cursor) {
    const c = decodeCursor<Cursor>(query.cursor, (c) => typeof c.at === 'string' && !Number.isNaN(Date.parse(c.at)) && typeof c.id === 'string' && isUuid(c.id));
    q = q.where(sql<boolean>`(m.created_at, m.id) < (${c.at}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const patientIds = [...new Set(page.flatMap((r) => (r.patient_id ? [r.patient_id] : [])))];
  await scope.audit({
    action: audit.action,
    entityType: audit.patientId ? 'patient' : 'message',
    ...(audit.patientId ? { entityId: audit.patientId, patientId: audit.patientId } : {}),
    detail: { returned: page.length, patientIds },
  });
  return {
    items: page.map(present),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ at: last.created_key, id: last.id }) : null,
  };
}

/** One patient's messages (in-app ones included), newest first. */
export async function listPatientMessages(scope: TenantScope, patientId: string, query: Omit<MessageQuery, 'patientId'>) {
  await patientFor(scope, patientId, 'patient.messages.read');
  return listMessages(scope, { ...query, patientId }, { action: 'patient.messages.read', patientId });
}

/** How many messages are in each state (aggregates only). */
export async function messageCounts(scope: TenantScope): Promise<{ counts: Record<MessageStatus, number>; total: number }> {
  const found = await outboxCounts(scope);
  const counts = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, found[s] ?? 0])) as Record<MessageStatus, number>;
  return { counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
}

async function loadMessage(scope: TenantScope, id: string): Promise<MessageDetail | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await messageRows(scope).select(['m.body_text', 'm.body_html']).where('m.id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const attempts = await scope.tx
    .selectFrom('message_attempt')
    .select(['attempt', 'outcome', 'started_at', 'finished_at', 'provider', 'provider_message_id', 'detail', 'worker'])
    .where('message_id', '=', id)
    .orderBy('started_at')
    .orderBy('finished_at')
    .execute();
  const run = row.journey_run_id
    ? await scope.tx
        .selectFrom('journey_run')
        .select(['id', 'status', 'steps_done', 'reason', 'last_error', 'created_at'])
        .where('id', '=', row.journey_run_id)
        .executeTakeFirst()
    : undefined;
  const steps = run
    ? await scope.tx.selectFrom('journey_step_log').select(['step_type', 'outcome', 'at', 'detail']).where('run_id', '=', run.id).orderBy('at').execute()
    : [];
  return {
    ...present(row),
    bodyText: row.body_text,
    bodyHtml: row.body_html,
    attemptLog: attempts.map((a) => ({
      attempt: a.attempt,
      outcome: a.outcome,
      startedAt: iso(a.started_at)!,
      finishedAt: iso(a.finished_at)!,
      provider: a.provider,
      providerMessageId: a.provider_message_id,
      detail: a.detail,
      worker: a.worker,
    })),
    journeyRun: run
      ? {
          id: run.id,
          status: run.status,
          stepsDone: run.steps_done,
          reason: run.reason,
          lastError: run.last_error,
          createdAt: iso(run.created_at)!,
          steps: steps.map((s) => ({ stepType: s.step_type, outcome: s.outcome, at: iso(s.at)!, detail: s.detail })),
        }
      : null,
  };
}

/** One message as it was sent (or would have been), with every attempt and its journey run. */
export async function getMessage(scope: TenantScope, id: string): Promise<MessageDetail> {
  const message = await loadMessage(scope, id);
  if (!message) {
    await scope.audit({ action: 'message.read', entityType: 'message', entityId: id, outcome: 'failure' });
    throw notFound('Message');
  }
  await scope.audit({ action: 'message.read', entityType: 'message', entityId: id, patientId: message.patient?.id ?? null });
  return message;
}

/** Staff try a failed or not-sent message again: due now, checked again before it goes. 409 otherwise. */
export async function retryFailedMessage(scope: TenantScope, id: string, now: Date): Promise<MessageDetail> {
  const exists = isUuid(id) ? await scope.tx.selectFrom('message').select('id').where('id', '=', id).executeTakeFirst() : undefined;
  if (!exists) {
    await scope.audit({ action: 'message.retry', entityType: 'message', entityId: id, outcome: 'failure' });
    throw notFound('Message');
  }
  await retryMessage(scope, id, now);
  return (await loadMessage(scope, id))!;
}

export type NewMessage = {
  channel: Channel;
  purpose: Purpose;
  subject?: string | undefined;
  body: string;
  urgent: boolean;
  requestId?: string | undefined;
};

const SMS_MAX = 1600;

/**
 * A message staff write to one patient. It goes through the outbox like any other: consent, the
 * address on file, quiet hours and caps decide, and a message that cannot go is recorded as not
 * sent with the reason (an answer, not an error). The same requestId sends once.
 */
export async function sendPatientMessage(scope: TenantScope, patientId: string, input: NewMessage, now: Date): Promise<{ message: MessageView; created: boolean }> {
  await patientFor(scope, patientId, 'message.create');
  if (input.channel === 'email' && !input.subject) throw validationFailed([{ path: 'subject', message: 'is required for an email' }]);
  if (input.channel !== 'email' && input.subject) throw validationFailed([{ path: 'subject', message: 'is only used for email; leave it out' }]);
  if (input.channel === 'sms' && input.body.length > SMS_MAX) throw validationFailed([{ path: 'body', message: `must be at most ${SMS_MAX} characters for SMS` }]);
  const scheduled = await scheduleMessage(
    scope,
    {
      patientId,
      channel: input.channel,
      purpose: input.purpose,
      idempotencyKey: `staff:${patientId}:${input.requestId ?? randomUUID()}`,
      dueAt: now,
      urgent: input.urgent,
      subject: input.subject ?? null,
      body: input.body,
    },
    now,
  );
  if (scheduled.created) {
    await scope.audit({
      action: 'message.create',
      entityType: 'message',
      entityId: scheduled.id,
      patientId,
      detail: { channel: input.channel, purpose: input.purpose, status: scheduled.status, reason: scheduled.reason },
    });
  }
  const row = await messageRows(scope).where('m.id', '=', scheduled.id).executeTakeFirstOrThrow();
  return { message: present(row), created: scheduled.created };
}

// ---- Consent

/** Staff names for the ids in the ledger. */
async function staffNames(scope: TenantScope, ids: Array<string | null>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (!wanted.length) return new Map();
  const rows = await scope.tx.selectFrom('app_user').select(['id', 'display_name']).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, r.display_name]));
}

async function consentView(scope: TenantScope, patientId: string): Promise<ConsentView> {
  const matrix = await consentState(scope, patientId);
  const history = await scope.tx
    .selectFrom('consent_event')
    .select(['id', 'channel', 'purpose', 'status', 'source', 'recorded_at', 'recorded_by', 'note'])
    .where('patient_id', '=', patientId)
    .orderBy('recorded_at', 'desc')
    .orderBy('channel')
    .orderBy('purpose')
    .limit(500)
    .execute();
  const names = await staffNames(scope, [...matrix.map((m) => m.recordedBy), ...history.map((h) => h.recorded_by)]);
  const by = (id: string | null) => (id ? { id, name: names.get(id) ?? null } : null);
  return {
    matrix: matrix.map((m) => ({
      channel: m.channel,
      purpose: m.purpose,
      status: m.status,
      allowed: m.allowed,
      needsOptIn: !defaultAllowed(m.purpose),
      source: m.source,
      recordedAt: iso(m.recordedAt),
      recordedBy: by(m.recordedBy),
    })),
    history: history.map((h) => ({
      id: h.id,
      channel: h.channel,
      purpose: h.purpose,
      status: h.status,
      source: h.source,
      recordedAt: iso(h.recorded_at)!,
      recordedBy: by(h.recorded_by),
      note: h.note,
    })),
  };
}

/** The patient's consent per channel and purpose, and every answer recorded, newest first. */
export async function patientConsent(scope: TenantScope, patientId: string): Promise<ConsentView> {
  await patientFor(scope, patientId, 'patient.consent.read');
  const view = await consentView(scope, patientId);
  await scope.audit({ action: 'patient.consent.read', entityType: 'patient', entityId: patientId, patientId });
  return view;
}

export type StaffConsentChange = {
  channels: Channel[];
  purposes: Purpose[];
  status: 'granted' | 'withdrawn';
  source: 'staff' | 'form' | 'keyword' | 'import';
  note?: string | null | undefined;
};

/**
 * Records an answer for each channel and purpose named (a withdrawal also stops what is waiting
 * to go). The latest answer wins, so a new one is always recorded after the last, even when the
 * clock has not moved since.
 */
export async function changePatientConsent(scope: TenantScope, patientId: string, change: StaffConsentChange, now: Date) {
  await patientFor(scope, patientId, 'consent.record');
  const latest = await scope.tx
    .selectFrom('consent_event')
    .select(sql<Date | null>`max(recorded_at)`.as('at'))
    .where('patient_id', '=', patientId)
    .executeTakeFirst();
  const last = latest?.at ? new Date(latest.at).getTime() : 0;
  const at = last >= now.getTime() ? new Date(last + 1) : now;
  const result = await recordConsent(
    scope,
    { patientId, channels: [...new Set(change.channels)], purposes: [...new Set(change.purposes)], status: change.status, source: change.source, note: change.note || null },
    at,
  );
  return { ...(await consentView(scope, patientId)), ...result };
}
