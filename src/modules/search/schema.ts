import { z } from 'zod';
import { MAX_QUERY_LENGTH } from './query.ts';
import { SEARCH_FIELDS } from './ranking.ts';

export const patientSearchQuery = z.strictObject({
  q: z.string().trim().min(1, { message: 'must not be empty' }).max(MAX_QUERY_LENGTH),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export const searchField = z.enum(SEARCH_FIELDS as [string, ...string[]]);

/** One result line: who the patient is, at a glance, and why they matched. */
export const patientSearchLine = z.object({
  id: z.uuid(),
  givenName: z.string(),
  familyName: z.string(),
  preferredName: z.string().nullable(),
  birthDate: z.string().nullable(),
  sex: z.string().nullable(),
  mrn: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  city: z.string().nullable(),
  lifecycleStatus: z.enum(['lead', 'active', 'lapsed', 'inactive', 'deceased']),
  lastVisitAt: z.string().nullable(),
  /** 0 to 1: how well the patient answers the query. */
  score: z.number().min(0).max(1),
  matchedOn: z.array(searchField),
});
export type PatientSearchLine = z.infer<typeof patientSearchLine>;

export const patientSearchResult = z.object({ items: z.array(patientSearchLine) });
