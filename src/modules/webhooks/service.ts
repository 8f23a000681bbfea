import { sql, type Selectable } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { WebhookDeliveryTable, WebhookSubscriptionTable } from '../../server/db/types-webhooks.ts';
import { AppError, notFound, validationFailed } from '../../server/errors.ts';
import { decodeCursor, encodeCursor } from '../../server/http/cursor.ts';
import { emitTestEvent, WEBHOOK_EVENT_TYPES } from './events.ts';
import type { DeliveryView, SubscriptionView } from './schema.ts';
import { newSecret } from './signature.ts';
import { urlProblem, type TargetPolicy } from './target.ts';

/**
 * A clinic's webhook subscriptions and their delivery log, for admins in Clinic setup. The signing
 * secret is shown once, when it is made (create, rotate); every other answer gives its last four
 * characters only. Audit records name the fields changed, never the URL or the secret.
 */

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3600 * 1000;

type SubscriptionRow = Selectable<WebhookSubscriptionTable>;
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function present(s: SubscriptionRow): SubscriptionView {
  return {
    id: s.id,
    url: s.url,
    description: s.description,
    events: s.events,
    enabled: s.enabled,
    disabledReason: s.disabled_reason,
    disabledAt: iso(s.disabled_at),
    consecutiveFailures: s.consecutive_failures,
    lastDeliveredAt: iso(s.last_delivered_at),
    lastFailedAt: iso(s.last_failed_at),
    secretHint: `…${s.secret.slice(-4)}`,
    secretRotatedAt: iso(s.secret_rotated_at),
    previousSecretExpiresAt: iso(s.previous_secret_expires_at),
    createdAt: iso(s.created_at)!,
    updatedAt: iso(s.updated_at)!,
  };
}

const actorUserId = (scope: TenantScope) => (scope.actor.type === 'user' ? scope.actor.id : scope.actor.type === 'api_token' ? scope.actor.userId : null);

/** Refuses a URL the policy does not allow, naming the field; the refusal is audited, nothing is stored. */
async function checkUrl(scope: TenantScope, action: string, url: string, policy: TargetPolicy, entityId?: string): Promise<void> {
  const problem = urlProblem(url, policy);
  if (!problem) return;
  await scope.audit({ action, entityType: 'webhook_subscription', ...(entityId ? { entityId } : {}), outcome: 'failure', detail: { problems: ['url'] } });
  throw validationFailed([{ path: 'url', message: problem }]);
}

async function lockSubscription(scope: TenantScope, id: string): Promise<SubscriptionRow> {
  const row = await scope.tx.selectFrom('webhook_subscription').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw notFound('Webhook subscription');
  return row;
}

export async function listSubscriptions(scope: TenantScope): Promise<{ items: SubscriptionView[]; eventTypes: string[] }> {
  const rows = await scope.tx.selectFrom('webhook_subscription').selectAll().orderBy('created_at').orderBy('id').execute();
  return { items: rows.map(present), eventTypes: [...WEBHOOK_EVENT_TYPES] };
}

export type NewSubscription = { url: string; events: string[]; description?: string | null | undefined; enabled?: boolean | undefined };

export async function createSubscription(scope: TenantScope, input: NewSubscription, options: { now: Date; policy: TargetPolicy }): Promise<{ subscription: SubscriptionView; secret: string }> {
  await checkUrl(scope, 'webhook.create', input.url, options.policy);
  const secret = newSecret();
  const enabled = input.enabled ?? true;
  const row = await scope.tx
    .insertInto('webhook_subscription')
    .values({
      tenant_id: scope.tenantId,
      url: input.url,
      description: input.description || null,
      events: input.events,
      secret,
      enabled,
      disabled_reason: enabled ? null : 'staff',
      disabled_at: enabled ? null : options.now,
      created_by: actorUserId(scope),
      created_at: options.now,
      updated_at: options.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'webhook.create', entityType: 'webhook_subscription', entityId: row.id, detail: { events: input.events, enabled } });
  return { subscription: present(row), secret };
}

export type SubscriptionChange = Partial<NewSubscription>;

export async function updateSubscription(scope: TenantScope, id: string, patch: SubscriptionChange, options: { now: Date; policy: TargetPolicy }): Promise<SubscriptionView> {
  const current = await lockSubscription(scope, id);
  if (patch.url !== undefined && patch.url !== current.url) await checkUrl(scope, 'webhook.update', patch.url, options.policy, id);
  const turning = patch.enabled === undefined || patch.enabled === current.enabled ? null : patch.enabled ? 'on' : 'off';
  const row = await scope.tx
    .updateTable('webhook_subscription')
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      ...(patch.description !== undefined ? { description: patch.description || null } : {}),
      // Turned on again: failures start counting afresh, and held deliveries go out.
      ...(turning === 'on' ? { enabled: true, disabled_reason: null, disabled_at: null, consecutive_failures: 0 } : {}),
      ...(turning === 'off' ? { enabled: false, disabled_reason: 'staff' as const, disabled_at: options.now } : {}),
      updated_at: options.now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (turning === 'on') await sql`select pg_notify('rapport_webhooks', '')`.execute(scope.tx);
  await scope.audit({ action: 'webhook.update', entityType: 'webhook_subscription', entityId: id, detail: { fields: Object.keys(patch), ...(turning ? { turned: turning } : {}) } });
  return present(row);
}

/** Deletes a subscription with its delivery log; pending deliveries are never sent. */
export async function deleteSubscription(scope: TenantScope, id: string): Promise<void> {
  await lockSubscription(scope, id);
  await scope.tx.deleteFrom('webhook_subscription').where('id', '=', id).execute();
  await scope.audit({ action: 'webhook.delete', entityType: 'webhook_subscription', entityId: id });
}

