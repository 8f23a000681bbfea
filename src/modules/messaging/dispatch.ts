import { sql, type Kysely, type Selectable } from 'kysely';
import { withSystem, withTenant, type TenantScope } from '../../server/db/scope.ts';
import type { DB, MessageStatus, MessageTable } from '../../server/db/types.ts';
import { AppError } from '../../server/errors.ts';
import { ensureTenantLinkKey } from '../scheduling/links.ts';
import type { AdapterRegistry } from './adapters.ts';
import { consentAllows } from './consent.ts';
import { messageOutcomeOnTimeline } from './outbox.ts';
import { addressFor, afterQuietHours, messagingSettings, overFrequencyCap, patientFacts, type MessagingSettings } from './policy.ts';
import { renderMessage } from './render.ts';
import type { SendResult } from './types.ts';

/**
 * Sending: workers claim due messages in batches (SKIP LOCKED, under a lease), then send each in
 * its own tenant transaction that holds the message's row lock from the last checks until the
 * outcome is recorded. A cancellation or a withdrawal of consent updates the same row, so it
 * either commits first (and the worker finds the message stopped) or waits until it has gone.
 * A worker that dies mid-send leaves a lease that runs out; the next worker sends again with the
 * same idempotency key, which an idempotent provider (and SMTP receivers, by Message-ID) dedupe.
 */

export type DispatchDeps = {
  db: Kysely<DB>;
  clock: () => Date;
  adapters: AdapterRegistry;
  /** Where patients open links (the public URL). */
  baseUrl: string;
  /** Names this process in leases and attempt records. */
  worker: string;
  leaseSeconds?: number;
};

type MessageRow = Selectable<MessageTable>;
export type Claim = { tenant_id: string; id: string };

/** Claims up to `limit` messages: expired leases first (a worker died), then the longest overdue. */
export async function claimDueMessages(deps: DispatchDeps, limit: number): Promise<Claim[]> {
  const now = deps.clock();
  const leaseUntil = new Date(now.getTime() + (deps.leaseSeconds ?? 60) * 1000);
  // Only ids and lease columns cross tenants here; the message itself is read inside its tenant.
  return withSystem(deps.db, async (tx) => {
    const claim = (where: ReturnType<typeof sql>, order: ReturnType<typeof sql>, n: number) =>
      sql<Claim>`
        UPDATE message m
           SET status = 'sending', lease_until = ${leaseUntil}, claimed_by = ${deps.worker},
               attempts = m.attempts + 1, updated_at = ${now}
          FROM (SELECT tenant_id, id FROM message WHERE ${where} ORDER BY ${order} LIMIT ${n} FOR UPDATE SKIP LOCKED) c
         WHERE m.tenant_id = c.tenant_id AND m.id = c.id
     RETURNING m.tenant_id, m.id`.execute(tx);
    const expired = await claim(sql`status = 'sending' AND lease_until < ${now}`, sql`lease_until`, limit);
    const rest = limit - expired.rows.length;
    const due = rest > 0 ? await claim(sql`status = 'scheduled' AND due_at <= ${now}`, sql`due_at`, rest) : { rows: [] };
    return [...expired.rows, ...due.rows];
  });
}

/** When the next scheduled message falls due, if any (the dispatcher sleeps until then at most). */
export async function nextDueAt(db: Kysely<DB>): Promise<Date | null> {
  const row = await withSystem(db, (tx) =>
    tx.selectFrom('message').select(sql<Date | null>`min(due_at)`.as('at')).where('status', '=', 'scheduled').executeTakeFirst(),
  );
  return row?.at ? new Date(row.at) : null;
}

const linkKeys = new Map<string, Buffer>();
async function linkKeyOf(db: Kysely<DB>, tenantId: string): Promise<Buffer> {
  let key = linkKeys.get(tenantId);
  if (!key) {
    key = await ensureTenantLinkKey(db, tenantId);
    linkKeys.set(tenantId, key);
  }
  return key;
}

/** Retries back off: 30 s, 2 min, 8 min, 30 min, 2 h ... */
export const retryDelaySeconds = (attempt: number) => Math.min(30 * 4 ** (attempt - 1), 6 * 3600);

/** How many claims a message may use per provider attempt before it is given up as poison. */
const CLAIMS_PER_ATTEMPT = 5;

