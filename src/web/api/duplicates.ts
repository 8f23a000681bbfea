import { ApiError, apiRequest } from './client.ts';

/** Duplicate detection and merging (see src/modules/duplicates/). */

export interface MatchReason {
  field: string;
  detail: string;
  weight: number;
}

/** A likely match for a record being created, as a 409 possible_duplicate carries it. */
export interface DuplicateMatch {
  patientId: string;
  score: number;
  level?: string;
  reasons: MatchReason[];
}

function isReason(value: unknown): value is MatchReason {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.detail === 'string' && typeof r.weight === 'number';
}

/** The likely matches of a refused create (error code possible_duplicate), best first. */
export function duplicateMatchesOf(error: unknown): DuplicateMatch[] {
  if (!(error instanceof ApiError) || error.code !== 'possible_duplicate') return [];
  const details = error.details as { matches?: unknown } | null | undefined;
  if (!details || !Array.isArray(details.matches)) return [];
  return details.matches.flatMap((m: unknown): DuplicateMatch[] => {
    if (typeof m !== 'object' || m === null) return [];
    const match = m as Record<string, unknown>;
    if (typeof match.patientId !== 'string') return [];
    return [
      {
        patientId: match.patientId,
        score: typeof match.score === 'number' ? match.score : 0,
        reasons: Array.isArray(match.reasons) ? match.reasons.filter(isReason) : [],
      },
    ];
  });
}

/** One side of a pair in the review queue. */
export interface DuplicateSide {
  id: string;
  version: number;
  mrn: string | null;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  birthDate: string | null;
  sex: string | null;
  phone: string | null;
  email: string | null;
  addressLine: string | null;
  city: string | null;
  postalCode: string | null;
  /** The status staff set (never the derived "lapsed"). */
  lifecycleStatus: string;
  createdAt: string;
}

export interface DuplicateCandidate {
  id: string;
  score: number;
  level: 'clear' | 'likely' | 'none';
  reasons: MatchReason[];
  status: 'open' | 'merged' | 'dismissed';
  detectedBy: string;
  detectedAt: string;
  patients: [DuplicateSide, DuplicateSide];
}

export interface DuplicateQueuePage {
  items: DuplicateCandidate[];
  nextCursor: string | null;
}

export const fetchDuplicateQueue = (cursor: string | null, signal?: AbortSignal): Promise<DuplicateQueuePage> =>
  apiRequest('/api/duplicates', { query: { cursor, limit: 50 }, signal });

export const fetchPatientDuplicates = (patientId: string, signal?: AbortSignal): Promise<{ items: DuplicateCandidate[] }> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/duplicates`, { signal });

export const dismissDuplicate = (candidateId: string): Promise<DuplicateCandidate> =>
  apiRequest(`/api/duplicates/${encodeURIComponent(candidateId)}/dismiss`, { method: 'POST' });

export interface ScanResult {
  patients: number;
  pairsCompared: number;
  clear: number;
  likely: number;
  ms: number;
}

export const scanForDuplicates = (): Promise<ScanResult> => apiRequest('/api/duplicates/scan', { method: 'POST' });

/** The patient's own fields staff choose between when merging (src/modules/duplicates/merge-fields.ts). */
export const MERGE_FIELDS = [
  'givenName', 'familyName', 'preferredName', 'birthDate', 'sex', 'genderIdentity', 'pronouns', 'mrn', 'phone', 'email',
  'addressLine', 'city', 'region', 'postalCode', 'country', 'language', 'timeZone', 'preferredChannel', 'quietHours',
  'lifecycleStatus', 'source', 'customFields',
] as const;
export type MergeField = (typeof MERGE_FIELDS)[number];
export type MergeSide = 'survivor' | 'merged';

export interface MergeRequest {
  survivorId: string;
  mergedId: string;
  choices: Partial<Record<MergeField, MergeSide>>;
  /** The versions compared; a record changed since is refused (409) instead of merged blind. */
  expectedVersions?: { survivor: number; merged: number };
}

export interface MergeRecord {
  id: string;
  survivorId: string;
  mergedId: string;
  chosen: Record<string, MergeSide>;
  changedFields: string[];
  moved: Array<{ table: string; column: string; rows: number }>;
  stayed: Array<{ table: string; column: string; rows: number; reason: string }>;
  added: Array<{ system: string; value: string }>;
  mergedAt: string;
  mergedBy: string | null;
  undoneAt: string | null;
  undoneBy: string | null;
}

export const mergePatients = (request: MergeRequest): Promise<MergeRecord> =>
  apiRequest('/api/patients/merge', { method: 'POST', body: request });

export const undoMerge = (mergeId: string): Promise<MergeRecord> =>
  apiRequest(`/api/merges/${encodeURIComponent(mergeId)}/undo`, { method: 'POST' });

export const fetchMerge = (mergeId: string, signal?: AbortSignal): Promise<MergeRecord> =>
  apiRequest(`/api/merges/${encodeURIComponent(mergeId)}`, { signal });
