import type { ContactPoint, HumanName, Patient } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import type { ContactUse } from '../../../server/db/types.ts';
import { AppError } from '../../../server/errors.ts';
import { isUuid } from '../../../shared/ids.ts';
import { newPatientBody, patientUpdateBody, type NewPatientBody, type PatientUpdateBody } from '../../patients/schema.ts';
import { registerPatient, updatePatient } from '../../patients/service.ts';
import { asUnprocessable, fhirError, preconditionFailed } from '../outcome.ts';
import { ID_PARAM, LAST_UPDATED_PARAM, type SearchParamDef } from '../search.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, meta } from './common.ts';
import { searchPatients } from './patient-search.ts';

/** The identifier system of a patient's medical record number (patient.mrn) in this server's resources. */
export const MRN_SYSTEM = 'urn:rapport:mrn';

export function patientRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('patient as p')
    .select([
      'p.id', 'p.version', 'p.updated_at', 'p.mrn', 'p.given_name', 'p.family_name', 'p.preferred_name', 'p.birth_date', 'p.sex',
      'p.phone', 'p.phone_use', 'p.email', 'p.email_use', 'p.address_line', 'p.city', 'p.region', 'p.postal_code', 'p.country',
      'p.language', 'p.lifecycle_status', 'p.archived_at', 'p.merged_into_id',
      sql<Array<{ system: string; value: string }>>`coalesce((select json_agg(json_build_object('system', i.system, 'value', i.value) order by i.system, i.value)
        from patient_identifier i where i.patient_id = p.id), '[]'::json)`.as('identifiers'),
      sql<Array<{ system: 'phone' | 'email'; value: string; use: ContactUse }>>`coalesce((select json_agg(json_build_object('system', c.system, 'value', c.value, 'use', c.use) order by c.rank, c.created_at, c.id)
        from patient_contact_point c where c.patient_id = p.id), '[]'::json)`.as('contacts'),
    ]);
}

export type PatientRow = Awaited<ReturnType<ReturnType<typeof patientRows>['executeTakeFirstOrThrow']>>;

const toFhirUse = (use: ContactUse): ContactPoint['use'] => (use === 'other' ? undefined : use);
const fromFhirUse = (use: ContactPoint['use']): ContactUse => (use === 'home' || use === 'work' || use === 'mobile' ? use : 'other');

export function patientToFhir(row: PatientRow): Patient {
  const telecom: ContactPoint[] = [];
  let rank = 1;
  if (row.phone) telecom.push(compact({ system: 'phone' as const, value: row.phone, use: toFhirUse(row.phone_use), rank: rank++ }));
  for (const c of row.contacts.filter((c) => c.system === 'phone')) telecom.push(compact({ system: 'phone' as const, value: c.value, use: toFhirUse(c.use), rank: rank++ }));
  if (row.email) telecom.push(compact({ system: 'email' as const, value: row.email, use: toFhirUse(row.email_use), rank: rank++ }));
  for (const c of row.contacts.filter((c) => c.system === 'email')) telecom.push(compact({ system: 'email' as const, value: c.value, use: toFhirUse(c.use), rank: rank++ }));
  const names: HumanName[] = [{ use: 'official', family: row.family_name, given: row.given_name.split(/\s+/) }];
  if (row.preferred_name) names.push({ use: 'usual', given: [row.preferred_name] });
  const hasAddress = row.address_line || row.city || row.region || row.postal_code || row.country;
  return compact({
    resourceType: 'Patient' as const,
    id: row.id,
    meta: meta(row.version, row.updated_at),
    identifier: [
      ...(row.mrn ? [{ use: 'usual' as const, type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: MRN_SYSTEM, value: row.mrn }] : []),
      ...row.identifiers.map((i) => ({ system: i.system, value: i.value })),
    ],
    active: !row.archived_at && !row.merged_into_id && row.lifecycle_status !== 'inactive',
    name: names,
    telecom,
    gender: row.sex ?? undefined,
    birthDate: row.birth_date ?? undefined,
    deceasedBoolean: row.lifecycle_status === 'deceased' ? true : undefined,
    address: hasAddress
      ? [compact({ line: row.address_line ? [row.address_line] : undefined, city: row.city ?? undefined, state: row.region ?? undefined, postalCode: row.postal_code ?? undefined, country: row.country ?? undefined })]
      : undefined,
    communication: row.language ? [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: row.language }] }, preferred: true }] : undefined,
    link: row.merged_into_id ? [{ other: { reference: `Patient/${row.merged_into_id}` }, type: 'replaced-by' as const }] : undefined,
  });
}

/** The fields of a Rapport patient a FHIR Patient sets (everything it can express; the rest is left alone). */
export function patientInputFromFhir(resource: Patient): Omit<NewPatientBody, 'givenName' | 'familyName'> & { givenName?: string; familyName?: string } {
  const official = resource.name?.find((n) => n.use === 'official') ?? resource.name?.find((n) => n.family || n.given?.length) ?? undefined;
  const usual = resource.name?.find((n) => n !== official && (n.use === 'usual' || n.use === 'nickname') && n.given?.length);
  const mrn = resource.identifier?.find((i) => i.system === MRN_SYSTEM)?.value;
  const address = resource.address?.find((a) => a.use !== 'old') ?? resource.address?.[0];
  const phones = (resource.telecom ?? []).filter((t) => (t.system === 'phone' || t.system === 'sms') && t.value);
  const emails = (resource.telecom ?? []).filter((t) => t.system === 'email' && t.value);
  const byRank = (a: ContactPoint, b: ContactPoint) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER);
  const language = resource.communication?.find((c) => c.preferred)?.language ?? resource.communication?.[0]?.language;
  return {
    ...(official?.given?.length ? { givenName: official.given.join(' ') } : {}),
    ...(official?.family ? { familyName: official.family } : {}),
    preferredName: usual?.given?.[0] ?? null,
    birthDate: resource.birthDate ?? null,
    sex: resource.gender ?? null,
    mrn: mrn ?? null,
    identifiers: (resource.identifier ?? []).filter((i) => i.system !== MRN_SYSTEM).map((i) => ({ system: i.system ?? '', value: i.value ?? '' })),
    phones: phones.sort(byRank).map((t) => ({ value: t.value!, use: fromFhirUse(t.use) })),
    emails: emails.sort(byRank).map((t) => ({ value: t.value!, use: fromFhirUse(t.use) })),
    address: address
      ? { line: address.line?.join(', ') || null, city: address.city ?? null, region: address.state ?? null, postalCode: address.postalCode ?? null, country: address.country ?? null }
      : null,
    language: language?.coding?.find((c) => c.code)?.code ?? null,
    ...(resource.deceasedBoolean || resource.deceasedDateTime ? { lifecycleStatus: 'deceased' as const } : resource.active === false ? { lifecycleStatus: 'inactive' as const } : {}),
  };
}

