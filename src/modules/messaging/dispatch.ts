import { sql, type Kysely, type Selectable } from 'kysely';
import { withSystem, withTenant, type TenantScope } from '../../server/db/scope.ts';
import type { DB, MessageStatus, MessageTable } from '../../server/db/types.ts';
import { AppError } from '../../server/errors.ts';
import { ensureTenantLinkKey } from '../scheduling/links.ts';
import type { AdapterRegistry } from './adapters.ts';
import { recordTimelineEvents } from '../timeline/events.ts';
import { emitMessageEvents } from '../webhooks/events.ts';
import { MessageFacts } from './facts.ts';
import { messageOutcomeEvent, messageOutcomeOnTimeline } from './outbox.ts';
import { CapCounter } from './caps.ts';
import { afterQuietHours, messagingSettings, quietHoursApply, type MessagingSettings } from './policy.ts';
import { renderMessage } from './render.ts';
import type { SendResult } from './types.ts';

/**
 * Sending: workers claim due messages in batches (SKIP LOCKED, under a lease), then send them a
 * tenant's batch at a time, in one transaction that holds the messages' row locks from the last
 * checks until the outcomes are recorded. A cancellation or a withdrawal of consent updates the same row, so it
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
  /** Messages of one batch handed to providers at once. */
  sendConcurrency?: number;
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

/** Attempt outcomes that end a generation of a message: it went, or it ended failed or not sent. */
const CONCLUDED: ReadonlyArray<Selectable<DB['message_attempt']>['outcome']> = ['sent', 'delivered', 'sandboxed', 'failed', 'not_sent'];

/**
 * Each message's generation: how many times its sending concluded before (a staff retry is the
 * only way a concluded message is sent again). Claims of one generation, a re-claim after a worker
 * died included, see the same number (a crashed transaction records no attempt), so they carry the
 * same idempotency key; a retry carries a new one, so a provider that deduplicates neither replays
 * its earlier refusal nor drops the retry as a repeat. A message stopped with no concluded attempt
 * (never handed to a provider, or only answered with a transient error) keeps its key.
 */
async function generationsOf(scope: TenantScope, messageIds: string[]): Promise<Map<string, number>> {
  if (!messageIds.length) return new Map();
  const rows = await scope.tx
    .selectFrom('message_attempt')
    .select(['message_id', sql<number>`count(*)::int`.as('n')])
    .where('message_id', 'in', messageIds)
    .where('outcome', 'in', CONCLUDED)
    .groupBy('message_id')
    .execute();
  return new Map(rows.map((r) => [r.message_id, r.n]));
}

/** The key a provider may deduplicate by: the first generation keeps the plain form older sends used. */
export const idempotencyKeyOf = (tenantId: string, messageId: string, generation: number) =>
  generation === 0 ? `${tenantId}:${messageId}` : `${tenantId}:${messageId}:retry-${generation}`;

type Verdict = { action: 'send'; address: string } | { action: 'not_sent'; reason: string } | { action: 'defer'; until: Date } | { action: 'requeue' };

/** What one message of a batch came to, written back with the others in one statement each. */
type Result = {
  m: MessageRow;
  outcome: DeliveryOutcome;
  /** The row's new state. */
  status: MessageStatus;
  reason?: string | null;
  dueAt?: Date;
  /** Claims handed back (a deferral or a requeue is not an attempt). */
  giveBack?: number;
  provider?: string | null;
  providerMessageId?: string | null;
  content?: { to_address: string; subject: string | null; body_text: string; body_html: string | null };
  /** The attempt record, if this claim was one. */
  attempt?: { outcome: Selectable<DB['message_attempt']>['outcome']; detail: string | null; provider?: string | null; providerMessageId?: string | null; finishedAt: Date };
};

/**
 * Everything checked again just before sending; consent and caps were also checked when the
 * message was scheduled. `capped` holds the patients and purposes already being sent to in this
 * batch: a second message to one of them goes back to the queue, to be counted after this
 * batch commits.
 */
