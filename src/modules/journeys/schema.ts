import { z } from 'zod';
import { CHANNELS, mayBeUrgent, PURPOSES, URGENT_REFUSAL } from '../messaging/types.ts';

/**
 * A journey: a trigger and the steps that follow it, stored as JSON on the journey row and
 * checked with these schemas on every save (and again when a run reads them).
 */

const uuid = z.uuid({ message: 'must be an id' });
const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM');

/** A span of time. Days are calendar days in the patient's zone (a day before 09:00 is 09:00 the day before, whatever DST does); hours and minutes are exact. */
export const offsetSchema = z
  .strictObject({
    days: z.number().int().min(0).max(3650).optional(),
    hours: z.number().int().min(0).max(24 * 365).optional(),
    minutes: z.number().int().min(0).max(60 * 24 * 365).optional(),
  })
  .refine((o) => (o.days ?? 0) + (o.hours ?? 0) + (o.minutes ?? 0) > 0, 'must be longer than zero');
export type Offset = z.infer<typeof offsetSchema>;

const appointmentFilter = {
  serviceIds: z.array(uuid).max(100).optional(),
  locationIds: z.array(uuid).max(100).optional(),
};

export const DATE_FIELDS = ['patient.birthDate', 'invoice.dueOn'] as const;

export const triggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('appointment.booked'), ...appointmentFilter }),
  z.strictObject({ type: z.literal('appointment.before'), offset: offsetSchema, ...appointmentFilter }),
  z.strictObject({ type: z.literal('appointment.after'), offset: offsetSchema, ...appointmentFilter }),
  z.strictObject({ type: z.literal('appointment.completed'), ...appointmentFilter }),
  z.strictObject({ type: z.literal('appointment.noshow'), ...appointmentFilter }),
  z.strictObject({ type: z.literal('appointment.cancelled'), ...appointmentFilter }),
  z.strictObject({ type: z.literal('appointment.rescheduled'), ...appointmentFilter }),
  z.strictObject({ type: z.literal('message.inbound') }),
  z.strictObject({ type: z.literal('waitlist.offer') }),
  z.strictObject({ type: z.literal('medication.dose') }),
  z.strictObject({
    type: z.literal('date.reached'),
    /** patient.birthDate (every year), invoice.dueOn, or custom.<key> of a date custom field. */
    field: z.string().regex(/^(patient\.birthDate|invoice\.dueOn|custom\.[a-z][a-z0-9_]{0,62})$/, 'must be patient.birthDate, invoice.dueOn or custom.<date field key>'),
    /** Days after the date (negative: before). */
    offsetDays: z.number().int().min(-365).max(365).default(0),
    at: timeOfDay.default('10:00'),
  }),
]);
export type Trigger = z.infer<typeof triggerSchema>;
export type TriggerType = Trigger['type'];

export const CONDITION_FIELDS = [
  'appointment.status',
  'appointment.confirmed',
  'patient.hasUpcomingAppointment',
  'patient.lifecycleStatus',
  'patient.hasEmail',
  'patient.hasMobile',
  'patient.tag',
  'invoice.balanceCents',
  'offer.status',
] as const;

