import { DateTime } from 'luxon';
import { z } from 'zod';

/** Request and response shapes of the waitlist API. */

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time as HH:MM (00:00-23:59)');
const date = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s, { zone: 'UTC' }).isValid, 'must be a date as YYYY-MM-DD');
const weekdays = z
  .array(z.number().int().min(1, 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)').max(7, 'must be an ISO weekday, 1 (Monday) to 7 (Sunday)'))
  .min(1, 'must name at least one weekday')
  .max(7);

export const newEntryBody = z.strictObject({
  patientId: z.uuid(),
  serviceId: z.uuid(),
  practitionerId: z.uuid().nullable().optional(),
  locationId: z.uuid().nullable().optional(),
  weekdays: weekdays.optional(),
  earliestTime: time.nullable().optional(),
  latestTime: time.nullable().optional(),
  notBefore: date.nullable().optional(),
  notAfter: date.nullable().optional(),
  appointmentId: z.uuid().nullable().optional(),
  notes: z.string().trim().max(1000).nullable().optional(),
});

export const entryChangeBody = newEntryBody.omit({ patientId: true, serviceId: true }).extend({
  status: z.enum(['waiting', 'withdrawn']).optional(),
});

const entryStatus = z.enum(['waiting', 'booked', 'withdrawn', 'expired']);

export const entryQuery = z.strictObject({
  status: z.enum(['waiting', 'booked', 'withdrawn', 'expired', 'all']).default('waiting'),
  serviceId: z.uuid().optional(),
  patientId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

const named = z.object({ id: z.uuid(), name: z.string() });
const patient = z.object({ id: z.uuid(), givenName: z.string(), familyName: z.string(), phone: z.string().nullable() });

export const entrySchema = z.object({
  id: z.uuid(),
  status: entryStatus,
  patient,
  service: named,
  practitioner: named.nullable(),
  location: named.extend({ timeZone: z.string() }).nullable(),
  weekdays: z.array(z.number().int()),
  earliestTime: z.string().nullable(),
  latestTime: z.string().nullable(),
  notBefore: z.string().nullable(),
  notAfter: z.string().nullable(),
  appointment: z.object({ id: z.uuid(), startsAt: z.string(), timeZone: z.string(), status: z.string() }).nullable(),
  notes: z.string().nullable(),
  lastOfferedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const offerStatus = z.enum(['pending', 'accepted', 'gone', 'declined', 'expired']);

export const offerQuery = z.strictObject({
  status: z.enum(['pending', 'accepted', 'gone', 'declined', 'expired', 'all']).default('pending'),
  releaseId: z.uuid().optional(),
  patientId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

export const offerSchema = z.object({
  id: z.uuid(),
  status: offerStatus,
  batch: z.number().int(),
  entryId: z.uuid(),
  patient,
  offeredAt: z.string(),
  expiresAt: z.string(),
  respondedAt: z.string().nullable(),
  appointmentId: z.uuid().nullable(),
  slot: z.object({
    releaseId: z.uuid(),
    releaseStatus: z.enum(['open', 'filled', 'expired', 'unmatched']),
    startsAt: z.string(),
    endsAt: z.string(),
    timeZone: z.string(),
    /** The start as the clinic reads it, in the location's zone. */
    local: z.string(),
    service: named,
    practitioner: named,
    location: named,
  }),
});

export const statsQuery = z.strictObject({ from: date, to: date });

export const statsSchema = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  releases: z.number().int(),
  /** Releases offered to at least one patient (they had a match). */
  offered: z.number().int(),
  unmatched: z.number().int(),
  open: z.number().int(),
  filled: z.number().int(),
  offers: z.number().int(),
  /** filled / offered, or null when nothing was offered. */
  fillRate: z.number().nullable(),
  medianMinutesToFill: z.number().nullable(),
});

export const idParams = z.object({ id: z.string().max(100) });
