import type { z } from 'zod';
import { normalizeEmail, toE164 } from '../patients/normalize.ts';
import type { PatientRecord } from '../patients/schema.ts';
import { problemAt, type RowDraft, type RowProblem } from './row.ts';

type Contact = RowDraft['phones'][number];

/**
 * The request bodies an imported row becomes, in the patient API's own terms, so the API's schemas
 * and checks judge them exactly as they judge a form.
 */

/** A new patient. Always confirmed as not a duplicate: likely duplicates go to the review queue instead. */
export function createBody(draft: RowDraft): Record<string, unknown> {
  return {
    ...draft.scalars,
    ...(draft.phones.length ? { phones: draft.phones } : {}),
    ...(draft.emails.length ? { emails: draft.emails } : {}),
    ...(Object.keys(draft.address).length ? { address: draft.address } : {}),
    ...(draft.tags.length ? { tags: draft.tags } : {}),
    ...(draft.identifiers.length ? { identifiers: draft.identifiers } : {}),
    ...(Object.keys(draft.customFields).length ? { customFields: draft.customFields } : {}),
    ...(Object.keys(draft.source).length ? { source: draft.source } : {}),
    confirmNotDuplicate: true,
  };
}

/**
 * A change to `existing`: only what the row carries. Lists are added to, never cut: the row's phones,
 * emails, tags and identifiers come first (a new number becomes the primary one) and the patient's
 * others stay. A list the row adds nothing to is left out, so an unchanged row changes nothing.
 * `keepMrn` is false when the row's MRN led to a record that now has another (after a merge).
 */
export function updateBody(draft: RowDraft, existing: PatientRecord, keepMrn: boolean): Record<string, unknown> {
  const { mrn, ...scalars } = draft.scalars;
  const body: Record<string, unknown> = { ...scalars, ...(keepMrn && mrn ? { mrn } : {}) };
  const phones = addToList<Contact>(draft.phones, existing.phones, (c) => toE164(c.value) ?? c.value);
  if (phones) body.phones = phones;
  const emails = addToList<Contact>(draft.emails, existing.emails, (c) => normalizeEmail(c.value) ?? c.value);
  if (emails) body.emails = emails;
  const tags = addToList(draft.tags, existing.tags.map((t) => t.name), (name) => name.toLowerCase());
  if (tags) body.tags = tags;
  const identifiers = addToList(draft.identifiers, existing.identifiers, (i) => `${i.system}|${i.value}`);
  if (identifiers) body.identifiers = identifiers;
  if (Object.keys(draft.address).length) body.address = { ...existing.address, ...draft.address };
  if (Object.keys(draft.customFields).length) body.customFields = draft.customFields;
  if (Object.keys(draft.source).length) body.source = draft.source;
  return body;
}

/** The row's items followed by the existing ones, or undefined when the row adds nothing new. */
function addToList<T>(fromRow: readonly T[], existing: readonly T[], key: (item: T) => string): T[] | undefined {
  const have = new Set(existing.map(key));
  if (fromRow.every((item) => have.has(key(item)))) return undefined;
  const fromRowKeys = new Set(fromRow.map(key));
  return [...fromRow, ...existing.filter((item) => !fromRowKeys.has(key(item)))];
}

const SCALARS = ['givenName', 'familyName', 'preferredName', 'birthDate', 'sex', 'genderIdentity', 'pronouns', 'mrn', 'language', 'timeZone', 'preferredChannel'] as const;

/**
 * True when an update body (as the schema parsed it) would set only what `existing` already
 * holds, so the row can be counted unchanged without a write. Values are compared as stored,
 * which is safe: a value that equals the stored one normalises to it too. Anything else goes to
 * updatePatient, whose own diff decides.
 */
export function changesNothing(body: Record<string, unknown>, existing: PatientRecord): boolean {
  const same = (stored: Record<string, unknown>, given: unknown) =>
    Object.entries((given ?? {}) as Record<string, unknown>).every(([k, v]) => stored[k] === v);
  if (body.phones || body.emails || body.tags || body.identifiers) return false;
  return (
    SCALARS.every((k) => body[k] === undefined || body[k] === existing[k]) &&
    same(existing.address, body.address) &&
    same(existing.customFields, body.customFields) &&
    same(existing.source, body.source)
  );
}

/** The schema's problems with a body, each named by the column it came from. */
export function schemaProblems(draft: RowDraft, body: Record<string, unknown>, error: z.ZodError): RowProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const missing = issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined;
    return problemAt(draft, path, missing ? 'is required' : issue.message);
  });
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = body;
  for (const key of path) at = typeof at === 'object' && at !== null ? (at as Record<PropertyKey, unknown>)[key] : undefined;
  return at;
}