/** Runs Rapport's own shape rules over the mapped input; a refusal is a 422 naming the fields. */
function checked<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw fhirError(
    422,
    'invalid',
    `The Patient cannot be stored: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(resource)'} ${i.message}`).join('; ')}.`,
  );
}

async function readPatient(scope: TenantScope, id: string): Promise<Patient | undefined> {
  if (!isUuid(id)) return undefined;
  const row = await patientRows(scope).where('p.id', '=', id).executeTakeFirst();
  return row ? patientToFhir(row) : undefined;
}

async function createPatient(scope: TenantScope, resource: Patient, ctx: FhirContext): Promise<Patient> {
  const input = patientInputFromFhir(resource);
  if (!input.givenName || !input.familyName) {
    throw fhirError(422, 'required', 'Patient.name needs a family name and at least one given name.', ['Patient.name']);
  }
  const body = checked<NewPatientBody>(newPatientBody, input);
  try {
    const { patient } = await registerPatient(scope, body, { now: ctx.now });
    return (await readPatient(scope, patient.id))!;
  } catch (error) {
    throw asUnprocessable(error);
  }
}

async function replacePatient(scope: TenantScope, id: string, resource: Patient, expectedVersion: number | undefined, ctx: FhirContext): Promise<Patient> {
  const input = patientInputFromFhir(resource);
  if (!input.givenName || !input.familyName) {
    throw fhirError(422, 'required', 'Patient.name needs a family name and at least one given name.', ['Patient.name']);
  }
  const current = isUuid(id) ? await scope.tx.selectFrom('patient').select(['version', 'lifecycle_status']).where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  if (current && expectedVersion !== undefined && current.version !== expectedVersion) {
    throw preconditionFailed(`Patient/${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`);
  }
  // An active Patient brings an inactive or deceased record back to active; otherwise the status stays.
  const lifecycle = input.lifecycleStatus ?? (current && (current.lifecycle_status === 'inactive' || current.lifecycle_status === 'deceased') ? 'active' : undefined);
  const body = checked<PatientUpdateBody>(patientUpdateBody, { ...input, ...(lifecycle ? { lifecycleStatus: lifecycle } : {}) });
  try {
    await updatePatient(scope, id, body, ctx.now);
  } catch (error) {
    if (error instanceof AppError && error.status === 404) throw fhirError(404, 'not-found', `Patient/${id} was not found; this server assigns ids, so create it with POST.`);
    throw asUnprocessable(error);
  }
  return (await readPatient(scope, id))!;
}

const nameModifiers = ['exact', 'contains'] as const;

export const PATIENT_SEARCH_PARAMS: readonly SearchParamDef[] = [
  ID_PARAM,
  LAST_UPDATED_PARAM,
  { name: 'name', type: 'string', documentation: 'Any part of a name (family, given, preferred): starts with, ignoring case and accents', modifiers: nameModifiers },
  { name: 'family', type: 'string', documentation: 'A part of the family name: starts with, ignoring case and accents', modifiers: nameModifiers },
  { name: 'given', type: 'string', documentation: 'A part of the given name: starts with, ignoring case and accents', modifiers: nameModifiers },
  { name: 'birthdate', type: 'date', documentation: 'Date of birth, with the prefixes eq, ne, gt, lt, ge, le, sa, eb' },
  { name: 'gender', type: 'token', documentation: 'male | female | other | unknown' },
  { name: 'identifier', type: 'token', documentation: `An identifier, system|value or value; the MRN has the system ${MRN_SYSTEM}` },
  { name: 'phone', type: 'token', documentation: 'A phone number, in any format; matches the number or its last 7 or 4 digits' },
  { name: 'email', type: 'token', documentation: 'An email address, ignoring case' },
  { name: 'telecom', type: 'token', documentation: 'A phone number or email address, optionally as phone|value or email|value' },
  { name: 'active', type: 'token', documentation: 'true or false' },
];

export const patientModule: ResourceModule<Patient> = {
  type: 'Patient',
  documentation: 'Patients of the clinic (patient, patient_identifier and patient_contact_point). Search leaves out archived and merged records; a merged record reads with link replaced-by.',
  interactions: ['read', 'search-type', 'create', 'update'],
  searchParams: PATIENT_SEARCH_PARAMS,
  sorts: ['_id', '_lastUpdated', 'family', 'given', 'birthdate'],
  versioned: true,
  conditionalCreate: true,
  read: (scope, id) => readPatient(scope, id),
  async search(scope, request) {
    const rows = await searchPatients(scope, request);
    return rows.map(patientToFhir);
  },
  create: createPatient,
  update: replacePatient,
};

