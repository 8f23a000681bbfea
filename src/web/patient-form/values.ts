import type { CustomField } from '../api/catalog.ts';
import type { ContactUse, NewPatient, PatientRecord, PatientWrite, PreferredChannel, Sex, StoredLifecycleStatus } from '../api/patients.ts';

/** The patient form's state: strings as typed, turned into an API body by toPatientWrite. */

export interface ContactRow {
  value: string;
  use: ContactUse;
}

export interface PatientFormValues {
  givenName: string;
  familyName: string;
  preferredName: string;
  pronouns: string;
  genderIdentity: string;
  birthDate: string;
  sex: Sex | '';
  mrn: string;
  phones: ContactRow[];
  emails: ContactRow[];
  address: { line: string; city: string; region: string; postalCode: string; country: string };
  language: string;
  timeZone: string;
  preferredChannel: PreferredChannel | '';
  quietStart: string;
  quietEnd: string;
  tags: string[];
  lifecycleStatus: StoredLifecycleStatus;
  source: { channel: string; campaign: string; referrer: string };
  /** By custom field key, as typed. */
  customFields: Record<string, string>;
}

export type PatientFormChange = (patch: Partial<PatientFormValues>) => void;

const blankPhone = (): ContactRow => ({ value: '', use: 'mobile' });
const blankEmail = (): ContactRow => ({ value: '', use: 'home' });

export function emptyPatientValues(): PatientFormValues {
  return {
    givenName: '',
    familyName: '',
    preferredName: '',
    pronouns: '',
    genderIdentity: '',
    birthDate: '',
    sex: '',
    mrn: '',
    phones: [blankPhone()],
    emails: [blankEmail()],
    address: { line: '', city: '', region: '', postalCode: '', country: '' },
    language: '',
    timeZone: '',
    preferredChannel: '',
    quietStart: '',
    quietEnd: '',
    tags: [],
    lifecycleStatus: 'active',
    source: { channel: '', campaign: '', referrer: '' },
    customFields: {},
  };
}

const SEXES: readonly string[] = ['female', 'male', 'other', 'unknown'];

function customFieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

/** The form filled from a saved record, for editing. */
export function valuesFromRecord(record: PatientRecord): PatientFormValues {
  return {
    givenName: record.givenName,
    familyName: record.familyName,
    preferredName: record.preferredName ?? '',
    pronouns: record.pronouns ?? '',
    genderIdentity: record.genderIdentity ?? '',
    birthDate: record.birthDate ?? '',
    sex: record.sex && SEXES.includes(record.sex) ? (record.sex as Sex) : '',
    mrn: record.mrn ?? '',
    phones: record.phones.length ? record.phones.map((p) => ({ ...p })) : [blankPhone()],
    emails: record.emails.length ? record.emails.map((e) => ({ ...e })) : [blankEmail()],
    address: {
      line: record.address.line ?? '',
      city: record.address.city ?? '',
      region: record.address.region ?? '',
      postalCode: record.address.postalCode ?? '',
      country: record.address.country ?? '',
    },
    language: record.language ?? '',
    timeZone: record.timeZone ?? '',
    preferredChannel: record.preferredChannel ?? '',
    quietStart: record.quietHours?.start.slice(0, 5) ?? '',
    quietEnd: record.quietHours?.end.slice(0, 5) ?? '',
    tags: record.tags.map((t) => t.name),
    // Lapsed is worked out from the last visit; what staff set underneath it is active.
    lifecycleStatus: record.lifecycleStatus === 'lapsed' ? 'active' : record.lifecycleStatus,
    source: {
      channel: record.source.channel ?? '',
      campaign: record.source.campaign ?? '',
      referrer: record.source.referrer ?? '',
    },
    customFields: Object.fromEntries(Object.entries(record.customFields).map(([k, v]) => [k, customFieldText(v)])),
  };
}

/**
 * Drops contact rows left blank, so the rows shown are the rows sent and a problem the API reports
 * at "phones.1.value" lands on the second row on screen.
 */
