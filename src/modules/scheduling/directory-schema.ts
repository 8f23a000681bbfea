import { z } from 'zod';

/** API schemas of the scheduling directory: what can be booked, where, with whom, and when. */

export const isoDate = z.iso.date({ message: 'must be a date as YYYY-MM-DD' });
export const wallTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time as HH:MM (00:00 to 23:59)');
export const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone offset' });
const id = (what: string) => z.uuid({ message: `must be ${what} id` });
const name = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);
const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

/** Line breaks and tabs are text; other control characters (NUL above all, which PostgreSQL cannot store) are not. */
const hasControlCharacter = (s: string) =>
  [...s].some((c) => {
    const code = c.charCodeAt(0);
    return code === 127 || (code < 32 && c !== '\n' && c !== '\r' && c !== '\t');
  });

export const CARE_INSTRUCTIONS_MAX = 2000;
/**
 * Care instructions as written for patients (a service's, or one visit's): plain text with line
 * breaks, at most 2000 characters; blank clears them.
 */
export const careInstructionsText = z
  .string({ message: 'must be text or null' })
  .trim()
  .max(CARE_INSTRUCTIONS_MAX, `must be at most ${CARE_INSTRUCTIONS_MAX} characters`)
  .refine((s) => !hasControlCharacter(s), 'must not contain control characters')
  .nullable();

export const idParams = z.object({ id: z.string().max(100) });

// Locations

export const location = z.object({
  id: z.uuid(),
  name: z.string(),
  addressLine: z.string().nullable(),
  city: z.string().nullable(),
  postalCode: z.string().nullable(),
  phone: z.string().nullable(),
  timeZone: z.string(),
  active: z.boolean(),
});
export type Location = z.infer<typeof location>;

const locationFields = {
  name: name(200),
  addressLine: optionalText(200),
  city: optionalText(100),
  postalCode: optionalText(20),
  phone: optionalText(40),
  timeZone: z.string().trim().min(1, 'must not be empty').max(64),
  active: z.boolean().optional(),
};
export const newLocation = z.strictObject(locationFields);
export const locationChange = z.strictObject({ ...locationFields, name: locationFields.name.optional(), timeZone: locationFields.timeZone.optional() });
export type NewLocation = z.infer<typeof newLocation>;
export type LocationChange = z.infer<typeof locationChange>;

// Departments

export const department = z.object({ id: z.uuid(), name: z.string(), locationId: z.uuid() });
export type Department = z.infer<typeof department>;
export const newDepartment = z.strictObject({ name: name(200), locationId: id('a location') });
export const departmentChange = z.strictObject({ name: name(200).optional(), locationId: id('a location').optional() });
export type NewDepartment = z.infer<typeof newDepartment>;
export type DepartmentChange = z.infer<typeof departmentChange>;

// Rooms

export const room = z.object({ id: z.uuid(), locationId: z.uuid(), name: z.string(), active: z.boolean() });
export type Room = z.infer<typeof room>;
export const newRoom = z.strictObject({ locationId: id('a location'), name: name(100), active: z.boolean().optional() });
export const roomChange = z.strictObject({ locationId: id('a location').optional(), name: name(100).optional(), active: z.boolean().optional() });
export type NewRoom = z.infer<typeof newRoom>;
export type RoomChange = z.infer<typeof roomChange>;
export const roomQuery = z.strictObject({ locationId: id('a location').optional() });

// Practitioners

export const practitioner = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().nullable(),
  givenName: z.string(),
  familyName: z.string(),
  specialty: z.string().nullable(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  departmentId: z.uuid().nullable(),
  userId: z.uuid().nullable(),
  active: z.boolean(),
  serviceIds: z.array(z.uuid()),
  locationIds: z.array(z.uuid()),
});
export type Practitioner = z.infer<typeof practitioner>;

const practitionerFields = {
  prefix: optionalText(20),
  givenName: name(100),
  familyName: name(100),
  specialty: optionalText(100),
  email: optionalText(254),
  phone: optionalText(40),
  departmentId: id('a department').nullable().optional(),
  userId: id('a staff user').nullable().optional(),
  active: z.boolean().optional(),
};
export const newPractitioner = z.strictObject(practitionerFields);
export const practitionerChange = z.strictObject({
  ...practitionerFields,
  givenName: practitionerFields.givenName.optional(),
  familyName: practitionerFields.familyName.optional(),
});
export type NewPractitioner = z.infer<typeof newPractitioner>;
export type PractitionerChange = z.infer<typeof practitionerChange>;
export const activeQuery = z.strictObject({
  active: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true').optional(),
});

// Services

export const serviceMode = z.enum(['in_person', 'video']);
export const serviceEligibility = z.enum(['any', 'new', 'established']);