async function checkBeforeSend(
  scope: TenantScope,
  facts: MessageFacts,
  m: MessageRow,
  settings: MessagingSettings,
  now: Date,
  caps: CapCounter,
  cancelTriggers: Map<string, string>,
): Promise<Verdict> {
  if (m.expires_at && m.expires_at <= now) return { action: 'not_sent', reason: m.subject_type === 'appointment' ? 'appointment_past' : 'expired' };
  if (m.subject_type === 'appointment' && m.subject_id) {
    const appointment = await facts.appointment(m.subject_id);
    if (appointment?.status === 'cancelled') {
      if (!m.journey_run_id || cancelTriggers.get(m.journey_run_id) !== 'appointment.cancelled') return { action: 'not_sent', reason: 'appointment_cancelled' };
    }
  }
  if (!m.patient_id) return m.to_address ? { action: 'send', address: m.to_address } : { action: 'not_sent', reason: 'no_phone_number' };
  const patient = await facts.patient(m.patient_id);
  if (!patient || patient.lifecycle_status === 'deceased' || patient.archived_at || patient.merged_into_id) return { action: 'not_sent', reason: 'patient_inactive' };
  const consent = await facts.consent(m.patient_id, m.channel, m.purpose);
  if (!consent.allowed) return { action: 'not_sent', reason: consent.reason ?? 'consent_withdrawn' };
  if (!m.urgent) {
    const cap = await caps.check(m.patient_id, m.purpose);
    if (cap === 'busy') return { action: 'requeue' };
    if (cap === 'over') return { action: 'not_sent', reason: 'frequency_cap' };
  }
  if (quietHoursApply(m)) {
    const zone = patient.time_zone ?? (await tenantZone(scope));
    const until = afterQuietHours(now, zone, { start: patient.quiet_hours_start ?? settings.quiet_hours_start, end: patient.quiet_hours_end ?? settings.quiet_hours_end });
    if (until > now) {
      if (m.expires_at && until >= m.expires_at) return { action: 'not_sent', reason: 'quiet_hours_expired' };
      return { action: 'defer', until };
    }
  }
  // A reply in a conversation goes back to the number that texted (a household's shared phone),
  // anything else to the patient's own address as it is now.
  const address = m.conversation_id && m.to_address ? m.to_address : (await facts.address(m.patient_id, m.channel)).address;
  if (!address) return { action: 'not_sent', reason: m.channel === 'email' ? 'no_email_address' : 'no_phone_number' };
  return { action: 'send', address };
}

const tenantZones = new WeakMap<TenantScope, string>();
async function tenantZone(scope: TenantScope): Promise<string> {
  let zone = tenantZones.get(scope);
  if (!zone) {
    zone = (await scope.tx.selectFrom('tenant').select('time_zone').where('id', '=', scope.tenantId).executeTakeFirstOrThrow()).time_zone;
    tenantZones.set(scope, zone);
  }
  return zone;
}

export type DeliveryOutcome = MessageStatus | 'skipped' | 'deferred' | 'retry' | 'requeued';

/** Sends one claimed message (or records why not), inside its tenant, holding its row lock throughout. */
export async function deliverMessage(deps: DispatchDeps, claim: Claim): Promise<DeliveryOutcome> {
  return (await deliverBatch(deps, [claim]))[0]!;
}

/**
 * Sends a batch of claimed messages of one tenant in one transaction that holds their row locks
 * from the last checks until the outcomes are recorded: the facts are read for the whole batch in
 * a few statements, the messages go to their providers side by side (`sendConcurrency` at once),
 * and the outcomes, attempts, timeline lines and audit records are written in one statement each.
 * Returns each claim's outcome, in the order given.
 */
