import type { DuplicateSide, MergeField } from '../api/duplicates.ts';
import type { PatientRecord } from '../api/patients.ts';
import { channelLabel, formatCalendarDate, formatPhone, languageName, sexLabel } from '../patients/format.ts';
import { lifecycleLabel } from '../patients/LifecycleBadge.tsx';

/** The rows of the side-by-side comparison: one per field staff can choose (and either record fills), with each record's value. */

export type Which = 0 | 1;

export interface MergeRow {
  field: MergeField;
  label: string;
  /** Each record's value as shown; null when it has none. */
  values: [string | null, string | null];
  /** Both records hold the same value: nothing to choose. */
  same: boolean;
}

const LABELS: Record<MergeField, string> = {
  givenName: 'Given name',
  familyName: 'Family name',
  preferredName: 'Preferred name',
  birthDate: 'Date of birth',
  sex: 'Sex',
  genderIdentity: 'Gender identity',
  pronouns: 'Pronouns',
  mrn: 'MRN',
  phone: 'Phone',
  email: 'Email',
  addressLine: 'Street',
  city: 'City',
  region: 'State or region',
  postalCode: 'Postal code',
  country: 'Country',
  language: 'Language',
  timeZone: 'Time zone',
  preferredChannel: 'Preferred channel',
  quietHours: 'Quiet hours',
  lifecycleStatus: 'Status',
  source: 'Source',
  customFields: 'Clinic fields',
};

const text = (v: string | null | undefined): string | null => (v && v.trim() ? v : null);

function sourceText(s: PatientRecord['source']): string | null {
  const parts = [s.channel, s.campaign && `campaign ${s.campaign}`, s.referrer && `referred by ${s.referrer}`, s.utmSource && `utm ${s.utmSource}`];
  return text(parts.filter(Boolean).join(', '));
}

function customText(values: Record<string, unknown>, labels: ReadonlyMap<string, string>): string | null {
  const parts = Object.entries(values)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${labels.get(k) ?? k}: ${String(v)}`);
  return text(parts.join('; '));
}

function display(field: MergeField, r: PatientRecord, side: DuplicateSide, labels: ReadonlyMap<string, string>): string | null {
  switch (field) {
    case 'birthDate':
      return r.birthDate ? formatCalendarDate(r.birthDate) : null;
    case 'sex':
      return r.sex ? sexLabel(r.sex) : null;
    case 'phone':
      return side.phone ? formatPhone(side.phone) : null;
    case 'email':
      return text(side.email);
    case 'addressLine':
      return text(r.address.line);
    case 'city':
      return text(r.address.city);
    case 'region':
      return text(r.address.region);
    case 'postalCode':
      return text(r.address.postalCode);
    case 'country':
      return text(r.address.country);
    case 'language':
      return r.language ? `${languageName(r.language)} (${r.language})` : null;
    case 'preferredChannel':
      return r.preferredChannel ? channelLabel(r.preferredChannel) : null;
    case 'quietHours':
      return r.quietHours ? `${r.quietHours.start.slice(0, 5)}–${r.quietHours.end.slice(0, 5)}` : null;
    case 'lifecycleStatus':
      // The stored status, which is what a merge copies (lapsed is worked out from visits).
      return lifecycleLabel(side.lifecycleStatus);
    case 'source':
      return sourceText(r.source);
    case 'customFields':
      return customText(r.customFields, labels);
    case 'givenName':
    case 'familyName':
    case 'preferredName':
    case 'genderIdentity':
    case 'pronouns':
    case 'mrn':
    case 'timeZone':
      return text(r[field]);
  }
}

export function mergeRows(
  fields: readonly MergeField[],
  records: [PatientRecord, PatientRecord],
  sides: [DuplicateSide, DuplicateSide],
  customLabels: ReadonlyMap<string, string>,
): MergeRow[] {
  return fields
    .map((field): MergeRow => {
      const values: [string | null, string | null] = [
        display(field, records[0], sides[0], customLabels),
        display(field, records[1], sides[1], customLabels),
      ];
      return { field, label: LABELS[field], values, same: values[0] === values[1] };
    })
    .filter((row) => row.values[0] !== null || row.values[1] !== null);
}

/**
 * The value each row keeps unless staff choose otherwise: the surviving record's, except that an
 * empty one takes the other record's (as the API does for a field left out), so nothing entered is lost.
 */
export function defaultPicks(rows: MergeRow[], survivor: Which): Partial<Record<MergeField, Which>> {
  const other: Which = survivor === 0 ? 1 : 0;
  return Object.fromEntries(
    rows.filter((r) => !r.same).map((r) => [r.field, r.values[survivor] === null && r.values[other] !== null ? other : survivor]),
  );
}

/** The record to keep by default: the one with an MRN if only one has it, else the older one. */
export function defaultSurvivor(sides: [DuplicateSide, DuplicateSide]): Which {
  if (sides[0].mrn && !sides[1].mrn) return 0;
  if (sides[1].mrn && !sides[0].mrn) return 1;
  return sides[0].createdAt <= sides[1].createdAt ? 0 : 1;
}
