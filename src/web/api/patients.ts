import { apiRequest } from './client.ts';
import type { LifecycleStatus, PatientPage } from './types.ts';

/** The patient record and the calls around it (see src/modules/patients/schema.ts). */

export type Sex = 'female' | 'male' | 'other' | 'unknown';
export type PreferredChannel = 'sms' | 'email' | 'phone' | 'portal' | 'mail';
export type ContactUse = 'home' | 'work' | 'mobile' | 'other';
export type LinkKind = 'guardian_of' | 'guarded_by' | 'shares_phone_with';
/** The statuses staff set; lapsed is derived from the last kept visit. */
export type StoredLifecycleStatus = Exclude<LifecycleStatus, 'lapsed'>;

export interface ContactPoint {
  value: string;
  use: ContactUse;
}

export interface Address {
  line: string | null;
  city: string | null;
  region: string | null;
  postalCode: string | null;
  country: string | null;
}

export interface PatientSource {
  channel: string | null;
  campaign: string | null;
  referrer: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

export interface PatientRef {
  id: string;
  givenName: string;
  familyName: string;
  birthDate: string | null;
}

export interface PatientTag {
  id: string;
  name: string;
  color: string;
}

export interface PatientRecord {
  id: string;
  version: number;
  mrn: string | null;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  birthDate: string | null;
  sex: string | null;
  genderIdentity: string | null;
  pronouns: string | null;
  identifiers: Array<{ system: string; value: string }>;
  phones: ContactPoint[];
  emails: ContactPoint[];
  address: Address;
  language: string | null;
  timeZone: string | null;
  preferredChannel: PreferredChannel | null;
  quietHours: { start: string; end: string } | null;
  tags: PatientTag[];
  customFields: Record<string, unknown>;
  lifecycleStatus: LifecycleStatus;
  source: PatientSource;
  household: Array<{ linkId: string; kind: LinkKind; patient: PatientRef }>;
  lastVisitAt: string | null;
  nextAppointmentAt: string | null;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
  mergedIntoId: string | null;
}

/** What a create or update sends; null clears a field on update, a missing key leaves it. */
export interface PatientWrite {
  givenName?: string;
  familyName?: string;
  preferredName?: string | null;
  birthDate?: string | null;
  sex?: Sex | null;
  genderIdentity?: string | null;
  pronouns?: string | null;
  mrn?: string | null;
  phones?: Array<{ value: string; use?: ContactUse }>;
  emails?: Array<{ value: string; use?: ContactUse }>;
  address?: Partial<Address> | null;
  language?: string | null;
  timeZone?: string | null;
  preferredChannel?: PreferredChannel | null;
  quietHours?: { start: string; end: string } | null;
  tags?: string[];
  customFields?: Record<string, unknown>;
  lifecycleStatus?: StoredLifecycleStatus;
  source?: Partial<Record<keyof PatientSource, string | null>>;
}

export type NewPatient = PatientWrite & { givenName: string; familyName: string; confirmNotDuplicate?: boolean };

/** Filters of the patient list, as its query string (and a saved view) carries them. */
export interface PatientFilters {
  q?: string;
  /** Comma-separated tag names. */
  tag?: string;
  /** Comma-separated lifecycle statuses. */
  lifecycle?: string;
  /** Comma-separated source channels. */
  source?: string;
  lastVisitBefore?: string;
  lastVisitAfter?: string;
  neverVisited?: 'true' | 'false';
  archived?: 'true' | 'false';
}

export const FILTER_KEYS = ['q', 'tag', 'lifecycle', 'source', 'lastVisitAfter', 'lastVisitBefore', 'neverVisited', 'archived'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export const fetchPatients = (
  filters: PatientFilters,
  page: { limit: number; cursor: string | null },
  signal?: AbortSignal,
): Promise<PatientPage> =>
  apiRequest<PatientPage>('/api/patients', { query: { ...filters, q: filters.q?.trim(), ...page }, signal });

export const fetchPatient = (id: string, signal?: AbortSignal): Promise<PatientRecord> =>
  apiRequest<PatientRecord>(`/api/patients/${encodeURIComponent(id)}`, { signal });

export const createPatient = (body: NewPatient): Promise<PatientRecord & { possibleDuplicates: string[] }> =>
  apiRequest('/api/patients', { method: 'POST', body });

export const updatePatient = (id: string, body: PatientWrite & { version: number }): Promise<PatientRecord> =>
  apiRequest(`/api/patients/${encodeURIComponent(id)}`, { method: 'PATCH', body });

export const archivePatient = (id: string, reason: string): Promise<PatientRecord> =>
  apiRequest(`/api/patients/${encodeURIComponent(id)}/archive`, { method: 'POST', body: reason ? { reason } : {} });

export const restorePatient = (id: string): Promise<PatientRecord> =>
  apiRequest(`/api/patients/${encodeURIComponent(id)}/restore`, { method: 'POST', body: {} });

export const linkPatient = (id: string, kind: LinkKind, relatedId: string): Promise<{ linkId: string }> =>
  apiRequest(`/api/patients/${encodeURIComponent(id)}/links`, { method: 'POST', body: { kind, relatedId } });

export const unlinkPatient = (id: string, linkId: string): Promise<void> =>
  apiRequest(`/api/patients/${encodeURIComponent(id)}/links/${encodeURIComponent(linkId)}`, { method: 'DELETE' });

export interface HistoryEntry {
  changeSet: string;
  changedAt: string;
  actor: { type: string; id: string | null; name: string | null };
  changes: Array<{ field: string; from: unknown; to: unknown }>;
}

export interface HistoryPage {
  items: HistoryEntry[];
  nextCursor: string | null;
}

export const fetchPatientHistory = (id: string, cursor: string | null, signal?: AbortSignal): Promise<HistoryPage> =>
  apiRequest(`/api/patients/${encodeURIComponent(id)}/history`, { query: { limit: 20, cursor }, signal });

export type SearchField = 'name' | 'phone' | 'email' | 'birth_date' | 'mrn' | 'identifier';

/** One line of GET /api/patients/search: who the patient is at a glance, and why they matched. */
export interface PatientSearchHit {
  id: string;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  birthDate: string | null;
  sex: string | null;
  mrn: string | null;
  phone: string | null;
  email: string | null;
  city: string | null;
  lifecycleStatus: LifecycleStatus;
  lastVisitAt: string | null;
  score: number;
  matchedOn: SearchField[];
}

export const searchPatients = (q: string, signal?: AbortSignal): Promise<{ items: PatientSearchHit[] }> =>
  apiRequest('/api/patients/search', { query: { q: q.trim(), limit: 10 }, signal });
