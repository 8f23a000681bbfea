import type { ContactPoint as FhirContactPoint, HumanName, Identifier, Patient } from '@medplum/fhirtypes';
import type { FieldProblem } from '../../server/errors.ts';
import { normalizeEmail, toE164 } from '../patients/normalize.ts';
import type { NewPatientBody } from '../patients/schema.ts';

/**
 * A FHIR Patient as the patients service's create input. Shared by the bundle import and the FHIR
 * API (Patient create/update), so both read a Patient the same way.
 */

export type PatientInputResult =
  | {
      ok: true;
      input: NewPatientBody;
      /** Elements read but not kept, each said once ("telecom[0]: "555-956-3629" is not a valid phone number; not kept"). */
      notes: string[];
    }
  | { ok: false; problems: FieldProblem[] };

/** Identifier types Rapport does not keep: government numbers a CRM has no use for (data minimisation). */
const GOVERNMENT_ID_TYPES = new Set(['SS', 'SB', 'DL', 'PPN', 'TAX']);
const GOVERNMENT_ID_SYSTEMS = new Set(['http://hl7.org/fhir/sid/us-ssn', 'http://hl7.org/fhir/sid/us-medicare']);
const MRN_TYPE = 'MR';

const USES: Record<string, 'home' | 'work' | 'mobile' | 'other'> = { home: 'home', work: 'work', mobile: 'mobile', temp: 'other' };

/**
 * Maps name (the official one, else the first), birthDate, gender, telecom (phones and emails;
 * old ones and numbers that are not valid phone numbers are noted and left out), the first home or
 * only address, the first communication language, deceased (lifecycle "deceased") and identifiers
 * (government numbers such as the SSN are noted and left out). Returns problems, with FHIR paths,
 * when the Patient cannot be a Rapport patient (no family or given name, a malformed birth date).
 */
export function patientInputFromFhir(resource: Patient): PatientInputResult {
  const problems: FieldProblem[] = [];
  const notes: string[] = [];
  const name = pickName(resource.name);
  const givenName = name?.given?.find((g) => g.trim())?.trim() ?? (name?.text ? name.text.trim().split(/\s+/)[0] : undefined);
  const familyName = name?.family?.trim() ?? (name?.text ? name.text.trim().split(/\s+/).slice(1).join(' ') || undefined : undefined);
  if (!givenName) problems.push({ path: 'Patient.name.given', message: 'is required: Rapport needs a given name' });
  if (!familyName) problems.push({ path: 'Patient.name.family', message: 'is required: Rapport needs a family name' });
  if (resource.birthDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(resource.birthDate)) {
    problems.push({ path: 'Patient.birthDate', message: `must be a full date as YYYY-MM-DD (got "${resource.birthDate}")` });
  }
  if (problems.length) return { ok: false, problems };

  const input: NewPatientBody = { givenName: givenName!.slice(0, 100), familyName: familyName!.slice(0, 100) };
  const preferred = resource.name?.find((n) => n.use === 'usual' && n !== name)?.given?.[0];
  if (preferred) input.preferredName = preferred.slice(0, 100);
  if (resource.birthDate) input.birthDate = resource.birthDate;
  if (resource.gender) input.sex = resource.gender;
  const { phones, emails } = contactsOf(resource.telecom ?? [], notes);
  if (phones.length) input.phones = phones;
  if (emails.length) input.emails = emails;
  const address = addressOf(resource, notes);
  if (address) input.address = address;
  const language = resource.communication?.find((c) => c.preferred)?.language ?? resource.communication?.[0]?.language;
  const tag = language?.coding?.find((c) => c.code && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(c.code))?.code;
  if (tag) input.language = tag;
  else if (language) notes.push('communication.language: not a language tag such as en or es-MX; not kept');
  if (resource.deceasedBoolean === true || resource.deceasedDateTime) input.lifecycleStatus = 'deceased';
  const identifiers = identifiersOf(resource.identifier ?? [], notes);
  if (identifiers.length) input.identifiers = identifiers;
  return { ok: true, input, notes };
}