export async function deliverBatch(deps: DispatchDeps, claims: Claim[]): Promise<DeliveryOutcome[]> {
  if (!claims.length) return [];
  const tenantId = claims[0]!.tenant_id;
  if (claims.some((c) => c.tenant_id !== tenantId)) throw new Error('deliverBatch: one tenant per batch');
  const linkKey = await linkKeyOf(deps.db, tenantId);
  return withTenant(deps.db, { tenantId, actor: { type: 'system', id: null } }, async (scope) => {
    // In id order, so two transactions locking overlapping sets take them in the same order.
    const locked = await scope.tx
      .selectFrom('message')
      .selectAll()
      .where('id', 'in', claims.map((c) => c.id))
      .orderBy('id')
      .forUpdate()
      .execute();
    const mine = locked.filter((m) => m.status === 'sending' && m.claimed_by === deps.worker);
    const startedAt = deps.clock();
    const results: Result[] = [];
    const toSend: Array<{ m: MessageRow; address: string }> = [];
    if (mine.length) {
      const settings = await messagingSettings(scope);
      const facts = new MessageFacts(scope);
      await facts.preload(mine);
      const cancelTriggers = await cancelledRunTriggers(scope, facts, mine);
      const caps = new CapCounter(scope, settings, startedAt, mine);
      for (const m of mine) {
        // `attempts` counts claims: a claim whose lease ran out (a worker died or fell behind) is not a
        // provider refusing the message. Only a message that keeps taking its workers down gives up here.
        if (m.attempts > m.max_attempts * CLAIMS_PER_ATTEMPT) {
          const reason = `gave up after ${m.attempts} claims without an answer from the provider`;
          results.push({ m, outcome: 'failed', status: 'failed', reason, attempt: { outcome: 'failed', detail: 'too many claims', finishedAt: deps.clock() } });
          continue;
        }
        const verdict = await checkBeforeSend(scope, facts, m, settings, startedAt, caps, cancelTriggers);
        if (verdict.action === 'not_sent') {
          results.push({ m, outcome: 'not_sent', status: 'not_sent', reason: verdict.reason, attempt: { outcome: 'not_sent', detail: verdict.reason, finishedAt: deps.clock() } });
        } else if (verdict.action === 'defer') {
          results.push({ m, outcome: 'deferred', status: 'scheduled', dueAt: verdict.until, giveBack: 1, attempt: { outcome: 'deferred', detail: `quiet hours until ${verdict.until.toISOString()}`, finishedAt: deps.clock() } });
        } else if (verdict.action === 'requeue') {
          results.push({ m, outcome: 'requeued', status: 'scheduled', giveBack: 1 });
        } else {
          toSend.push({ m, address: verdict.address });
        }
      }
      if (toSend.length) {
        const tenant = await scope.tx.selectFrom('tenant').select(['name', 'slug', 'time_zone']).where('id', '=', scope.tenantId).executeTakeFirstOrThrow();
        const generations = await generationsOf(scope, toSend.map(({ m }) => m.id));
        const sent = await inParallel(toSend, deps.sendConcurrency ?? 16, ({ m, address }) =>
          send(deps, scope, { m, address, settings, facts, tenant, linkKey, startedAt, idempotencyKey: idempotencyKeyOf(scope.tenantId, m.id, generations.get(m.id) ?? 0) }),
        );
        results.push(...sent);
      }
      await record(scope, results, startedAt, deps.clock());
    }
    const byId = new Map(results.map((r) => [r.m.id, r.outcome]));
    return claims.map((c) => byId.get(c.id) ?? 'skipped');
  });
}

/** For messages about a cancelled visit: the trigger of the journey run that made each (a cancellation notice is meant to go). */
async function cancelledRunTriggers(scope: TenantScope, facts: MessageFacts, messages: MessageRow[]): Promise<Map<string, string>> {
  const runIds: string[] = [];
  for (const m of messages) {
    if (m.subject_type === 'appointment' && m.subject_id && m.journey_run_id && (await facts.appointment(m.subject_id))?.status === 'cancelled') runIds.push(m.journey_run_id);
  }
  if (!runIds.length) return new Map();
  const runs = await scope.tx.selectFrom('journey_run').select(['id', 'trigger_type']).where('id', 'in', runIds).execute();
  return new Map(runs.map((r) => [r.id, r.trigger_type]));
}

