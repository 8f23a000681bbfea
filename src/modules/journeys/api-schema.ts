import { DateTime } from 'luxon';
import { z } from 'zod';
import { CHANNELS, PURPOSES } from '../messaging/types.ts';
import { journeyInputSchema, stepsSchema, triggerSchema } from './schema.ts';

/** Request and response shapes of the templates, journeys and care APIs. */

export const idParams = z.object({ id: z.string().max(100) });

const channel = z.enum(CHANNELS);
const purpose = z.enum(PURPOSES);
const date = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid, 'must be a date as YYYY-MM-DD');
const context = z.enum(['patient', 'clinic', 'appointment', 'offer', 'medication', 'invoice', 'survey']);
const journeyRef = z.object({ id: z.uuid(), name: z.string(), enabled: z.boolean() });

// Templates

const templateKey = z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'must start with a letter and use a-z, 0-9, dot, dash or underscore (at most 63)');

export const templateSchema = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  channel,
  language: z.string(),
  purpose,
  subject: z.string().nullable(),
  body: z.string(),
  version: z.number().int(),
  variables: z.array(z.string()),
  warnings: z.array(z.string()),
  usedBy: z.array(journeyRef),
  allowedContexts: z.array(context).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const templateGroupSchema = z.object({ key: z.string(), name: z.string(), purpose, templates: z.array(templateSchema), usedBy: z.array(journeyRef) });

export const newTemplateBody = z.strictObject({
  key: templateKey,
  name: z.string().trim().min(1, 'is required').max(120),
  channel,
  language: z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'must be a language code such as en, es or pt-BR').optional(),
  purpose,
  subject: z.string().max(200).nullable().optional(),
  body: z.string().max(10000),
});

export const templateChangeBody = z.strictObject({
  version: z.number().int().min(1),
  name: z.string().trim().min(1, 'is required').max(120).optional(),
  purpose: purpose.optional(),
  subject: z.string().max(200).nullable().optional(),
  body: z.string().max(10000).optional(),
});

export const previewBody = z.strictObject({
  templateId: z.uuid().optional(),
  key: templateKey.optional(),
  channel: channel.optional(),
  subject: z.string().max(200).nullable().optional(),
  body: z.string().max(10000).optional(),
  purpose: purpose.optional(),
  language: z.string().max(20).optional(),
  patientId: z.uuid().optional(),
  appointmentId: z.uuid().optional(),
});

export const previewSchema = z.object({
  channel,
  subject: z.string().nullable(),
  text: z.string(),
  html: z.string().nullable(),
  sms: z.object({ encoding: z.enum(['GSM-7', 'UCS-2']), segments: z.number().int(), characters: z.number().int() }).nullable(),
  warnings: z.array(z.string()),
  sampleVariables: z.array(z.string()),
  notes: z.array(z.string()),
  patient: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  appointment: z.object({ id: z.uuid(), startsAt: z.string(), timeZone: z.string() }).nullable(),
});

// Journeys

const counts = z.object({ waiting: z.number().int(), done: z.number().int(), cancelled: z.number().int(), failed: z.number().int(), sentLast30Days: z.number().int() });
const runStatus = z.enum(['waiting', 'running', 'done', 'cancelled', 'failed']);

export const journeySchema = z.object({
  id: z.uuid(),
  key: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  trigger: triggerSchema,
  steps: stepsSchema,
  enabled: z.boolean(),
  version: z.number().int(),
  counts,
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const journeyDetailSchema = journeySchema.extend({
  recentRuns: z.array(
    z.object({
      id: z.uuid(),
      status: runStatus,
      reason: z.string().nullable(),
      lastError: z.string().nullable(),
      patient: z.object({ id: z.uuid(), name: z.string() }).nullable(),
      stepsDone: z.number().int(),
      nextAt: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
});

export const newJourneyBody = journeyInputSchema;
export const journeyChangeBody = journeyInputSchema.extend({ version: z.number().int().min(1) });

export const patientRunSchema = z.object({
  id: z.uuid(),
  journey: z.object({ id: z.uuid(), name: z.string() }),
  status: runStatus,
  reason: z.string().nullable(),
  lastError: z.string().nullable(),
  triggerType: z.string(),
  subject: z.object({ type: z.string(), id: z.uuid() }).nullable(),
  stepsDone: z.number().int(),
  stepsLeft: z.number().int(),
  nextAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  log: z.array(z.object({ id: z.uuid(), stepType: z.string(), outcome: z.string(), detail: z.record(z.string(), z.unknown()), at: z.string() })),
});

// Care: medication reminders and invoices

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM');

export const reminderSchema = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  medication: z.string(),
  instructions: z.string().nullable(),
  timesOfDay: z.array(z.string()),
  startDate: z.string(),
  endDate: z.string(),
  channel,
  active: z.boolean(),
  timeZone: z.string(),
  createdAt: z.string(),
});

export const newReminderBody = z.strictObject({
  medication: z.string().trim().min(1, 'is required').max(200),
  instructions: z.string().trim().max(500).nullable().optional(),
  timesOfDay: z.array(timeOfDay).min(1, 'must list at least one time of day').max(8, 'must list at most 8 times of day'),
  startDate: date,
  endDate: date,
  channel: channel.optional(),
});

export const reminderChangeBody = z.strictObject({
  medication: z.string().trim().min(1, 'is required').max(200).optional(),
  instructions: z.string().trim().max(500).nullable().optional(),
  timesOfDay: z.array(timeOfDay).min(1, 'must list at least one time of day').max(8, 'must list at most 8 times of day').optional(),
  endDate: date.optional(),
  channel: channel.optional(),
  active: z.literal(false, { message: 'can only be false (a stopped reminder is not restarted: add a new one)' }).optional(),
});

export const invoiceSchema = z.object({
  id: z.uuid(),
  patientId: z.uuid(),
  number: z.string(),
  amountCents: z.number().int(),
  balanceCents: z.number().int(),
  currency: z.string(),
  issuedOn: z.string(),
  dueOn: z.string(),
  status: z.enum(['open', 'paid', 'void']),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const cents = z.number().int('must be whole cents').min(0).max(100_000_000);

export const newInvoiceBody = z.strictObject({
  number: z.string().trim().min(1, 'is required').max(40),
  amountCents: cents.min(1, 'must be more than zero'),
  balanceCents: cents.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter currency code such as USD').optional(),
  issuedOn: date.optional(),
  dueOn: date,
});

export const invoiceChangeBody = z.strictObject({
  payment: z.strictObject({ amountCents: cents.min(1, 'must be more than zero') }).optional(),
  status: z.enum(['paid', 'void']).optional(),
});
