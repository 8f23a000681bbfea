import { z } from 'zod';

/** Wire shapes of the patient record. Shape is checked here; meaning (a real phone, a known tag) in validate.ts. */

export const lifecycleStatus = z.enum(['lead', 'active', 'lapsed', 'inactive', 'deceased']);
/** The statuses staff set; lapsed is derived from the last kept visit. */
export const storedLifecycleStatus = z.enum(['lead', 'active', 'inactive', 'deceased']);
export const sex = z.enum(['female', 'male', 'other', 'unknown']);
export const preferredChannel = z.enum(['sms', 'email', 'phone', 'portal', 'mail']);
export const contactUse = z.enum(['home', 'work', 'mobile', 'other']);
export const linkKind = z.enum(['guardian_of', 'guarded_by', 'shares_phone_with']);

const isoDate = z.iso.date({ message: 'must be a date as YYYY-MM-DD' });
const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time as HH:MM (24-hour)');
const text = (max: number) => z.string().trim().min(1).max(max);

export const identifierInput = z.strictObject({ system: text(200), value: text(200) });
export const phoneInput = z.strictObject({ value: text(40), use: contactUse.optional() });
export const emailInput = z.strictObject({ value: text(320), use: contactUse.optional() });
export const addressInput = z.strictObject({
  line: text(200).nullish(),
  city: text(100).nullish(),
  region: text(100).nullish(),
  postalCode: text(20).nullish(),
  country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 two-letter country code such as US').nullish(),
});
export const quietHoursInput = z.strictObject({ start: clockTime, end: clockTime });
export const sourceInput = z.strictObject({
  channel: text(100).nullish(),
  campaign: text(200).nullish(),
  referrer: text(500).nullish(),
  utmSource: text(200).nullish(),
  utmMedium: text(200).nullish(),
  utmCampaign: text(200).nullish(),
  utmTerm: text(200).nullish(),
  utmContent: text(200).nullish(),
});

/** Fields a person can set on a patient, every one optional; null clears it on update. */
const patientFields = {
  preferredName: text(100).nullish(),
  birthDate: isoDate.nullish(),
  sex: sex.nullish(),
  genderIdentity: text(100).nullish(),
  pronouns: text(40).nullish(),
  mrn: text(64).nullish(),
  identifiers: z.array(identifierInput).max(20).optional(),
  phones: z.array(phoneInput).max(10).optional(),
  emails: z.array(emailInput).max(10).optional(),
  address: addressInput.nullish(),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en or es-MX')
    .nullish(),
  timeZone: text(64).nullish(),
  preferredChannel: preferredChannel.nullish(),
  quietHours: quietHoursInput.nullish(),
  tags: z.array(text(60)).max(50).optional(),
  customFields: z.record(z.string(), z.unknown()).optional(),
  lifecycleStatus: storedLifecycleStatus.optional(),
  source: sourceInput.optional(),
};

export const newPatientBody = z.strictObject({
  givenName: text(100),
  familyName: text(100),
  ...patientFields,
  /** Set after staff saw the likely duplicates and decided this is someone else. */
  confirmNotDuplicate: z.boolean().optional(),
});
export type NewPatientBody = z.infer<typeof newPatientBody>;

export const patientUpdateBody = z.strictObject({
  givenName: text(100).optional(),
  familyName: text(100).optional(),
  ...patientFields,
  /** The version the caller last read; a stale one is refused with 409 instead of overwriting. */
  version: z.number().int().min(1).optional(),
});
export type PatientUpdateBody = z.infer<typeof patientUpdateBody>;

const contactPoint = z.object({ value: z.string(), use: contactUse });
const patientRef = z.object({ id: z.uuid(), givenName: z.string(), familyName: z.string(), birthDate: z.string().nullable() });

export const patientRecord = z.object({
  id: z.uuid(),
  version: z.number().int(),
  mrn: z.string().nullable(),
  givenName: z.string(),
  familyName: z.string(),
  preferredName: z.string().nullable(),
  birthDate: z.string().nullable(),
  sex: z.string().nullable(),
  genderIdentity: z.string().nullable(),
  pronouns: z.string().nullable(),
  identifiers: z.array(z.object({ system: z.string(), value: z.string() })),
  phones: z.array(contactPoint),
  emails: z.array(contactPoint),
  address: z.object({
    line: z.string().nullable(),
    city: z.string().nullable(),
    region: z.string().nullable(),
    postalCode: z.string().nullable(),
    country: z.string().nullable(),
  }),
  language: z.string().nullable(),
  timeZone: z.string().nullable(),
  preferredChannel: preferredChannel.nullable(),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  tags: z.array(z.object({ id: z.uuid(), name: z.string(), color: z.string() })),
  customFields: z.record(z.string(), z.unknown()),
  lifecycleStatus: lifecycleStatus,
  source: z.object({
    channel: z.string().nullable(),
    campaign: z.string().nullable(),
    referrer: z.string().nullable(),
    utmSource: z.string().nullable(),
    utmMedium: z.string().nullable(),
    utmCampaign: z.string().nullable(),
    utmTerm: z.string().nullable(),
    utmContent: z.string().nullable(),
  }),
  household: z.array(z.object({ linkId: z.uuid(), kind: linkKind, patient: patientRef })),
  lastVisitAt: z.string().nullable(),
  nextAppointmentAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  archivedAt: z.string().nullable(),
  mergedIntoId: z.uuid().nullable(),
});
export type PatientRecord = z.infer<typeof patientRecord>;

/** One line of a list: enough to tell two John Smiths apart. */
export const patientSummary = z.object({
  id: z.uuid(),
  mrn: z.string().nullable(),
  givenName: z.string(),
  familyName: z.string(),
  preferredName: z.string().nullable(),
  birthDate: z.string().nullable(),
  sex: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  city: z.string().nullable(),
  lifecycleStatus: lifecycleStatus,
  tags: z.array(z.string()),
  sourceChannel: z.string().nullable(),
  lastVisitAt: z.string().nullable(),
  nextAppointmentAt: z.string().nullable(),
});
export type PatientSummary = z.infer<typeof patientSummary>;

const splitCsv = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const csv = <T extends z.ZodType<unknown, string>>(item: T) => z.string().max(2000).transform(splitCsv).pipe(z.array(item).max(50));

/** Filters of the patient list; saved views store exactly these. */
export const patientFilters = z.strictObject({
  q: z.string().trim().max(200).optional(),
  tag: csv(z.string().min(1).max(60)).optional(),
  lifecycle: csv(lifecycleStatus).optional(),
  source: csv(z.string().min(1).max(100)).optional(),
  lastVisitBefore: isoDate.optional(),
  lastVisitAfter: isoDate.optional(),
  neverVisited: z.enum(['true', 'false']).optional(),
  archived: z.enum(['true', 'false']).optional(),
});
export type PatientFilters = z.infer<typeof patientFilters>;

export const patientListQuery = patientFilters.extend({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
export type PatientListQuery = z.infer<typeof patientListQuery>;

export const patientList = z.object({ items: z.array(patientSummary), nextCursor: z.string().nullable() });

export const archiveBody = z.strictObject({ reason: text(500).optional() });
export const linkBody = z.strictObject({ kind: linkKind, relatedId: z.uuid() });

export const historyEntry = z.object({
  changeSet: z.uuid(),
  changedAt: z.string(),
  actor: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }),
  changes: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
});
export const historyList = z.object({ items: z.array(historyEntry), nextCursor: z.string().nullable() });
export type HistoryEntry = z.infer<typeof historyEntry>;
