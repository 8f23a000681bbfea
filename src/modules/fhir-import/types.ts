import type { Resource } from '@medplum/fhirtypes';

/** Shared shapes of the FHIR import: what goes in (entries, grouped in units) and what comes out. */

/** The external_ref system resource ids belong to when the caller names none. */
export const DEFAULT_FHIR_SYSTEM = 'urn:rapport:fhir-import';

/** One resource to import, with where it came from (for messages) and its bundle fullUrl. */
export type ImportEntry = {
  /** "Brent_Beer.json entry 12", "Patient.ndjson line 4": names the entry in every problem. */
  where: string;
  resource: Resource;
  fullUrl?: string | undefined;
  /** Position in its unit (a bundle's entry index). */
  index: number;
};

/**
 * Entries stored all or nothing: a transaction bundle is one unit; each entry of a batch bundle and
 * each NDJSON line is a unit of its own.
 */
export type ImportUnit = { label: string; atomic: boolean; entries: ImportEntry[] };

export type EntryOutcome = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed';

export type EntryResult = {
  entry: ImportEntry;
  type: string;
  outcome: EntryOutcome;
  /** Why it was skipped or failed. */
  reason?: string;
  /** For a failure: `not-found` when a reference named nothing Rapport holds (OperationOutcome issue.code). */
  failureCode?: 'not-found';
  /** The Rapport row it became (a claim for an ExplanationOfBenefit). */
  entityId?: string;
  /** A new patient left as a likely duplicate of another for staff to review. */
  sentToReview?: boolean;
};

export type ImportOptions = {
  now: Date;
  /** external_ref.system for the resources' ids. */
  system: string;
  dryRun: boolean;
};

export type TypeCounts = { created: number; updated: number; unchanged: number; skipped: number; failed: number };

/** What an import did: counts per resource type, skip reasons with counts, each failure named. */
export type ImportReport = {
  resources: number;
  byType: Record<string, TypeCounts>;
  skipped: Array<{ type: string; reason: string; count: number }>;
  failures: Array<{ where: string; type: string; reason: string }>;
  /** Failures beyond the ones listed. */
  failuresNotShown: number;
  sentToReview: number;
  dryRun: boolean;
};
