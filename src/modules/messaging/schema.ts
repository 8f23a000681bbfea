import { z } from 'zod';
import { CHANNELS, MESSAGE_STATUSES, PURPOSES } from './types.ts';

/** Request and response shapes of the messages, consent and communication settings API. */

const channel = z.enum(CHANNELS);
const purpose = z.enum(PURPOSES);
const status = z.enum(MESSAGE_STATUSES);

export const idParams = z.object({ id: z.string().max(100) });

export const messageQuery = z.strictObject({
  status: status.optional(),
  channel: channel.optional(),
  purpose: purpose.optional(),
  patientId: z.uuid().optional(),
  journeyId: z.uuid().optional(),
  /** Part of the patient's name, the address, the subject or the template key. */
  q: z.string().trim().min(1).max(200).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const patientMessageQuery = messageQuery.omit({ patientId: true });

const named = z.object({ id: z.uuid(), name: z.string() });

export const messageSchema = z.object({
  id: z.uuid(),
  patient: named.nullable(),
  channel,
  purpose,
  status,
  /** The stable reason code of a failed or not-sent message (or the provider's words when it failed). */
  reason: z.string().nullable(),
  /** Why, in words staff can read. */
  reasonText: z.string().nullable(),
  template: z.object({ key: z.string(), name: z.string().nullable() }).nullable(),
  subject: z.string().nullable(),
  /** The first lines of the text as sent (or as staff wrote it); null until a template is rendered. */
  preview: z.string().nullable(),
  to: z.string().nullable(),
  urgent: z.boolean(),
  dueAt: z.string(),
  expiresAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  readAt: z.string().nullable(),
  attempts: z.number().int(),
  provider: z.string().nullable(),
  journey: named.nullable(),
  createdBy: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }),
  createdAt: z.string(),
  /** Failed and not-sent messages can be tried again. */
  retryable: z.boolean(),
});

export const messagePage = z.object({ items: z.array(messageSchema), nextCursor: z.string().nullable() });

export const messageDetail = messageSchema.extend({
  bodyText: z.string().nullable(),
  bodyHtml: z.string().nullable(),
  attemptLog: z.array(
    z.object({
      attempt: z.number().int(),
      outcome: z.string(),
      startedAt: z.string(),
      finishedAt: z.string(),
      provider: z.string().nullable(),
      providerMessageId: z.string().nullable(),
      detail: z.string().nullable(),
      worker: z.string().nullable(),
    }),
  ),
  journeyRun: z
    .object({
      id: z.uuid(),
      status: z.string(),
      stepsDone: z.number().int(),
      reason: z.string().nullable(),
      lastError: z.string().nullable(),
      createdAt: z.string(),
      steps: z.array(z.object({ stepType: z.string(), outcome: z.string(), at: z.string(), detail: z.record(z.string(), z.unknown()) })),
    })
    .nullable(),
});

export const countsSchema = z.object({ counts: z.record(status, z.number().int()), total: z.number().int() });

export const newMessageBody = z.strictObject({
  channel,
  purpose: purpose.default('care'),
  /** Email only. */
  subject: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  body: z.string().trim().min(1, 'must not be empty').max(5000),
  /** Sent even in quiet hours and past frequency caps: only for care, something the patient must know now (400 for any other purpose). */
  urgent: z.boolean().default(false),
  /** The same requestId sends once, however often the request is repeated. */
  requestId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{8,100}$/, 'must be 8 to 100 letters, digits or . _ : -')
    .optional(),
});

// ---- Consent

export const STAFF_CONSENT_SOURCES = ['staff', 'form', 'keyword', 'import'] as const;

export const consentBody = z.strictObject({
  channels: z.array(channel).min(1, 'must name at least one channel').max(CHANNELS.length),
  purposes: z.array(purpose).min(1, 'must name at least one purpose').max(PURPOSES.length),
  status: z.enum(['granted', 'withdrawn']),
  /** How the patient gave the answer: to staff, on a (paper) form, by text keyword, or in an import. */
  source: z.enum(STAFF_CONSENT_SOURCES).default('staff'),
  note: z.string().trim().max(500).nullable().optional(),
});

const actorName = z.object({ id: z.string(), name: z.string().nullable() }).nullable();