export const conditionSchema = z.strictObject({
  field: z.string().refine((f) => (CONDITION_FIELDS as readonly string[]).includes(f) || /^custom\.[a-z][a-z0-9_]{0,62}$/.test(f), {
    message: `must be one of ${CONDITION_FIELDS.join(', ')} or custom.<key>`,
  }),
  op: z.enum(['eq', 'neq', 'gt', 'lt', 'is_true', 'is_false']),
  value: z.union([z.string().max(200), z.number(), z.boolean()]).optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const UPDATABLE_FIELDS = ['patient.lifecycleStatus', 'patient.preferredChannel'] as const;

export type Step =
  | { type: 'wait'; days?: number | undefined; hours?: number | undefined; minutes?: number | undefined }
  | { type: 'send'; channel: (typeof CHANNELS)[number]; template: string; purpose: (typeof PURPOSES)[number]; urgent?: boolean | undefined }
  | { type: 'task'; title: string; description?: string | undefined; dueInDays?: number | undefined; priority?: 'low' | 'normal' | 'high' | 'urgent' | undefined; assigneeId?: string | undefined }
  | { type: 'branch'; if: Condition; then: Step[]; else: Step[] }
  | { type: 'update_field'; field: string; value: string | number | boolean | null }
  | { type: 'add_tag'; tag: string };

export const stepSchema: z.ZodType<Step> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('wait'),
      days: z.number().int().min(0).max(3650).optional(),
      hours: z.number().int().min(0).max(24 * 365).optional(),
      minutes: z.number().int().min(0).max(60 * 24 * 365).optional(),
    }),
    z.strictObject({
      type: z.literal('send'),
      channel: z.enum(CHANNELS),
      template: z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, 'must be a template key'),
      purpose: z.enum(PURPOSES),
      urgent: z.boolean().optional(),
    }),
    z.strictObject({
      type: z.literal('task'),
      title: z.string().trim().min(1).max(200),
      description: z.string().max(2000).optional(),
      dueInDays: z.number().int().min(0).max(365).optional(),
      priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
      assigneeId: uuid.optional(),
    }),
    z.strictObject({ type: z.literal('branch'), if: conditionSchema, then: z.array(stepSchema).max(20), else: z.array(stepSchema).max(20) }),
    z.strictObject({
      type: z.literal('update_field'),
      field: z.string().refine((f) => (UPDATABLE_FIELDS as readonly string[]).includes(f) || /^custom\.[a-z][a-z0-9_]{0,62}$/.test(f), {
        message: `must be one of ${UPDATABLE_FIELDS.join(', ')} or custom.<key>`,
      }),
      value: z.union([z.string().max(500), z.number(), z.boolean(), z.null()]),
    }),
    z.strictObject({ type: z.literal('add_tag'), tag: z.string().trim().min(1).max(60) }),
  ]),
);

export const stepsSchema = z.array(stepSchema).min(1, 'a journey needs at least one step').max(30);

/** Send steps marked urgent for a purpose other than care, by path from the step list ([2, 'then', 0, 'urgent']). */
function urgentOutsideCare(steps: Step[], at: Array<string | number> = []): Array<Array<string | number>> {
  return steps.flatMap((step, i) => {
    if (step.type === 'send') return step.urgent && !mayBeUrgent(step.purpose) ? [[...at, i, 'urgent']] : [];
    if (step.type === 'branch') return [...urgentOutsideCare(step.then, [...at, i, 'then']), ...urgentOutsideCare(step.else, [...at, i, 'else'])];
    return [];
  });
}

/**
 * The steps of a journey being saved. Urgent is refused outside care here, on saving, rather than
 * in `stepSchema`: a journey stored before the rule must still load and run (the engine sends
 * such a step without urgency).
 */
const savedStepsSchema = stepsSchema.superRefine((steps, ctx) => {
  for (const path of urgentOutsideCare(steps)) ctx.addIssue({ code: 'custom', path, message: URGENT_REFUSAL });
});

export const journeyInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(1000).nullable().optional(),
  trigger: triggerSchema,
  steps: savedStepsSchema,
  enabled: z.boolean().optional(),
});
export type JourneyInput = z.infer<typeof journeyInputSchema>;

/** The subject a trigger's runs are about (what templates and conditions can read). */
export function subjectOfTrigger(type: TriggerType, field?: string): 'appointment' | 'conversation' | 'waitlist_offer' | 'medication_reminder' | 'invoice' | 'patient' {
  if (type.startsWith('appointment.')) return 'appointment';
  if (type === 'date.reached' && field === 'invoice.dueOn') return 'invoice';
  if (type === 'message.inbound') return 'conversation';
  if (type === 'waitlist.offer') return 'waitlist_offer';
  if (type === 'medication.dose') return 'medication_reminder';
  return 'patient';
}