export function withoutBlankContacts(values: PatientFormValues): PatientFormValues {
  const phones = values.phones.filter((p) => p.value.trim());
  const emails = values.emails.filter((e) => e.value.trim());
  // One empty row stays at the end so there is somewhere to type; blank rows are never sent.
  return { ...values, phones: phones.length ? phones : [blankPhone()], emails: emails.length ? emails : [blankEmail()] };
}

const orNull = (value: string): string | null => value.trim() || null;

function customValue(field: CustomField | undefined, raw: string): unknown {
  const value = raw.trim();
  if (!value) return null;
  if (field?.type === 'number') {
    const n = Number(value);
    // Sent as typed when it is not a number, so the API names the problem in its own words.
    return Number.isFinite(n) ? n : value;
  }
  return value;
}

/** Every field of the form as the API takes it (null for empty). */
export function toPatientWrite(values: PatientFormValues, fields: CustomField[]): PatientWrite & { givenName: string; familyName: string } {
  const a = values.address;
  const hasAddress = [a.line, a.city, a.region, a.postalCode, a.country].some((v) => v.trim());
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const keys = new Set([...fields.map((f) => f.key), ...Object.keys(values.customFields)]);
  return {
    givenName: values.givenName.trim(),
    familyName: values.familyName.trim(),
    preferredName: orNull(values.preferredName),
    pronouns: orNull(values.pronouns),
    genderIdentity: orNull(values.genderIdentity),
    birthDate: orNull(values.birthDate),
    sex: values.sex || null,
    mrn: orNull(values.mrn),
    phones: values.phones.filter((p) => p.value.trim()).map((p) => ({ value: p.value.trim(), use: p.use })),
    emails: values.emails.filter((e) => e.value.trim()).map((e) => ({ value: e.value.trim(), use: e.use })),
    address: hasAddress
      ? {
          line: orNull(a.line),
          city: orNull(a.city),
          region: orNull(a.region),
          postalCode: orNull(a.postalCode),
          country: orNull(a.country.toUpperCase()),
        }
      : null,
    language: orNull(values.language),
    timeZone: orNull(values.timeZone),
    preferredChannel: values.preferredChannel || null,
    quietHours: values.quietStart || values.quietEnd ? { start: values.quietStart, end: values.quietEnd } : null,
    tags: values.tags,
    lifecycleStatus: values.lifecycleStatus,
    source: {
      channel: orNull(values.source.channel),
      campaign: orNull(values.source.campaign),
      referrer: orNull(values.source.referrer),
    },
    customFields: Object.fromEntries([...keys].map((key) => [key, customValue(byKey.get(key), values.customFields[key] ?? '')])),
  };
}

/** A new patient's body: only what was filled in. */
export function toNewPatient(values: PatientFormValues, fields: CustomField[]): NewPatient {
  const write = toPatientWrite(values, fields);
  const filled: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(write)) {
    if (value === null || (Array.isArray(value) && value.length === 0)) continue;
    if (key === 'customFields' || key === 'source') {
      const set = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null);
      if (set.length) filled[key] = Object.fromEntries(set);
      continue;
    }
    filled[key] = value;
  }
  return { ...(filled as Partial<PatientWrite>), givenName: write.givenName, familyName: write.familyName };
}

/**
 * Only what changed between two writes (custom fields key by key), so a save touches only the
 * fields the user edited and the history shows exactly those.
 */
export function changedWrite(before: PatientWrite, after: PatientWrite): PatientWrite {
  const changed: Record<string, unknown> = {};
  for (const key of Object.keys(after) as Array<keyof PatientWrite>) {
    if (key === 'customFields') {
      const was = before.customFields ?? {};
      const now = after.customFields ?? {};
      const diff = Object.fromEntries(Object.entries(now).filter(([k, v]) => JSON.stringify(was[k] ?? null) !== JSON.stringify(v)));
      if (Object.keys(diff).length) changed.customFields = diff;
    } else if (JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)) {
      changed[key] = after[key];
    }
  }
  return changed as PatientWrite;
}
