import type { TenantScope } from '../../server/db/scope.ts';
import type { ContactUse, CustomFieldType, PatientTable, StoredLifecycleStatus } from '../../server/db/types.ts';
import { validationFailed, type FieldProblem } from '../../server/errors.ts';
import { isIanaTimeZone, normalizeEmail, toE164 } from './normalize.ts';
import type { NewPatientBody, PatientUpdateBody } from './schema.ts';

export type ContactPoint = { value: string; use: ContactUse };

/** Patient columns a write may set, already normalised. */
export type PatientColumns = Partial<
  Pick<
    PatientTable,
    | 'given_name'
    | 'family_name'
    | 'preferred_name'
    | 'birth_date'
    | 'sex'
    | 'gender_identity'
    | 'pronouns'
    | 'mrn'
    | 'phone'
    | 'email'
    | 'address_line'
    | 'city'
    | 'region'
    | 'postal_code'
    | 'country'
    | 'language'
    | 'time_zone'
    | 'preferred_channel'
    | 'quiet_hours_start'
    | 'quiet_hours_end'
    | 'source_channel'
    | 'source_campaign'
    | 'source_referrer'
    | 'utm_source'
    | 'utm_medium'
    | 'utm_campaign'
    | 'utm_term'
    | 'utm_content'
  > & { lifecycle_status: StoredLifecycleStatus; phone_use: ContactUse; email_use: ContactUse }
>;

/** A write, checked and normalised: columns for the patient row and the sets kept beside it. */
export type ValidPatientWrite = {
  columns: PatientColumns;
  /** Present only when the write replaces them. */
  identifiers?: Array<{ system: string; value: string }>;
  extraPhones?: ContactPoint[];
  extraEmails?: ContactPoint[];
  tagIds?: string[];
  /** Keys set to a value; a null value removes the key. */
  customFields?: Record<string, unknown>;
};

type Body = NewPatientBody | PatientUpdateBody;

/**
 * Checks what only the clinic's data can tell (a real phone number, a known tag, a custom field of
 * the right type) and collects every problem, so one 400 names each bad field and nothing is stored.
 */
export async function validatePatientWrite(
  scope: TenantScope,
  body: Body,
  mode: 'create' | 'update',
): Promise<ValidPatientWrite> {
  const problems: FieldProblem[] = [];
  const columns: PatientColumns = {};
  const write: ValidPatientWrite = { columns };

  if (body.givenName !== undefined) columns.given_name = body.givenName;
  if (body.familyName !== undefined) columns.family_name = body.familyName;
  copy(body.preferredName, (v) => (columns.preferred_name = v));
  copy(body.birthDate, (v) => {
    if (v && !isPlausibleBirthDate(v)) problems.push({ path: 'birthDate', message: 'must be a real date, not in the future' });
    columns.birth_date = v;
  });
  copy(body.sex, (v) => (columns.sex = v));
  copy(body.genderIdentity, (v) => (columns.gender_identity = v));
  copy(body.pronouns, (v) => (columns.pronouns = v));
  copy(body.mrn, (v) => (columns.mrn = v));
  copy(body.language, (v) => (columns.language = v));
  copy(body.preferredChannel, (v) => (columns.preferred_channel = v));
  copy(body.timeZone, (v) => {
    if (v && !isIanaTimeZone(v)) problems.push({ path: 'timeZone', message: `"${v}" is not an IANA time zone` });
    columns.time_zone = v;
  });
  copy(body.quietHours, (v) => {
    if (v && v.start === v.end) problems.push({ path: 'quietHours', message: 'must start and end at different times' });
    columns.quiet_hours_start = v ? `${v.start}:00` : null;
    columns.quiet_hours_end = v ? `${v.end}:00` : null;
  });
  if (body.lifecycleStatus !== undefined) columns.lifecycle_status = body.lifecycleStatus;
  copy(body.address, (a) => {
    columns.address_line = a?.line ?? null;
    columns.city = a?.city ?? null;
    columns.region = a?.region ?? null;
    columns.postal_code = a?.postalCode ?? null;
    columns.country = a?.country ?? null;
  });
  if (body.source) {
    const s = body.source;
    copy(s.channel, (v) => (columns.source_channel = v));
    copy(s.campaign, (v) => (columns.source_campaign = v));
    copy(s.referrer, (v) => (columns.source_referrer = v));
    copy(s.utmSource, (v) => (columns.utm_source = v));
    copy(s.utmMedium, (v) => (columns.utm_medium = v));
    copy(s.utmCampaign, (v) => (columns.utm_campaign = v));
    copy(s.utmTerm, (v) => (columns.utm_term = v));
    copy(s.utmContent, (v) => (columns.utm_content = v));
  }

  if (body.phones) {
    const phones = normaliseContacts(body.phones, 'phones', (v) => toE164(v), 'must be a valid phone number', 'mobile', problems);
    columns.phone = phones[0]?.value ?? null;
    if (phones[0]) columns.phone_use = phones[0].use;
    write.extraPhones = phones.slice(1);
  }
  if (body.emails) {
    const emails = normaliseContacts(body.emails, 'emails', normalizeEmail, 'must be an email address', 'home', problems);
    columns.email = emails[0]?.value ?? null;
    if (emails[0]) columns.email_use = emails[0].use;
    write.extraEmails = emails.slice(1);
  }
  if (body.identifiers) {
    const seen = new Set<string>();
    write.identifiers = [];
    body.identifiers.forEach((id, i) => {
      const key = `${id.system}|${id.value}`;
      if (seen.has(key)) problems.push({ path: `identifiers.${i}`, message: 'is listed twice' });
      seen.add(key);
      write.identifiers!.push({ system: id.system, value: id.value });
    });
  }
  if (body.tags) write.tagIds = await resolveTags(scope, body.tags, problems);
  if (body.customFields || mode === 'create') {
    write.customFields = await validateCustomFields(scope, body.customFields ?? {}, mode, problems);
  }

  if (problems.length) throw validationFailed(problems);
  return write;
}

