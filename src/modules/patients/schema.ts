import { z } from 'zod';

export const lifecycleStatus = z.enum(['lead', 'active', 'lapsed', 'inactive', 'deceased']);
/** The statuses staff set; lapsed is derived from the last kept visit. */
export const storedLifecycleStatus = z.enum(['lead', 'active', 'inactive', 'deceased']);
export const sex = z.enum(['female', 'male', 'other', 'unknown']);

const isoDate = z.iso.date({ message: 'must be a date as YYYY-MM-DD' });

/** What staff send to register a patient. Patient 360 grows this; unknown fields are refused. */
export const newPatientBody = z.strictObject({
  givenName: z.string().trim().min(1).max(100),
  familyName: z.string().trim().min(1).max(100),
  preferredName: z.string().trim().min(1).max(100).optional(),
  birthDate: isoDate.optional(),
  sex: sex.optional(),
  mrn: z.string().trim().min(1).max(64).optional(),
  phone: z.string().trim().min(3).max(32).optional(),
  email: z.email({ message: 'must be an email address' }).max(320).optional(),
  language: z.string().trim().min(2).max(35).optional(),
  lifecycleStatus: storedLifecycleStatus.optional(),
});
export type NewPatientBody = z.infer<typeof newPatientBody>;

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
  lifecycleStatus: lifecycleStatus,
  lastVisitAt: z.string().nullable(),
  nextAppointmentAt: z.string().nullable(),
});
export type PatientSummary = z.infer<typeof patientSummary>;

export const patientListQuery = z.strictObject({
  q: z.string().trim().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
export type PatientListQuery = z.infer<typeof patientListQuery>;

export const patientList = z.object({ items: z.array(patientSummary), nextCursor: z.string().nullable() });