type SendContext = {
  m: MessageRow;
  address: string;
  settings: MessagingSettings;
  facts: MessageFacts;
  tenant: { name: string; slug: string; time_zone: string };
  linkKey: Buffer;
  startedAt: Date;
  idempotencyKey: string;
};

/** Renders one message and hands it to its provider; what came of it, to be written with the batch. */
async function send(deps: DispatchDeps, scope: TenantScope, c: SendContext): Promise<Result> {
  const { m, address, settings, tenant } = c;
  const rendered = await renderMessage(scope, m, { linkKey: c.linkKey, baseUrl: deps.baseUrl, now: c.startedAt, tenant, facts: c.facts });
  if ('missing' in rendered) {
    return { m, outcome: 'not_sent', status: 'not_sent', reason: rendered.missing, attempt: { outcome: 'not_sent', detail: rendered.missing, finishedAt: deps.clock() } };
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
      idempotencyKey: c.idempotencyKey,
      headers: rendered.headers,
      statusCallbackUrl: m.channel === 'sms' && settings.sms_provider !== 'none' ? `${deps.baseUrl}/api/webhooks/sms/${settings.sms_provider}/${tenant.slug}/status` : null,
    });
  } catch (error) {
    result = { outcome: 'retry', reason: error instanceof Error ? error.message : String(error) };
  }
  const content = { to_address: address, subject: rendered.subject, body_text: rendered.text, body_html: rendered.html };
  const finishedAt = deps.clock();
  const provider = adapter.provider;
  switch (result.outcome) {
    case 'sent':
    case 'delivered': {
      const status: MessageStatus = provider === 'sandbox' ? 'sandboxed' : result.outcome;
      return {
        m, outcome: status, status, reason: null, provider, providerMessageId: result.providerMessageId, content,
        attempt: { outcome: status === 'sandboxed' ? 'sandboxed' : result.outcome, detail: result.response ?? null, provider, providerMessageId: result.providerMessageId, finishedAt },
      };
    }
    case 'failed':
      return { m, outcome: 'failed', status: 'failed', reason: result.reason, provider, content, attempt: { outcome: 'failed', detail: result.response ?? result.reason, provider, finishedAt } };
    case 'retry': {
      const retries = await retriesOf(scope, m.id);
      if (retries + 1 >= m.max_attempts) {
        const reason = `gave up after ${retries + 1} attempts: ${result.reason}`;
        return { m, outcome: 'failed', status: 'failed', reason, provider, content, attempt: { outcome: 'failed', detail: result.response ?? result.reason, provider, finishedAt } };
      }
      const delay = Math.max(result.retryAfterSeconds ?? 0, retryDelaySeconds(retries + 1));
      return {
        m, outcome: 'retry', status: 'scheduled', dueAt: new Date(finishedAt.getTime() + delay * 1000), provider,
        attempt: { outcome: 'retry', detail: result.response ?? result.reason, provider, finishedAt },
      };
    }
  }
}

const HANDED_OVER: readonly MessageStatus[] = ['sent', 'delivered', 'sandboxed'];