export const service = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  /** Sent in the follow-up email after a visit, unless the visit has its own. */
  careInstructions: z.string().nullable(),
  departmentId: z.uuid().nullable(),
  durationMinutes: z.number().int(),
  bufferBeforeMinutes: z.number().int(),
  bufferAfterMinutes: z.number().int(),
  slotIntervalMinutes: z.number().int().nullable(),
  mode: serviceMode,
  eligibility: serviceEligibility,
  priceCents: z.number().int().nullable(),
  currency: z.string().nullable(),
  requiresRoom: z.boolean(),
  minNoticeMinutes: z.number().int(),
  maxAdvanceDays: z.number().int().nullable(),
  maxFutureBookings: z.number().int().nullable(),
  publicBooking: z.boolean(),
  active: z.boolean(),
  practitionerIds: z.array(z.uuid()),
  locationIds: z.array(z.uuid()),
});
export type Service = z.infer<typeof service>;

const minutes = (min: number, max: number) => z.number().int('must be a whole number of minutes').min(min).max(max);
const serviceFields = {
  name: name(200),
  description: optionalText(2000),
  careInstructions: careInstructionsText.optional(),
  departmentId: id('a department').nullable().optional(),
  durationMinutes: minutes(5, 720),
  bufferBeforeMinutes: minutes(0, 240).optional(),
  bufferAfterMinutes: minutes(0, 240).optional(),
  slotIntervalMinutes: minutes(5, 720).nullable().optional(),
  mode: serviceMode.optional(),
  eligibility: serviceEligibility.optional(),
  priceCents: z.number().int('must be a whole number of cents').min(0).max(100_000_000).nullable().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code such as USD').nullable().optional(),
  requiresRoom: z.boolean().optional(),
  minNoticeMinutes: minutes(0, 525_600).optional(),
  maxAdvanceDays: z.number().int().min(1).max(1095).nullable().optional(),
  maxFutureBookings: z.number().int().min(1).max(100).nullable().optional(),
  publicBooking: z.boolean().optional(),
  active: z.boolean().optional(),
  practitionerIds: z.array(id('a practitioner')).max(500).optional(),
  locationIds: z.array(id('a location')).max(200).optional(),
};
export const newService = z.strictObject(serviceFields);
export const serviceChange = z.strictObject({ ...serviceFields, name: serviceFields.name.optional(), durationMinutes: serviceFields.durationMinutes.optional() });
export type NewService = z.infer<typeof newService>;
export type ServiceChange = z.infer<typeof serviceChange>;

// Availability

export const availabilityRule = z.object({
  id: z.uuid(),
  locationId: z.uuid(),
  weekday: z.number().int(),
  startTime: z.string(),
  endTime: z.string(),
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
});
export type AvailabilityRule = z.infer<typeof availabilityRule>;

export const exceptionKind = z.enum(['time_off', 'extra']);
export const availabilityException = z.object({
  id: z.uuid(),
  kind: exceptionKind,
  locationId: z.uuid().nullable(),
  startsAt: z.string(),
  endsAt: z.string(),
  reason: z.string().nullable(),
});
export type AvailabilityException = z.infer<typeof availabilityException>;

export const availability = z.object({ rules: z.array(availabilityRule), exceptions: z.array(availabilityException) });
export type Availability = z.infer<typeof availability>;

export const ruleInput = z.strictObject({
  locationId: id('a location'),
  weekday: z.number().int('must be a whole number').min(1, 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)').max(7, 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)'),
  startTime: wallTime,
  endTime: wallTime,
  validFrom: isoDate.nullable().optional(),
  validUntil: isoDate.nullable().optional(),
});
export type RuleInput = z.infer<typeof ruleInput>;
export const rulesBody = z.strictObject({ rules: z.array(ruleInput).max(100) });

export const newException = z.strictObject({
  kind: exceptionKind,
  startsAt: instant,
  endsAt: instant,
  locationId: id('a location').nullable().optional(),
  reason: optionalText(500),
});
export type NewException = z.infer<typeof newException>;
export const exceptionParams = z.object({ id: z.string().max(100), exceptionId: z.string().max(100) });
export const availabilityQuery = z.strictObject({ from: instant.optional() });

// Holidays

export const holiday = z.object({ id: z.uuid(), date: z.string(), name: z.string(), locationId: z.uuid().nullable() });
export type Holiday = z.infer<typeof holiday>;
export const newHoliday = z.strictObject({ date: isoDate, name: name(200), locationId: id('a location').nullable().optional() });
export type NewHoliday = z.infer<typeof newHoliday>;
export const holidayQuery = z.strictObject({ from: isoDate.optional(), to: isoDate.optional() });