/** Runs `set` when the field was sent: undefined means "leave as is", null means "clear". */
function copy<T>(value: T | null | undefined, set: (v: T | null) => void): void {
  if (value !== undefined) set(value);
}

function isPlausibleBirthDate(iso: string): boolean {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(iso) && d.getTime() <= Date.now() + 86_400_000 && iso >= '1880-01-01';
}

function normaliseContacts(
  items: Array<{ value: string; use?: ContactUse | undefined }>,
  path: string,
  normalise: (raw: string) => string | null,
  message: string,
  defaultUse: ContactUse,
  problems: FieldProblem[],
): ContactPoint[] {
  const out: ContactPoint[] = [];
  items.forEach((item, i) => {
    const value = normalise(item.value);
    if (!value) problems.push({ path: `${path}.${i}.value`, message: `${message} (got "${item.value}")` });
    else if (!out.some((c) => c.value === value)) out.push({ value, use: item.use ?? defaultUse });
  });
  return out;
}

async function resolveTags(scope: TenantScope, names: string[], problems: FieldProblem[]): Promise<string[]> {
  const wanted = [...new Set(names.map((n) => n.toLowerCase()))];
  if (wanted.length === 0) return [];
  const rows = await scope.tx
    .selectFrom('tag')
    .select(['id', 'name'])
    .where((eb) => eb(eb.fn('lower', ['name']), 'in', wanted))
    .execute();
  const byName = new Map(rows.map((r) => [r.name.toLowerCase(), r.id]));
  names.forEach((name, i) => {
    if (!byName.has(name.toLowerCase())) problems.push({ path: `tags.${i}`, message: `"${name}" is not a tag of this clinic` });
  });
  return wanted.map((n) => byName.get(n)).filter((id): id is string => Boolean(id));
}

async function validateCustomFields(
  scope: TenantScope,
  values: Record<string, unknown>,
  mode: 'create' | 'update',
  problems: FieldProblem[],
): Promise<Record<string, unknown>> {
  const defs = await scope.tx
    .selectFrom('custom_field')
    .select(['key', 'label', 'type', 'choices', 'required'])
    .where('archived_at', 'is', null)
    .execute();
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const def = byKey.get(key);
    const path = `customFields.${key}`;
    if (!def) {
      problems.push({ path, message: 'is not a custom field of this clinic' });
      continue;
    }
    if (value === null) {
      if (def.required) problems.push({ path, message: `is required (${def.label})` });
      out[key] = null;
      continue;
    }
    const problem = checkCustomValue(def.type, def.choices, value);
    if (problem) problems.push({ path, message: problem });
    else out[key] = typeof value === 'string' ? value.trim() : value;
  }
  if (mode === 'create') {
    for (const def of defs) {
      if (def.required && (values[def.key] === undefined || values[def.key] === null)) {
        problems.push({ path: `customFields.${def.key}`, message: `is required (${def.label})` });
      }
    }
  }
  return out;
}

/** The problem with one custom field value, or null when it fits the field's type. */
export function checkCustomValue(type: CustomFieldType, choices: string[] | null, value: unknown): string | null {
  switch (type) {
    case 'text':
      return typeof value === 'string' && value.trim().length > 0 && value.length <= 1000
        ? null
        : 'must be text of 1 to 1000 characters';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a number';
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
        new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
        ? null
        : 'must be a date as YYYY-MM-DD';
    case 'choice':
      return typeof value === 'string' && (choices ?? []).includes(value)
        ? null
        : `must be one of ${(choices ?? []).join(', ')}`;
  }
}