/** The identifier values of a Patient that can name it again: all but government numbers, and the MRN (type MR). */
export function matchingIdentifiers(resource: Patient): { identifiers: Array<{ system: string; value: string }>; mrns: string[] } {
  const identifiers = identifiersOf(resource.identifier ?? [], []);
  const mrns = (resource.identifier ?? []).filter((i) => isType(i, MRN_TYPE) && i.value).map((i) => i.value!.trim());
  return { identifiers, mrns };
}

function pickName(names: HumanName[] | undefined): HumanName | undefined {
  const live = (names ?? []).filter((n) => n.use !== 'old' && !n.period?.end);
  return live.find((n) => n.use === 'official') ?? live[0] ?? names?.[0];
}

function isType(identifier: Identifier, code: string): boolean {
  return identifier.type?.coding?.some((c) => c.code === code) ?? false;
}

function identifiersOf(list: Identifier[], notes: string[]): Array<{ system: string; value: string }> {
  const out: Array<{ system: string; value: string }> = [];
  list.forEach((identifier, i) => {
    const system = identifier.system?.trim();
    const value = identifier.value?.trim();
    if (!system || !value) return void notes.push(`identifier[${i}]: has no system or value; not kept`);
    if (GOVERNMENT_ID_SYSTEMS.has(system) || [...GOVERNMENT_ID_TYPES].some((t) => isType(identifier, t))) {
      return void notes.push(`identifier[${i}]: a government number (${identifier.type?.text ?? system}); not kept`);
    }
    if (system.length > 200 || value.length > 200) return void notes.push(`identifier[${i}]: longer than 200 characters; not kept`);
    if (!out.some((o) => o.system === system && o.value === value) && out.length < 20) out.push({ system, value });
  });
  return out;
}

function contactsOf(telecom: FhirContactPoint[], notes: string[]) {
  const phones: Array<{ value: string; use: 'home' | 'work' | 'mobile' | 'other' }> = [];
  const emails: Array<{ value: string; use: 'home' | 'work' | 'mobile' | 'other' }> = [];
  telecom.forEach((t, i) => {
    if (!t.value || t.use === 'old' || t.period?.end) return;
    const use = USES[t.use ?? ''] ?? (t.system === 'email' ? 'home' : 'mobile');
    if (t.system === 'phone' || t.system === 'sms') {
      const value = toE164(t.value);
      if (!value) notes.push(`telecom[${i}]: "${t.value}" is not a valid phone number; not kept`);
      else if (!phones.some((p) => p.value === value) && phones.length < 10) phones.push({ value, use });
    } else if (t.system === 'email') {
      const value = normalizeEmail(t.value);
      if (!value) notes.push(`telecom[${i}]: "${t.value}" is not an email address; not kept`);
      else if (!emails.some((e) => e.value === value) && emails.length < 10) emails.push({ value, use });
    }
  });
  return { phones, emails };
}

function addressOf(resource: Patient, notes: string[]): NewPatientBody['address'] | undefined {
  const live = (resource.address ?? []).filter((a) => a.use !== 'old' && !a.period?.end);
  const a = live.find((x) => x.use === 'home') ?? live[0];
  if (!a) return undefined;
  const clip = (v: string | undefined, max: number) => (v?.trim() ? v.trim().slice(0, max) : undefined);
  const country = a.country?.trim().toUpperCase();
  if (country && !/^[A-Z]{2}$/.test(country)) notes.push(`address.country: "${a.country}" is not a two-letter country code; not kept`);
  const address = {
    line: clip(a.line?.join(', '), 200),
    city: clip(a.city, 100),
    region: clip(a.state, 100),
    postalCode: clip(a.postalCode, 20),
    country: country && /^[A-Z]{2}$/.test(country) ? country : undefined,
  };
  const kept = Object.fromEntries(Object.entries(address).filter(([, v]) => v !== undefined));
  return Object.keys(kept).length ? kept : undefined;
}
