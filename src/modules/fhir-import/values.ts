import { createHash } from 'node:crypto';
import type { CodeableConcept, Money, Reference } from '@medplum/fhirtypes';

/** Small readers of FHIR data types, shared by the mappers. */

/**
 * How a failure is reported in an OperationOutcome (issue.code): `not-found` for a reference that
 * names nothing Rapport holds, `processing` for everything else the mapping refuses.
 */
export type FailureCode = 'processing' | 'not-found';

/** An entry the mapper cannot import: the entry fails with this reason. */
export class MappingFailure extends Error {
  readonly code: FailureCode;
  constructor(reason: string, code: FailureCode = 'processing') {
    super(reason);
    this.code = code;
  }
}
/** An entry Rapport deliberately leaves out: counted as skipped with this reason. */
export class MappingSkip extends Error {}

/** The EntryResult field a failure adds: its code when it is not the default. */
export const failureCodeOf = (error: MappingFailure): { failureCode?: 'not-found' } => (error.code === 'not-found' ? { failureCode: 'not-found' } : {});

export const fail = (reason: string, code?: FailureCode): never => {
  throw new MappingFailure(reason, code);
};

/** The first coding of a concept, as the columns keep it. */
export function coding(cc: CodeableConcept | undefined): { system: string | null; code: string | null; display: string | null } {
  const c = cc?.coding?.find((x) => x.code) ?? cc?.coding?.[0];
  return { system: c?.system ?? null, code: c?.code ?? null, display: c?.display ?? null };
}

/** What a person reads for a concept: its text, else a coding's display, else a code. */
export function conceptText(cc: CodeableConcept | undefined): string | null {
  const text = cc?.text?.trim() || cc?.coding?.find((c) => c.display?.trim())?.display?.trim() || cc?.coding?.find((c) => c.code)?.code;
  return text || null;
}

/**
 * A FHIR date or dateTime as an instant: partial dates (YYYY, YYYY-MM, YYYY-MM-DD) are taken at
 * their start, in UTC. Undefined stays null; a malformed value fails the entry naming `path`.
 */
export function instant(value: string | undefined, path: string): Date | null {
  if (value === undefined) return null;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  const iso = m ? `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}T00:00:00Z` : value;
  const date = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(iso) || Number.isNaN(date.getTime())) {
    fail(`${path} "${value}" is not a FHIR date or dateTime`);
  }
  return date;
}

/** Money as whole cents; null when absent; a negative or non-numeric amount fails the entry. */
export function cents(money: Money | undefined, path: string): number | null {
  if (money?.value === undefined) return null;
  if (typeof money.value !== 'number' || !Number.isFinite(money.value) || money.value < 0) fail(`${path} must be a non-negative amount`);
  return Math.round(money.value * 100);
}

/** `value` if it is one of `allowed`, else the entry fails naming the element and the values it may take. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], path: string, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined) return fail(`${path} is required`);
  if (!(allowed as readonly string[]).includes(value)) fail(`${path} "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

export const clip = (value: string | null | undefined, max: number): string | null => (value?.trim() ? value.trim().slice(0, max) : null);

export function referenceOf(ref: Reference | undefined): string | undefined {
  return typeof ref?.reference === 'string' && ref.reference.trim() ? ref.reference.trim() : undefined;
}

/** Bumped when a mapping changes, so the next import updates rows mapped the old way. */
const MAPPING_VERSION = '1';

/** The content hash kept in external_ref: the resource as received, and the mapping version. */
export function contentHash(resource: unknown): string {
  return createHash('sha256').update(MAPPING_VERSION).update(JSON.stringify(resource)).digest('base64url');
}