/** Attempts the provider answered with a transient problem, since the message last ended (a staff retry starts afresh). */
async function retriesOf(scope: TenantScope, messageId: string): Promise<number> {
  const row = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM message_attempt
     WHERE message_id = ${messageId} AND outcome = 'retry'
       AND started_at > coalesce((SELECT max(started_at) FROM message_attempt
                                   WHERE message_id = ${messageId} AND outcome IN ('failed', 'not_sent')), '-infinity')`.execute(scope.tx);
  return row.rows[0]?.n ?? 0;
}

type Verdict = { action: 'send' } | { action: 'not_sent'; reason: string } | { action: 'defer'; until: Date };

/** Everything checked again just before sending; consent and caps were also checked when scheduled. */
async function checkBeforeSend(scope: TenantScope, m: MessageRow, settings: MessagingSettings, now: Date): Promise<Verdict> {
  if (m.expires_at && m.expires_at <= now) return { action: 'not_sent', reason: m.subject_type === 'appointment' ? 'appointment_past' : 'expired' };
  if (m.subject_type === 'appointment' && m.subject_id) {
    const appointment = await scope.tx.selectFrom('appointment').select('status').where('id', '=', m.subject_id).executeTakeFirst();
    if (appointment?.status === 'cancelled') {
      const run = m.journey_run_id
        ? await scope.tx.selectFrom('journey_run').select('trigger_type').where('id', '=', m.journey_run_id).executeTakeFirst()
        : undefined;
      if (run?.trigger_type !== 'appointment.cancelled') return { action: 'not_sent', reason: 'appointment_cancelled' };
    }
  }
  if (!m.patient_id) return m.to_address ? { action: 'send' } : { action: 'not_sent', reason: 'no_phone_number' };
  const patient = await scope.tx
    .selectFrom('patient')
    .select(['lifecycle_status', 'archived_at', 'merged_into_id'])
    .where('id', '=', m.patient_id)
    .executeTakeFirst();
  if (!patient || patient.lifecycle_status === 'deceased' || patient.archived_at || patient.merged_into_id) return { action: 'not_sent', reason: 'patient_inactive' };
  const consent = await consentAllows(scope, m.patient_id, m.channel, m.purpose);
  if (!consent.allowed) return { action: 'not_sent', reason: consent.reason ?? 'consent_withdrawn' };
  if (!m.urgent) {
    // Two workers sending to one patient at once must not both pass the cap: one waits here.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${scope.tenantId}:${m.patient_id}:cap`}, 0))`.execute(scope.tx);
    if (await overFrequencyCap(scope, m.patient_id, m.purpose, settings, now)) return { action: 'not_sent', reason: 'frequency_cap' };
  }
  if (!m.urgent && m.channel !== 'in_app') {
    const facts = await patientFacts(scope, m.patient_id, settings);
    const until = afterQuietHours(now, facts.zone, { start: facts.quietStart, end: facts.quietEnd });
    if (until > now) {
      if (m.expires_at && until >= m.expires_at) return { action: 'not_sent', reason: 'quiet_hours_expired' };
      return { action: 'defer', until };
    }
  }
  return { action: 'send' };
}

export type DeliveryOutcome = MessageStatus | 'skipped' | 'deferred' | 'retry';

/** Sends one claimed message (or records why not), inside its tenant, holding its row lock throughout. */
export async function deliverMessage(deps: DispatchDeps, claim: Claim): Promise<DeliveryOutcome> {
  const linkKey = await linkKeyOf(deps.db, claim.tenant_id);
  return withTenant(deps.db, { tenantId: claim.tenant_id, actor: { type: 'system', id: null } }, async (scope) => {
    const m = await scope.tx.selectFrom('message').selectAll().where('id', '=', claim.id).forUpdate().executeTakeFirst();
    if (!m || m.status !== 'sending' || m.claimed_by !== deps.worker) return 'skipped';
    const startedAt = deps.clock();
    const settings = await messagingSettings(scope);
    const attempt = (outcome: Selectable<DB['message_attempt']>['outcome'], detail: string | null, provider: string | null = null, providerMessageId: string | null = null) =>
      scope.tx
        .insertInto('message_attempt')
        .values({ tenant_id: scope.tenantId, message_id: m.id, attempt: m.attempts, worker: deps.worker, started_at: startedAt, finished_at: deps.clock(), outcome, provider, provider_message_id: providerMessageId, detail: detail?.slice(0, 2000) ?? null })
        .execute();

    // `attempts` counts claims: a claim whose lease ran out (a worker died or fell behind) is not a
    // provider refusing the message. Only a message that keeps taking its workers down gives up here.
    if (m.attempts > m.max_attempts * CLAIMS_PER_ATTEMPT) {
      await finish(scope, m, { status: 'failed', reason: `gave up after ${m.attempts} claims without an answer from the provider` }, deps.clock());
      await attempt('failed', 'too many claims');
      return 'failed';
    }

    const verdict = await checkBeforeSend(scope, m, settings, startedAt);
    if (verdict.action === 'not_sent') {
      await finish(scope, m, { status: 'not_sent', reason: verdict.reason }, deps.clock());
      await attempt('not_sent', verdict.reason);
      return 'not_sent';
    }
    if (verdict.action === 'defer') {
      await scope.tx
        .updateTable('message')
        .set({ status: 'scheduled', due_at: verdict.until, lease_until: null, claimed_by: null, attempts: m.attempts - 1, updated_at: deps.clock() })
        .where('id', '=', m.id)
        .execute();
      await attempt('deferred', `quiet hours until ${verdict.until.toISOString()}`);
      return 'deferred';
    }

    // A reply in a conversation goes back to the number that texted (a household's shared phone),
    // anything else to the patient's own address as it is now.
    const address = m.conversation_id && m.to_address ? m.to_address : m.patient_id ? (await addressFor(scope, m.patient_id, m.channel)).address : m.to_address;
    if (!address) {
      const reason = m.channel === 'email' ? 'no_email_address' : 'no_phone_number';
      await finish(scope, m, { status: 'not_sent', reason }, deps.clock());
      await attempt('not_sent', reason);
      return 'not_sent';
    }
    const tenant = await scope.tx.selectFrom('tenant').select(['name', 'slug', 'time_zone']).where('id', '=', scope.tenantId).executeTakeFirstOrThrow();
    const rendered = await renderMessage(scope, m, { linkKey, baseUrl: deps.baseUrl, now: startedAt, tenant });
    if ('missing' in rendered) {
      await finish(scope, m, { status: 'not_sent', reason: rendered.missing }, deps.clock());
      await attempt('not_sent', rendered.missing);
      return 'not_sent';
    }
    const adapter = deps.adapters.adapterFor(scope.tenantId, m.channel, settings);
    const from =
      m.channel === 'email'
        ? `"${(settings.email_from_name ?? tenant.name).replace(/"/g, '')}" <${settings.email_from_address ?? `no-reply@${tenant.slug}.rapport.invalid`}>`
        : settings.sms_from;
    let result: SendResult;
    try {
      result = await adapter.send({
        id: m.id,
        tenantId: scope.tenantId,
        channel: m.channel,
        to: address,
        from,
        replyTo: settings.email_reply_to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        idempotencyKey: `${scope.tenantId}:${m.id}`,
        headers: rendered.headers,
        statusCallbackUrl: m.channel === 'sms' && settings.sms_provider !== 'none' ? `${deps.baseUrl}/api/webhooks/sms/${settings.sms_provider}/${tenant.slug}/status` : null,
      });
    } catch (error) {
      result = { outcome: 'retry', reason: error instanceof Error ? error.message : String(error) };
    }
    const content = { to_address: address, subject: rendered.subject, body_text: rendered.text, body_html: rendered.html };
    const now = deps.clock();
    switch (result.outcome) {
      case 'sent':
      case 'delivered': {
        const status: MessageStatus = adapter.provider === 'sandbox' ? 'sandboxed' : result.outcome;
        await finish(scope, m, { status, reason: null, provider: adapter.provider, providerMessageId: result.providerMessageId, content }, now);
        await attempt(status === 'sandboxed' ? 'sandboxed' : result.outcome, result.response ?? null, adapter.provider, result.providerMessageId);
        return status;
      }
      case 'failed':
        await finish(scope, m, { status: 'failed', reason: result.reason, provider: adapter.provider, content }, now);
        await attempt('failed', result.response ?? result.reason, adapter.provider);
        return 'failed';
      case 'retry': {
        const retries = await retriesOf(scope, m.id);
        if (retries + 1 >= m.max_attempts) {
          await finish(scope, m, { status: 'failed', reason: `gave up after ${retries + 1} attempts: ${result.reason}`, provider: adapter.provider, content }, now);
          await attempt('failed', result.response ?? result.reason, adapter.provider);
          return 'failed';
        }
        const delay = Math.max(result.retryAfterSeconds ?? 0, retryDelaySeconds(retries + 1));
        await scope.tx
          .updateTable('message')
          .set({ status: 'scheduled', due_at: new Date(now.getTime() + delay * 1000), lease_until: null, claimed_by: null, provider: adapter.provider, updated_at: now })
          .where('id', '=', m.id)
          .execute();
        await attempt('retry', result.response ?? result.reason, adapter.provider);
        return 'retry';
      }
    }
  });
}

