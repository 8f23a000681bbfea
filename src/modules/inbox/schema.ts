import { z } from 'zod';

/** Request and response shapes of the inbox API and the SMS providers' webhooks. */

export const MAX_SMS_BODY = 1600;

export const idParams = z.object({ id: z.uuid({ message: 'must be a conversation id' }) });
export const slugParams = z.object({ tenantSlug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'is not a clinic address') });

const flag = z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true');

export const inboxQuery = z.strictObject({
  status: z.enum(['open', 'closed', 'all']).default('open'),
  assigned: z.enum(['me', 'unassigned', 'anyone']).default('anyone'),
  unread: flag.default(false),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(500).optional(),
});

const smsBody = z
  .string({ message: 'must be text' })
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_SMS_BODY, `must be at most ${MAX_SMS_BODY} characters (ten SMS segments)`);

export const replyBody = z.strictObject({
  body: smsBody,
  /** Sent again with the same key (a double click, a retry after a lost answer), the reply goes once. */
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,100}$/, 'must be 8 to 100 letters, digits, - or _').optional(),
});

export const assignBody = z.strictObject({ assigneeId: z.uuid({ message: 'must be a staff member id' }).nullable() });
export const linkBody = z.strictObject({ patientId: z.uuid({ message: 'must be a patient id' }) });
export const sandboxBody = z.strictObject({
  from: z.string().trim().min(1, 'must not be empty').max(40),
  body: smsBody,
});

const candidate = z.object({ id: z.uuid(), givenName: z.string(), familyName: z.string() });

export const conversationSchema = z.object({
  id: z.uuid(),
  channel: z.literal('sms'),
  address: z.string(),
  status: z.enum(['open', 'closed']),
  unreadCount: z.number().int(),
  lastMessageAt: z.string(),
  preview: z.string().nullable(),
  assignee: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  patient: candidate.nullable(),
  candidates: z.array(candidate),
  createdAt: z.string(),
});

const handledAs = z.enum(['stop', 'start', 'help', 'confirm', 'cancel', 'conversation']);

export const threadItemSchema = z.discriminatedUnion('direction', [
  z.object({ direction: z.literal('in'), id: z.uuid(), at: z.string(), body: z.string(), handledAs, readAt: z.string().nullable() }),
  z.object({
    direction: z.literal('out'),
    id: z.uuid(),
    at: z.string(),
    body: z.string().nullable(),
    templateKey: z.string().nullable(),
    status: z.enum(['scheduled', 'sending', 'sent', 'delivered', 'failed', 'not_sent', 'sandboxed']),
    reason: z.string().nullable(),
    sentBy: z.string().nullable(),
  }),
]);

export const inboxPageSchema = z.object({
  items: z.array(conversationSchema),
  nextCursor: z.string().nullable(),
  smsProvider: z.enum(['none', 'twilio', 'webhook']),
});

export const threadSchema = z.object({ conversation: conversationSchema, optedOut: z.boolean(), items: z.array(threadItemSchema) });

export const inboundOutcomeSchema = z.object({
  duplicate: z.boolean(),
  inboundId: z.uuid(),
  conversationId: z.uuid(),
  handledAs,
  patientId: z.uuid().nullable(),
  appointmentId: z.uuid().nullable(),
  replyId: z.uuid().nullable(),
});

/** Twilio's webhook fields, form-encoded (a repeated field arrives as a list). */
export const twilioForm = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

export const webhookAck = z.object({ received: z.literal(true), duplicate: z.boolean() });

/** The generic webhook's JSON, for the API documentation (src/modules/messaging/sms/webhook.ts parses it). */
export const webhookInboundBody = z.object({
  messageId: z.string().max(200).describe("The gateway's id of the text: the same id twice is received once"),
  from: z.string().max(50).describe("The patient's number, in E.164"),
  to: z.string().max(50).describe("The clinic's number"),
  body: z.string().max(10_000),
});
export const webhookStatusBody = z.object({
  messageId: z.string().max(200).describe('The id the gateway answered with when it took the text'),
  status: z.enum(['sent', 'delivered', 'failed']),
  reason: z.string().max(1000).nullish().describe('Why it failed'),
});
