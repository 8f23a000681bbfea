import { randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';

/**
 * The events a clinic can subscribe to, and how one is written down. Payloads are thin on purpose
 * (decision 0023): Rapport's ids and a few non-clinical facts (status, times, channel), never names,
 * contact details, notes or free text. A receiver that needs more asks the API or FHIR with its own
 * token, where the read is authorised and audited.
 */
export const WEBHOOK_EVENT_TYPES = [
  'patient.created',
  'patient.updated',
  'patient.merged',
  'appointment.booked',
  'appointment.rescheduled',
  'appointment.cancelled',
  'appointment.status_changed',
  'message.sent',
  'message.delivered',
  'message.failed',
  'message.not_sent',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only by "send a test event", to the one subscription it names; nobody subscribes to it. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** What each event's `data` holds. */
export type WebhookEventData = {
  'patient.created': { patientId: string; version: number };
  'patient.updated': { patientId: string; version: number; changedFields: string[] };
  'patient.merged': { mergeId: string; survivorId: string; mergedId: string };
  'appointment.booked': AppointmentData;
  'appointment.rescheduled': AppointmentData;
  'appointment.cancelled': AppointmentData;
  'appointment.status_changed': AppointmentData;
  'message.sent': MessageData;
  'message.delivered': MessageData;
  'message.failed': MessageData;
  'message.not_sent': MessageData;
};

export type AppointmentData = {
  appointmentId: string;
  patientId: string;
  /** What happened: booked, rescheduled, confirmed, checked_in, noshow, completed, cancelled. */
  action: string;
  status: string;
  startsAt: string;
  endsAt: string | null;
  previousStartsAt: string | null;
  practitionerId: string | null;
  locationId: string | null;
  serviceId: string | null;
  via: string;
};

export type MessageData = {
  messageId: string;
  patientId: string | null;
  channel: string;
  purpose: string;
  status: string;
  /** Rapport's reason code (consent_withdrawn, quiet_hours_expired ...) or null; never the provider's text. */
  reason: string | null;
};

export type WebhookEvent<T extends WebhookEventType = WebhookEventType> = { type: T; data: WebhookEventData[T]; occurredAt: Date };

/** Retries per delivery before it is given up as failed (about 19 hours of backoff, see delivery.ts). */
export const MAX_ATTEMPTS = 8;

/**
 * Writes one delivery per enabled subscription of this tenant that wants `type`, in the caller's
 * transaction: the event exists if and only if the change it describes commits. All deliveries of
 * one event share its id. Returns how many were written (0 when nobody listens, which costs one
 * indexed statement).
 */
export async function emitWebhookEvent<T extends WebhookEventType>(scope: TenantScope, event: WebhookEvent<T>): Promise<number> {
  return emitWebhookEvents(scope, [event]);
}

/** Several events at once (a batch of work): one statement to find subscribers, one to write. */
export async function emitWebhookEvents(scope: TenantScope, events: readonly WebhookEvent[]): Promise<number> {
  if (!events.length) return 0;
  const types = [...new Set(events.map((e) => e.type))];
  const ids = await writeEvents(scope, sql`s.enabled AND s.events && ${sql.val(types)}::text[]`, async () => events);
  return ids.length;
}

/**
 * Like emitWebhookEvent, for events whose data costs a query: `data` is only called when some
 * subscription wants the event, and returning null writes nothing.
 */
export async function emitWebhookEventWhenWanted<T extends WebhookEventType>(
  scope: TenantScope,
  event: { type: T; occurredAt: Date; data: () => Promise<WebhookEventData[T] | null> },
): Promise<number> {
  const ids = await writeEvents(scope, sql`s.enabled AND s.events @> ARRAY[${event.type}]::text[]`, async () => {
    const data = await event.data();
    return data === null ? [] : [{ type: event.type, data, occurredAt: event.occurredAt }];
  });
  return ids.length;
}

/** A message's outcome as the messaging module knows it. */
export type MessageOutcomeForWebhook = {
  id: string;
  patientId: string | null;
  channel: string;
  purpose: string;
  status: string;
  reason: string | null;
};

const MESSAGE_EVENT: Record<string, WebhookEventType | undefined> = {
  sent: 'message.sent',
  delivered: 'message.delivered',
  failed: 'message.failed',
  not_sent: 'message.not_sent',
};

/**
 * Message outcomes as events: sent, delivered, failed and not_sent; any other status (scheduled,
 * sending, sandboxed: kept, never delivered) is no event. The reason goes only with not_sent, where
 * it is Rapport's own code: a provider's failure text can quote the patient's address.
 */
export async function emitMessageEvents(scope: TenantScope, messages: readonly MessageOutcomeForWebhook[], occurredAt: Date): Promise<number> {
  const events = messages.flatMap((m): WebhookEvent[] => {
    const type = MESSAGE_EVENT[m.status];
    if (!type) return [];
    const data: MessageData = { messageId: m.id, patientId: m.patientId, channel: m.channel, purpose: m.purpose, status: m.status, reason: m.status === 'not_sent' ? m.reason : null };
    return [{ type, data, occurredAt } as WebhookEvent];
  });
  return emitWebhookEvents(scope, events);
}

/** A `webhook.test` event for one subscription, whatever it subscribes to; returns the delivery id. */
export async function emitTestEvent(scope: TenantScope, subscriptionId: string, occurredAt: Date): Promise<string | null> {
  const data = { subscriptionId, message: 'A test event sent from Rapport clinic setup.' };
  const ids = await writeEvents(scope, sql`s.id = ${subscriptionId}`, async () => [{ type: TEST_EVENT_TYPE, data, occurredAt }], true);
  return ids[0] ?? null;
}

type AnyEvent = { type: string; data: unknown; occurredAt: Date };

/** Finds the subscriptions `matching` picks, then writes a delivery of each event to each one that wants it. */
async function writeEvents(scope: TenantScope, matching: RawBuilder<unknown>, eventsOf: () => Promise<readonly AnyEvent[]>, anyType = false): Promise<string[]> {
  const targets = await sql<{ id: string; slug: string; events: string[] }>`
    SELECT s.id, t.slug, s.events FROM webhook_subscription s JOIN tenant t ON t.id = s.tenant_id WHERE ${matching}`.execute(scope.tx);
  if (!targets.rows.length) return [];
  const events = await eventsOf();
  const tenant = { id: scope.tenantId, slug: targets.rows[0]!.slug };
  const rows = events.flatMap((event) => {
    const eventId = randomUUID();
    // Built once and stored as text: every attempt and redelivery sends (and signs) the same bytes.
    const body = JSON.stringify({ id: eventId, type: event.type, occurredAt: event.occurredAt.toISOString(), tenant, data: event.data });
    return targets.rows
      .filter((t) => anyType || t.events.includes(event.type))
      .map((t) => ({
        tenant_id: scope.tenantId,
        subscription_id: t.id,
        event_id: eventId,
        event_type: event.type,
        body,
        max_attempts: MAX_ATTEMPTS,
        due_at: event.occurredAt,
        occurred_at: event.occurredAt,
        created_at: event.occurredAt,
        updated_at: event.occurredAt,
      }));
  });
  if (!rows.length) return [];
  const inserted = await scope.tx.insertInto('webhook_delivery').values(rows).returning('id').execute();
  return inserted.map((r) => r.id);
}