export const consentSchema = z.object({
  matrix: z.array(
    z.object({
      channel,
      purpose,
      status: z.enum(['granted', 'withdrawn', 'default']),
      allowed: z.boolean(),
      /** Education, marketing and research are only sent after the patient opts in. */
      needsOptIn: z.boolean(),
      source: z.string().nullable(),
      recordedAt: z.string().nullable(),
      recordedBy: actorName,
    }),
  ),
  history: z.array(
    z.object({
      id: z.uuid(),
      channel,
      purpose,
      status: z.enum(['granted', 'withdrawn']),
      source: z.string(),
      recordedAt: z.string(),
      recordedBy: actorName,
      note: z.string().nullable(),
    }),
  ),
});

export const consentResult = consentSchema.extend({ recorded: z.number().int(), messagesStopped: z.number().int() });

// ---- Communication settings

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time as HH:MM (00:00-23:59)');
const address = z.email('must be an email address such as clinic@example.org').max(254);
const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'https:' || u.protocol === 'http:') && Boolean(u.hostname);
    } catch {
      return false;
    }
  }, 'must be an http:// or https:// URL');
const cap = z.strictObject({
  /** 0 means no cap. */
  count: z.number().int().min(0, 'must be 0 (no cap) or more').max(1000),
  days: z.number().int().min(1, 'must be at least 1 day').max(365, 'must be at most 365 days'),
});

export const settingsPatch = z.strictObject({
  emailFromName: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(100)
    .regex(/^[^\r\n<>"]*$/, 'must not contain quotes, angle brackets or line breaks')
    .nullable()
    .optional(),
  emailFromAddress: address.nullable().optional(),
  emailReplyTo: address.nullable().optional(),
  smsProvider: z.enum(['none', 'twilio', 'webhook']).optional(),
  /** The clinic's number in E.164 (+14135550100), or an alphanumeric sender id a webhook provider accepts. */
  smsFrom: z
    .string()
    .trim()
    .regex(/^(\+[1-9]\d{1,14}|[A-Za-z0-9][A-Za-z0-9 ]{0,10})$/, 'must be a phone number in E.164 (+14135550100) or a sender id of up to 11 letters and digits')
    .nullable()
    .optional(),
  twilioAccountSid: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/, "must be a Twilio account SID: 'AC' followed by 32 hexadecimal characters")
    .nullable()
    .optional(),
  /** Write-only: never returned. */
  twilioAuthToken: z
    .string()
    .regex(/^\S{16,200}$/, 'must be the 16 to 200 characters of the Twilio auth token, without spaces')
    .nullable()
    .optional(),
  twilioBaseUrl: httpUrl.nullable().optional(),
  webhookUrl: httpUrl.nullable().optional(),
  /** Write-only: never returned. Signs requests to and from the webhook. */
  webhookSecret: z.string().min(16, 'must be at least 16 characters').max(200).nullable().optional(),
  quietHoursStart: hhmm.optional(),
  quietHoursEnd: hhmm.optional(),
  frequencyCaps: z.partialRecord(purpose, cap).optional(),
  /** The reply to HELP, and the line at the foot of the preference page. */
  helpText: z.string().trim().max(320).nullable().optional(),
});

export const settingsSchema = z.object({
  emailFromName: z.string().nullable(),
  emailFromAddress: z.string().nullable(),
  emailReplyTo: z.string().nullable(),
  smsProvider: z.enum(['none', 'twilio', 'webhook']),
  smsFrom: z.string().nullable(),
  twilioAccountSid: z.string().nullable(),
  twilioAuthTokenSet: z.boolean(),
  twilioBaseUrl: z.string().nullable(),
  webhookUrl: z.string().nullable(),
  webhookSecretSet: z.boolean(),
  quietHoursStart: z.string(),
  quietHoursEnd: z.string(),
  frequencyCaps: z.record(purpose, z.object({ count: z.number().int(), days: z.number().int() })),
  helpText: z.string().nullable(),
  /** Whether the server has an SMTP relay (SMTP_URL); without one, email stays in the sandbox. */
  smtpConfigured: z.boolean(),
  /** Where each channel's messages go now: a provider, or the sandbox (kept, never delivered). */
  delivery: z.object({ email: z.enum(['smtp', 'sandbox']), sms: z.enum(['twilio', 'webhook', 'sandbox']), inApp: z.literal('in_app') }),
  updatedAt: z.string().nullable(),
});

export type SettingsPatch = z.infer<typeof settingsPatch>;
export type SettingsView = z.infer<typeof settingsSchema>;
export type MessageView = z.infer<typeof messageSchema>;
export type MessageDetail = z.infer<typeof messageDetail>;
export type MessageQuery = z.infer<typeof messageQuery>;
export type ConsentView = z.infer<typeof consentSchema>;
