import { isDeepStrictEqual } from 'node:util';
import type { PatientTable } from '../../server/db/types.ts';
import { validationFailed } from '../../server/errors.ts';
import { phoneDigits } from '../patients/normalize.ts';

/**
 * The patient's own fields staff choose between when merging two records, each with the columns
 * that go together (a phone and what it is for, quiet hours' start and end, the whole source
 * attribution), and the rules for the choices they leave out.
 */
export const MERGE_FIELDS = {
  givenName: ['given_name'],
  familyName: ['family_name'],
  preferredName: ['preferred_name'],
  birthDate: ['birth_date'],
  sex: ['sex'],
  genderIdentity: ['gender_identity'],
  pronouns: ['pronouns'],
  phone: ['phone', 'phone_use'],
  email: ['email', 'email_use'],
  addressLine: ['address_line'],
  city: ['city'],
  region: ['region'],
  postalCode: ['postal_code'],
  country: ['country'],
  language: ['language'],
  timeZone: ['time_zone'],
  preferredChannel: ['preferred_channel'],
  quietHours: ['quiet_hours_start', 'quiet_hours_end'],
  customFields: ['custom_fields'],
  source: [
    'source_channel',
    'source_campaign',
    'source_referrer',
    'utm_source',
    'utm_medium',
    'utm_campaign',
    'utm_term',
    'utm_content',
  ],
  mrn: ['mrn'],
  lifecycleStatus: ['lifecycle_status'],
} as const satisfies Record<string, ReadonlyArray<keyof PatientTable>>;

export type MergeableField = keyof typeof MERGE_FIELDS;
export const MERGEABLE_FIELDS = Object.keys(MERGE_FIELDS) as MergeableField[];
export type MergeChoice = 'survivor' | 'merged';
export type MergeChoices = Partial<Record<MergeableField, MergeChoice>>;
export type ResolvedChoices = Record<MergeableField, MergeChoice>;

/** A patient row as to_jsonb(patient) gives it. */
export type PatientJson = Record<string, unknown>;

/** Refuses choices naming a field that cannot be merged, or a side other than survivor or merged. */
export function checkChoices(choices: Record<string, unknown>): void {
  const problems = Object.entries(choices).flatMap(([field, side]) => {
    if (!(field in MERGE_FIELDS)) return [{ path: `choices.${field}`, message: 'is not a field that can be merged' }];
    if (side !== 'survivor' && side !== 'merged') return [{ path: `choices.${field}`, message: "must be 'survivor' or 'merged'" }];
    return [];
  });
  if (problems.length) throw validationFailed(problems);
}

const isEmpty = (v: unknown) =>
  v === null || v === undefined || v === '' || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);

const valuesOf = (row: PatientJson, field: MergeableField) => MERGE_FIELDS[field].map((c) => row[c] ?? null);

/** A field's value for the change history: the column's value, or the columns by name when several. */
export function fieldValue(row: PatientJson, field: MergeableField): unknown {
  const columns = MERGE_FIELDS[field];
  if (columns.length === 1) return row[columns[0]] ?? null;
  return Object.fromEntries(columns.map((c) => [c, row[c] ?? null]));
}

/**
 * Every field's side: the one staff chose, else the survivor's, except that a survivor field that is
 * empty takes the merged record's value (nothing a person entered is dropped by default).
 */
export function resolveChoices(choices: MergeChoices, survivor: PatientJson, merged: PatientJson): ResolvedChoices {
  const resolved = {} as ResolvedChoices;
  for (const field of MERGEABLE_FIELDS) {
    const primary = MERGE_FIELDS[field][0];
    resolved[field] = choices[field] ?? (isEmpty(survivor[primary]) && !isEmpty(merged[primary]) ? 'merged' : 'survivor');
  }
  return resolved;
}

/** The fields whose value on the survivor changes: taken from the merged record and different. */
export function changedFields(resolved: ResolvedChoices, survivor: PatientJson, merged: PatientJson): MergeableField[] {
  return MERGEABLE_FIELDS.filter((f) => resolved[f] === 'merged' && !isDeepStrictEqual(valuesOf(survivor, f), valuesOf(merged, f)));
}

export type KeptContact = { system: 'phone' | 'email'; value: string; use: string };
const CONTACT_USES = new Set(['home', 'work', 'mobile', 'other']);

/**
 * The phone and email that lose the choice (the merged record's when the survivor's was kept, the
 * survivor's when the merged one's was taken), to keep as extra contact points on the survivor
 * unless the survivor already has that number or address.
 */
export function contactsToKeep(
  resolved: ResolvedChoices,
  survivor: PatientJson,
  merged: PatientJson,
  existing: Array<{ system: string; value: string }>,
): KeptContact[] {
  const out: KeptContact[] = [];
  for (const system of ['phone', 'email'] as const) {
    const [winner, loser] = resolved[system] === 'merged' ? [merged, survivor] : [survivor, merged];
    const value = loser[system];
    if (typeof value !== 'string' || !value) continue;
    const norm = (v: string) => (system === 'phone' ? phoneDigits(v) : v.trim().toLowerCase());
    const have = [winner[system], ...existing.filter((c) => c.system === system).map((c) => c.value)];
    if (have.some((v) => typeof v === 'string' && norm(v) === norm(value))) continue;
    const use = loser[`${system}_use`];
    out.push({ system, value, use: typeof use === 'string' && CONTACT_USES.has(use) ? use : 'other' });
  }
  return out;
}