/** A new secret, shown once; the old one keeps signing beside it for a day so receivers can switch. */
export async function rotateSecret(scope: TenantScope, id: string, now: Date): Promise<{ subscription: SubscriptionView; secret: string }> {
  const current = await lockSubscription(scope, id);
  const secret = newSecret();
  const row = await scope.tx
    .updateTable('webhook_subscription')
    .set({ secret, previous_secret: current.secret, previous_secret_expires_at: new Date(now.getTime() + PREVIOUS_SECRET_GRACE_MS), secret_rotated_at: now, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'webhook.rotate_secret', entityType: 'webhook_subscription', entityId: id });
  return { subscription: present(row), secret };
}

/** Queues a `webhook.test` event for this subscription alone; refused while it is off. */
export async function sendTestEvent(scope: TenantScope, id: string, now: Date): Promise<DeliveryView> {
  const current = await lockSubscription(scope, id);
  if (!current.enabled) throw new AppError(409, 'subscription_disabled', 'This webhook is turned off: turn it on before sending a test event.');
  const deliveryId = await emitTestEvent(scope, id, now);
  await scope.audit({ action: 'webhook.test', entityType: 'webhook_subscription', entityId: id, detail: { deliveryId } });
  return (await loadDeliveries(scope, [deliveryId!]))[0]!;
}

type DeliveryRow = Selectable<WebhookDeliveryTable>;

async function loadDeliveries(scope: TenantScope, ids: string[]): Promise<DeliveryView[]> {
  if (!ids.length) return [];
  const rows = await scope.tx.selectFrom('webhook_delivery').selectAll().where('id', 'in', ids).execute();
  return presentDeliveries(scope, rows, ids);
}

async function presentDeliveries(scope: TenantScope, rows: DeliveryRow[], order: string[]): Promise<DeliveryView[]> {
  const attempts = rows.length
    ? await scope.tx.selectFrom('webhook_attempt').selectAll().where('delivery_id', 'in', rows.map((r) => r.id)).orderBy('attempt').execute()
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return order.flatMap((id) => {
    const d = byId.get(id);
    if (!d) return [];
    return [
      {
        id: d.id,
        subscriptionId: d.subscription_id,
        eventId: d.event_id,
        eventType: d.event_type,
        status: d.status,
        attempts: d.attempts,
        maxAttempts: d.max_attempts,
        dueAt: iso(d.due_at)!,
        lastStatusCode: d.last_status_code,
        lastError: d.last_error,
        deliveredAt: iso(d.delivered_at),
        occurredAt: iso(d.occurred_at)!,
        createdAt: iso(d.created_at)!,
        body: d.body,
        attemptLog: attempts
          .filter((a) => a.delivery_id === d.id)
          .map((a) => ({ attempt: a.attempt, outcome: a.outcome, startedAt: iso(a.started_at)!, durationMs: a.duration_ms, statusCode: a.status_code, error: a.error, responseBody: a.response_body })),
      },
    ];
  });
}

type Cursor = { c: string; id: string };

/** A subscription's deliveries, newest first, each with its attempts. */
export async function listDeliveries(
  scope: TenantScope,
  subscriptionId: string,
  query: { status?: DeliveryRow['status'] | undefined; cursor?: string | undefined; limit: number },
): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
  const exists = await scope.tx.selectFrom('webhook_subscription').select('id').where('id', '=', subscriptionId).executeTakeFirst();
  if (!exists) throw notFound('Webhook subscription');
  const after = query.cursor ? decodeCursor<Cursor>(query.cursor, (c) => typeof c.c === 'string' && !Number.isNaN(Date.parse(c.c)) && typeof c.id === 'string' && /^[0-9a-f-]{36}$/.test(c.id)) : null;
  let q = scope.tx.selectFrom('webhook_delivery').selectAll().where('subscription_id', '=', subscriptionId);
  if (query.status) q = q.where('status', '=', query.status);
  if (after) q = q.where(sql<boolean>`(created_at, id) < (${new Date(after.c)}, ${after.id}::uuid)`);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: await presentDeliveries(scope, page, page.map((r) => r.id)),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ c: new Date(last.created_at).toISOString(), id: last.id }) : null,
  };
}

export async function getDelivery(scope: TenantScope, id: string): Promise<DeliveryView> {
  const [delivery] = await loadDeliveries(scope, [id]);
  if (!delivery) throw notFound('Webhook delivery');
  return delivery;
}

/** Sends a delivered or failed delivery again, now, with the same event id and body and a fresh set of attempts. */
export async function redeliver(scope: TenantScope, id: string, now: Date): Promise<DeliveryView> {
  const updated = await scope.tx
    .updateTable('webhook_delivery')
    .set({ status: 'pending', due_at: now, attempts: 0, lease_until: null, claimed_by: null, updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', ['delivered', 'failed'])
    .returning(['id', 'subscription_id'])
    .executeTakeFirst();
  if (!updated) {
    const exists = await scope.tx.selectFrom('webhook_delivery').select('status').where('id', '=', id).executeTakeFirst();
    if (!exists) throw notFound('Webhook delivery');
    throw new AppError(409, 'not_redeliverable', `Only a delivered or failed delivery can be sent again; this one is ${exists.status}.`);
  }
  await sql`select pg_notify('rapport_webhooks', '')`.execute(scope.tx);
  await scope.audit({ action: 'webhook.redeliver', entityType: 'webhook_delivery', entityId: id, detail: { subscriptionId: updated.subscription_id } });
  return getDelivery(scope, id);
}