/** Writes a batch's outcomes: the messages, their attempts, the patients' timelines, the audit log. */
async function record(scope: TenantScope, results: Result[], startedAt: Date, now: Date): Promise<void> {
  if (!results.length) return;
  const rows = results.map((r) => ({
    id: r.m.id,
    status: r.status,
    finish: r.status !== 'scheduled',
    reason: r.reason ?? null,
    give_back: r.giveBack ?? 0,
    due_at: r.dueAt?.toISOString() ?? null,
    provider: r.provider ?? null,
    provider_message_id: r.providerMessageId ?? null,
    has_content: Boolean(r.content),
    to_address: r.content?.to_address ?? null,
    subject: r.content?.subject ?? null,
    body_text: r.content?.body_text ?? null,
    body_html: r.content?.body_html ?? null,
  }));
  await sql`
    UPDATE message m SET
      status = v.status,
      reason = CASE WHEN v.finish THEN v.reason ELSE m.reason END,
      lease_until = NULL,
      claimed_by = CASE WHEN v.status = 'scheduled' THEN NULL ELSE m.claimed_by END,
      attempts = m.attempts - v.give_back,
      due_at = coalesce(v.due_at, m.due_at),
      provider = coalesce(v.provider, m.provider),
      provider_message_id = coalesce(v.provider_message_id, m.provider_message_id),
      to_address = CASE WHEN v.has_content THEN v.to_address ELSE m.to_address END,
      subject = CASE WHEN v.has_content THEN v.subject ELSE m.subject END,
      body_text = CASE WHEN v.has_content THEN v.body_text ELSE m.body_text END,
      body_html = CASE WHEN v.has_content THEN v.body_html ELSE m.body_html END,
      sent_at = CASE WHEN v.status IN ('sent', 'delivered', 'sandboxed') THEN ${now} ELSE m.sent_at END,
      delivered_at = CASE WHEN v.status = 'delivered' THEN ${now} ELSE m.delivered_at END,
      updated_at = ${now}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(
      id uuid, status text, finish boolean, reason text, give_back integer, due_at timestamptz, provider text,
      provider_message_id text, has_content boolean, to_address text, subject text, body_text text, body_html text)
    WHERE m.id = v.id`.execute(scope.tx);

  const attempts = results.filter((r) => r.attempt);
  if (attempts.length) {
    await scope.tx
      .insertInto('message_attempt')
      .values(
        attempts.map(({ m, attempt }) => ({
          tenant_id: scope.tenantId,
          message_id: m.id,
          attempt: m.attempts,
          worker: m.claimed_by,
          started_at: startedAt,
          finished_at: attempt!.finishedAt,
          outcome: attempt!.outcome,
          provider: attempt!.provider ?? null,
          provider_message_id: attempt!.providerMessageId ?? null,
          detail: attempt!.detail?.slice(0, 2000) ?? null,
        })),
      )
      .execute();
  }

  const finished = results.filter((r) => r.status !== 'scheduled');
  await recordTimelineEvents(
    scope,
    finished
      .filter((r) => r.m.patient_id)
      .map((r) =>
        messageOutcomeEvent(
          { id: r.m.id, patientId: r.m.patient_id!, channel: r.m.channel, status: r.status, reason: r.reason ?? null, label: r.m.template_key ?? 'message', subject: r.content?.subject ?? r.m.subject },
          now,
        ),
      ),
  );
  await scope.audit(
    finished.map((r) => ({
      action: HANDED_OVER.includes(r.status) ? 'message.send' : r.status === 'failed' ? 'message.fail' : 'message.hold',
      entityType: 'message',
      entityId: r.m.id,
      patientId: r.m.patient_id,
      detail: { channel: r.m.channel, status: r.status, reason: r.reason ?? null, provider: r.provider ?? null },
    })),
  );
  await emitMessageEvents(scope, finished.map((r) => ({ id: r.m.id, patientId: r.m.patient_id, channel: r.m.channel, purpose: r.m.purpose, status: r.status, reason: r.reason ?? null })), now);
}

/** Runs `work` over `items`, at most `limit` at once; results in the order of `items`. */
export async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
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
    .select(['id', 'status', 'patient_id', 'channel', 'purpose', 'template_key', 'subject'])
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
  await emitMessageEvents(scope, [{ id: m.id, patientId: m.patient_id, channel: m.channel, purpose: m.purpose, status: report.status, reason }], now);
  return true;
}

/**
 * Staff retry a failed (or not sent) message: a fresh start, due now. Its provider idempotency key
 * changes with it (see `generationsOf`): the retry is a new request, not a repeat of the refused one.
 */
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
