import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './events.ts';

/** Request and response shapes of the webhook settings API (/api/settings/webhooks). */

const eventType = z.enum(WEBHOOK_EVENT_TYPES, { message: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` });
const events = z
  .array(eventType)
  .min(1, 'must name at least one event')
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((list) => new Set(list).size === list.length, 'must not name an event twice');
// The URL's meaning (https, no private network) is checked by the service, which knows the policy.
const url = z.string().trim().min(1, 'is required').max(2000, 'must be at most 2000 characters');
const description = z.string().trim().max(500, 'must be at most 500 characters');

export const idParams = z.object({ id: z.uuid({ message: 'must be an id' }) });

export const newSubscriptionBody = z.strictObject({
  url,
  events,
  description: description.nullable().optional(),
  enabled: z.boolean().optional(),
});

export const subscriptionPatch = z.strictObject({
  url: url.optional(),
  events: events.optional(),
  description: description.nullable().optional(),
  enabled: z.boolean().optional(),
});

export const subscriptionSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  /** Why it is off: 'failing' when Rapport turned it off after deliveries kept failing, 'staff' when someone did. */
  disabledReason: z.enum(['failing', 'staff']).nullable(),
  disabledAt: z.string().nullable(),
  /** Deliveries that ended failed since the last one delivered. */
  consecutiveFailures: z.number().int(),
  lastDeliveredAt: z.string().nullable(),
  lastFailedAt: z.string().nullable(),
  /** The last characters of the secret, to tell secrets apart; the secret itself is shown only once. */
  secretHint: z.string(),
  secretRotatedAt: z.string().nullable(),
  /** Until when the previous secret still signs (a second v1 in Rapport-Signature), after a rotation. */
  previousSecretExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SubscriptionView = z.infer<typeof subscriptionSchema>;

export const subscriptionList = z.object({
  items: z.array(subscriptionSchema),
  /** Every event type a subscription may ask for. */
  eventTypes: z.array(z.string()),
});

/** The answer to creating a subscription or rotating its secret: the only time the secret is shown. */
export const subscriptionWithSecret = z.object({
  subscription: subscriptionSchema,
  secret: z.string(),
});

const deliveryStatus = z.enum(['pending', 'sending', 'delivered', 'failed']);

export const attemptSchema = z.object({
  attempt: z.number().int(),
  outcome: z.enum(['delivered', 'retry', 'failed']),
  startedAt: z.string(),
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
  /** The first 1000 characters of the receiver's answer. */
  responseBody: z.string().nullable(),
});

export const deliverySchema = z.object({
  id: z.uuid(),
  subscriptionId: z.uuid(),
  eventId: z.uuid(),
  eventType: z.string(),
  status: deliveryStatus,
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  /** When it is (or was) due to be sent next. */
  dueAt: z.string(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  occurredAt: z.string(),
  createdAt: z.string(),
  /** The JSON body exactly as sent: ids and non-clinical facts only. */
  body: z.string(),
  attemptLog: z.array(attemptSchema),
});
export type DeliveryView = z.infer<typeof deliverySchema>;

export const deliveryQuery = z.strictObject({
  status: deliveryStatus.optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});

export const deliveryPage = z.object({
  items: z.array(deliverySchema),
  nextCursor: z.string().nullable(),
});