type Finish = {
  status: MessageStatus;
  reason: string | null;
  provider?: string;
  providerMessageId?: string | null;
  content?: { to_address: string; subject: string | null; body_text: string; body_html: string | null };
};

async function finish(scope: TenantScope, m: MessageRow, f: Finish, now: Date): Promise<void> {
  const handedOver = f.status === 'sent' || f.status === 'delivered' || f.status === 'sandboxed';
  await scope.tx
    .updateTable('message')
    .set({
      status: f.status,
      reason: f.reason,
      lease_until: null,
      updated_at: now,
      ...(f.provider ? { provider: f.provider } : {}),
      ...(f.providerMessageId ? { provider_message_id: f.providerMessageId } : {}),
      ...(f.content ?? {}),
      ...(handedOver ? { sent_at: now } : {}),
      ...(f.status === 'delivered' ? { delivered_at: now } : {}),
    })
    .where('id', '=', m.id)
    .execute();
  if (m.patient_id) {
    await messageOutcomeOnTimeline(scope, { id: m.id, patientId: m.patient_id, channel: m.channel, status: f.status, reason: f.reason, label: m.template_key ?? 'message', subject: f.content?.subject ?? m.subject }, now);
  }
  await scope.audit({
    action: handedOver ? 'message.send' : f.status === 'failed' ? 'message.fail' : 'message.hold',
    entityType: 'message',
    entityId: m.id,
    patientId: m.patient_id,
    detail: { channel: m.channel, status: f.status, reason: f.reason, provider: f.provider ?? null },
  });
}

