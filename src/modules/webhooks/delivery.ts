import { sql, type Kysely } from 'kysely';
import { withSystem, withTenant, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import type { WebhookAttemptOutcome } from '../../server/db/types-webhooks.ts';
import { postWebhook, type PostResult } from './send.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import type { TargetPolicy } from './target.ts';

/**
 * Delivering webhooks, like the message outbox (decision 0018) but without holding a transaction
 * across the HTTP call (decision 0023): a worker claims due deliveries in a batch (SKIP LOCKED,
 * under a lease), reads each one, POSTs it outside any transaction, and records the attempt only if
 * its claim still stands. A worker that dies mid-send leaves a lease that runs out; the delivery is
 * sent again with the same event id (at least once: receivers dedupe by Rapport-Event-Id).
 */

export type DeliveryDeps = {
  db: Kysely<DB>;
  clock: () => Date;
  /** Names this process in leases and attempt records. */
  worker: string;
  policy: TargetPolicy;
  /** Per request, connecting to the end of the answer. */
  timeoutMs?: number;
  /** Longer than the timeout: a lease that runs out means the worker died. */
  leaseSeconds?: number;
  /** Deliveries ending failed in a row (none delivered between) that turn a subscription off; 0 never. */
  disableAfterFailures?: number;
  /** 0..1, for the jitter of retry delays (tests pass a fixed value). */
  random?: () => number;
};

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_DISABLE_AFTER = 5;
const MAX_DELAY_SECONDS = 8 * 3600;

/**
 * The wait before attempt `attempt + 1`: 30 s x 4^(n-1), at most 8 h, times 0.8 to 1.2 so a burst of
 * failures does not come back as a burst. Eight attempts span about 19 hours.
 */
export function retryDelaySeconds(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30 * 4 ** (attempt - 1), MAX_DELAY_SECONDS);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export type DeliveryClaim = { tenant_id: string; id: string; attempts: number };

/** Claims up to `limit` deliveries: expired leases first, then the longest due; only of enabled subscriptions. */
export async function claimDueDeliveries(deps: DeliveryDeps, limit: number): Promise<DeliveryClaim[]> {
  const now = deps.clock();
  const leaseUntil = new Date(now.getTime() + (deps.leaseSeconds ?? 60) * 1000);
  // Only ids and lease columns cross tenants here; the delivery is read inside its tenant.
  return withSystem(deps.db, async (tx) => {
    const claim = (where: ReturnType<typeof sql>, order: ReturnType<typeof sql>, n: number) =>
      sql<DeliveryClaim>`
        UPDATE webhook_delivery d
           SET status = 'sending', lease_until = ${leaseUntil}, claimed_by = ${deps.worker}, attempts = d.attempts + 1, updated_at = ${now}
          FROM (SELECT w.tenant_id, w.id FROM webhook_delivery w
                  JOIN webhook_subscription s ON s.tenant_id = w.tenant_id AND s.id = w.subscription_id
                 WHERE s.enabled AND ${where} ORDER BY ${order} LIMIT ${n} FOR UPDATE OF w SKIP LOCKED) c
         WHERE d.tenant_id = c.tenant_id AND d.id = c.id
     RETURNING d.tenant_id, d.id, d.attempts`.execute(tx);
    const expired = await claim(sql`w.status = 'sending' AND w.lease_until < ${now}`, sql`w.lease_until`, limit);
    const rest = limit - expired.rows.length;
    const due = rest > 0 ? await claim(sql`w.status = 'pending' AND w.due_at <= ${now}`, sql`w.due_at`, rest) : { rows: [] };
    return [...expired.rows, ...due.rows];
  });
}

/** When the next pending delivery of an enabled subscription falls due, if any. */
export async function nextDeliveryDueAt(db: Kysely<DB>): Promise<Date | null> {
  const row = await withSystem(db, (tx) =>
    sql<{ at: Date | null }>`
      SELECT min(d.due_at) AS at FROM webhook_delivery d
        JOIN webhook_subscription s ON s.tenant_id = d.tenant_id AND s.id = d.subscription_id
       WHERE d.status = 'pending' AND s.enabled`.execute(tx),
  );
  const at = row.rows[0]?.at;
  return at ? new Date(at) : null;
}

export type DeliveryOutcome = WebhookAttemptOutcome | 'skipped';

const system = { type: 'system' as const, id: null };

/** Sends one claimed delivery and records the attempt; returns what came of it. */
export async function deliverWebhook(deps: DeliveryDeps, claim: DeliveryClaim): Promise<DeliveryOutcome> {
  const context = { tenantId: claim.tenant_id, actor: system };
  const loaded = await withTenant(deps.db, context, async (scope) => {
    const d = await scope.tx
      .selectFrom('webhook_delivery as d')
      .innerJoin('webhook_subscription as s', 's.id', 'd.subscription_id')
      .select(['d.id', 'd.event_id', 'd.event_type', 'd.body', 'd.status', 'd.claimed_by', 'd.attempts', 'd.max_attempts', 's.url', 's.secret', 's.previous_secret', 's.previous_secret_expires_at'])
      .where('d.id', '=', claim.id)
      .executeTakeFirst();
    if (!d || d.status !== 'sending' || d.claimed_by !== deps.worker || d.attempts !== claim.attempts) return 'skipped' as const;
    // A delivery whose workers kept dying (its lease ran out each time) ends here, unsent again.
    if (d.attempts > d.max_attempts) {
      const gaveUp = { statusCode: null, error: `gave up: attempts ended without an outcome`, responseBody: null, durationMs: 0, retryAfterSeconds: null };
      return record(scope, deps, claim, d.max_attempts, deps.clock(), gaveUp);
    }
    return d;
  });
  if (typeof loaded === 'string') return loaded;

  const startedAt = deps.clock();
  const timestamp = Math.floor(startedAt.getTime() / 1000);
  const secrets = [loaded.secret, ...(loaded.previous_secret && loaded.previous_secret_expires_at && loaded.previous_secret_expires_at > startedAt ? [loaded.previous_secret] : [])];
  const result = await postWebhook(
    loaded.url,
    {
      'content-type': 'application/json',
      'user-agent': 'Rapport-Webhooks/1',
      [SIGNATURE_HEADER]: signatureHeader(secrets, timestamp, loaded.body),
      'rapport-event-id': loaded.event_id,
      'rapport-event-type': loaded.event_type,
      'rapport-delivery-id': loaded.id,
      'rapport-timestamp': String(timestamp),
      'rapport-attempt': String(claim.attempts),
    },
    loaded.body,
    { timeoutMs: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS, policy: deps.policy },
  );
  return withTenant(deps.db, context, (scope) => record(scope, deps, claim, loaded.max_attempts, startedAt, result));
}

/** Logs the attempt, then moves the delivery on: delivered, due again later, or failed. */
async function record(scope: TenantScope, deps: DeliveryDeps, claim: DeliveryClaim, maxAttempts: number, startedAt: Date, result: PostResult): Promise<DeliveryOutcome> {
  const now = deps.clock();
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const outcome: WebhookAttemptOutcome = ok ? 'delivered' : claim.attempts >= maxAttempts ? 'failed' : 'retry';
  const error = result.error ?? (ok ? null : `HTTP ${result.statusCode}`);
  // Locks the row: a claim that lost its lease meanwhile (another worker took it) changes nothing but the log.
  const current = await scope.tx
    .selectFrom('webhook_delivery')
    .select(['subscription_id', 'status', 'claimed_by', 'attempts'])
    .where('id', '=', claim.id)
    .forUpdate()
    .executeTakeFirst();
  if (!current) return 'skipped';
  await scope.tx
    .insertInto('webhook_attempt')
    .values({
      tenant_id: scope.tenantId,
      delivery_id: claim.id,
      attempt: sql<number>`(SELECT coalesce(max(attempt), 0) + 1 FROM webhook_attempt WHERE delivery_id = ${claim.id})`,
      outcome,
      started_at: startedAt,
      duration_ms: result.durationMs,
      status_code: result.statusCode,
      error: error?.slice(0, 1000) ?? null,
      response_body: result.responseBody,
      worker: deps.worker,
    })
    .execute();
  if (current.status !== 'sending' || current.claimed_by !== deps.worker || current.attempts !== claim.attempts) return 'skipped';

  const delivery = { lease_until: null, claimed_by: null, last_status_code: result.statusCode, last_error: error?.slice(0, 1000) ?? null, updated_at: now };
  if (outcome === 'delivered') {
    await scope.tx.updateTable('webhook_delivery').set({ ...delivery, status: 'delivered', delivered_at: now }).where('id', '=', claim.id).execute();
    await scope.tx.updateTable('webhook_subscription').set({ consecutive_failures: 0, last_delivered_at: now }).where('id', '=', current.subscription_id).execute();
  } else if (outcome === 'retry') {
    const delay = Math.min(Math.max(retryDelaySeconds(claim.attempts, deps.random), result.retryAfterSeconds ?? 0), MAX_DELAY_SECONDS);
    await scope.tx
      .updateTable('webhook_delivery')
      .set({ ...delivery, status: 'pending', due_at: new Date(now.getTime() + delay * 1000) })
      .where('id', '=', claim.id)
      .execute();
  } else {
    await scope.tx.updateTable('webhook_delivery').set({ ...delivery, status: 'failed' }).where('id', '=', claim.id).execute();
    await countFailure(scope, deps, current.subscription_id, now);
  }
  return outcome;
}

/** A delivery ended failed: count it, and turn the subscription off after too many in a row. */
async function countFailure(scope: TenantScope, deps: DeliveryDeps, subscriptionId: string, now: Date): Promise<void> {
  const limit = deps.disableAfterFailures ?? DEFAULT_DISABLE_AFTER;
  const sub = await scope.tx
    .updateTable('webhook_subscription')
    .set({ consecutive_failures: sql<number>`consecutive_failures + 1`, last_failed_at: now })
    .where('id', '=', subscriptionId)
    .returning(['consecutive_failures', 'enabled'])
    .executeTakeFirst();
  if (!sub || !sub.enabled || limit <= 0 || sub.consecutive_failures < limit) return;
  await scope.tx
    .updateTable('webhook_subscription')
    .set({ enabled: false, disabled_reason: 'failing', disabled_at: now, updated_at: now })
    .where('id', '=', subscriptionId)
    .execute();
  await scope.audit({ action: 'webhook.disable', entityType: 'webhook_subscription', entityId: subscriptionId, detail: { reason: 'failing', consecutiveFailures: sub.consecutive_failures } });
}