/**
 * A provider's later word on a message it took (delivered, or failed after all). Unknown ids are
 * ignored (a report for a message of another system sharing the account); returns whether one
 * changed.
 */
export async function applyDeliveryReport(
  scope: TenantScope,
  report: { provider: string; providerMessageId: string; status: 'sent' | 'delivered' | 'failed'; reason?: string | null | undefined },
  now: Date,
): Promise<boolean> {
  const m = await scope.tx
    .selectFrom('message')
    .select(['id', 'status', 'patient_id', 'channel', 'template_key', 'subject'])
    .where('provider', '=', report.provider)
    .where('provider_message_id', '=', report.providerMessageId)
    .forUpdate()
    .executeTakeFirst();
  if (!m) return false;
  // Reports can arrive out of order: delivered and failed are final, 'sent' never undoes them.
  if (report.status === 'sent' || m.status === 'delivered' || m.status === 'failed') return false;
  const reason = report.status === 'failed' ? (report.reason ?? 'the provider could not deliver it') : null;
  await scope.tx
    .updateTable('message')
    .set({ status: report.status, reason, updated_at: now, ...(report.status === 'delivered' ? { delivered_at: now } : {}) })
    .where('id', '=', m.id)
    .execute();
  if (report.status === 'failed' && m.patient_id) {
    await messageOutcomeOnTimeline(scope, { id: m.id, patientId: m.patient_id, channel: m.channel, status: 'failed', reason, label: m.template_key ?? 'message', subject: m.subject }, now);
  }
  await scope.audit({ action: `message.${report.status}`, entityType: 'message', entityId: m.id, patientId: m.patient_id, detail: { provider: report.provider, reason } });
  return true;
}

/** Staff retry a failed (or not sent) message: a fresh start with the same idempotency key. */
export async function retryMessage(scope: TenantScope, id: string, now: Date): Promise<void> {
  const updated = await scope.tx
    .updateTable('message')
    .set({ status: 'scheduled', reason: null, due_at: now, attempts: 0, lease_until: null, claimed_by: null, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', ['failed', 'not_sent'])
    .returning(['id', 'patient_id'])
    .executeTakeFirst();
  if (!updated) {
    const exists = await scope.tx.selectFrom('message').select('status').where('id', '=', id).executeTakeFirst();
    if (!exists) throw new AppError(404, 'not_found', 'Message not found');
    throw new AppError(409, 'not_retryable', `Only a failed or not-sent message can be retried; this one is ${exists.status}.`);
  }
  await sql`select pg_notify('rapport_outbox', '')`.execute(scope.tx);
  await scope.audit({ action: 'message.retry', entityType: 'message', entityId: id, patientId: updated.patient_id });
}
