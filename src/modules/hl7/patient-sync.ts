import { sql } from 'kysely';
import { duplicateCheck } from '../patients/duplicate-check.ts';
import type { NewPatientBody, PatientUpdateBody } from '../patients/schema.ts';
import { registerPatient, updatePatient } from '../patients/service.ts';
import { Hl7Error, warn, type HandlerContext } from './context.ts';
import { address, chooseName, identifier, languageTag, mapSex, parseDate, personName, telecom, type ExternalIdentifier, type Telecom } from './datatypes.ts';
import { component, repetitions, value, type Segment } from './parse.ts';

/**
 * The patient a PID segment names, found by its identifiers (PID-3, with assigning authority, kept
 * in patient_identifier) and created or brought up to date from the segment through the patient
 * service, so validation, history, the timeline and the audit log work as for any other write.
 */

/** Identifier types Rapport does not keep: a CRM has no use for social security or licence numbers. */
const NOT_KEPT = new Set(['SS', 'SSN', 'DL', 'PPN']);

/** PID-3's identifiers Rapport keeps. */
export function pidIdentifiers(ctx: HandlerContext, pid: Segment, field = 3): ExternalIdentifier[] {
  const ids = repetitions(pid, field)
    .map((rep) => identifier(rep, ctx.sender))
    .filter((id): id is ExternalIdentifier => id !== null);
  const kept = ids.filter((id) => !NOT_KEPT.has(id.type));
  if (kept.length < ids.length) ctx.warnings.push({ code: '0', severity: 'I', message: 'Identifiers of type SS, DL or PPN were not kept.', location: `PID^1^${field}` });
  return kept;
}

/** The surviving patient each identifier points at (following merges); refuses ids naming two patients. */
export async function findPatientByIdentifiers(ctx: HandlerContext, ids: ExternalIdentifier[], location: string): Promise<string | null> {
  if (!ids.length) return null;
  const { rows } = await sql<{ id: string }>`
    with recursive found as (
      select p.id, p.merged_into_id, 0 as depth from patient_identifier i join patient p on p.id = i.patient_id
       where (i.system, i.value) in (${sql.join(ids.map((i) => sql`(${i.system}, ${i.value})`))})
      union all
      select p.id, p.merged_into_id, f.depth + 1 from found f join patient p on p.id = f.merged_into_id where f.depth < 10
    )
    select distinct id from found where merged_into_id is null`.execute(ctx.scope.tx);
  if (rows.length > 1) {
    throw new Hl7Error('205', `The identifiers in ${location} belong to ${rows.length} different patients in Rapport; merge them first (ADT^A40) or correct the identifiers.`, location);
  }
  return rows[0]?.id ?? null;
}

type Demographics = Omit<PatientUpdateBody, 'version' | 'identifiers'>;

/** What PID says about the person; fields left empty say nothing, "" (HL7 null) clears. */
function demographics(ctx: HandlerContext, pid: Segment, source: 'adt' | 'siu'): Demographics {
  const out: Demographics = {};
  const names = repetitions(pid, 5).map(personName);
  const legal = chooseName(names);
  if (legal) {
    out.givenName = legal.given.slice(0, 100);
    out.familyName = legal.family.slice(0, 100);
  }
  const nickname = names.find((n) => n.type === 'N' && n.given);
  if (nickname) out.preferredName = nickname.given.slice(0, 100);

  const birth = value(pid, 7);
  if (birth === '""') out.birthDate = null;
  else if (birth) {
    const date = parseDate(birth);
    if (!date || date > ctx.now.toISOString().slice(0, 10) || date < '1880-01-01') warn(ctx, '102', `PID-7 birth date "${birth}" is not a plausible date; it was not applied.`, 'PID^1^7');
    else out.birthDate = date;
  }
  const sexCode = value(pid, 8);
  if (sexCode === '""') out.sex = null;
  else if (sexCode) {
    const sex = mapSex(sexCode);
    if (sex) out.sex = sex;
    else warn(ctx, '103', `PID-8 sex "${sexCode}" is not in table 0001; it was not applied.`, 'PID^1^8');
  }

  const addr = repetitions(pid, 11)[0];
  if (value(pid, 11) === '""') out.address = null;
  else if (addr) {
    const { address: a, unknownCountry } = address(addr);
    if (unknownCountry) warn(ctx, '103', `PID-11 country "${unknownCountry}" is not an ISO 3166 code; the address was kept without it.`, 'PID^1^11');
    if (a.line || a.city || a.postalCode) out.address = a;
  }

  const phones: Telecom[] = [];
  const emails: Telecom[] = [];
  for (const [field, use] of [[13, 'home'], [14, 'work'], [40, 'home']] as const) {
    for (const [i, rep] of repetitions(pid, field).entries()) {
      const t = telecom(rep, use);
      if (!t.telecom) {
        if (t.raw) warn(ctx, '102', `PID-${field} "${t.raw}" is not a valid phone number or email address; it was not applied.`, `PID^1^${field}^${i + 1}`);
        continue;
      }
      (t.telecom.kind === 'phone' ? phones : emails).push(t.telecom);
    }
  }
  if (phones.length) out.phones = phones.slice(0, 10).map((p) => ({ value: p.value, use: p.use }));
  if (emails.length) out.emails = emails.slice(0, 10).map((e) => ({ value: e.value, use: e.use }));

  const language = component(pid, 15, 1);
  if (language) {
    const tag = languageTag(language);
    if (tag) out.language = tag;
    else warn(ctx, '103', `PID-15 language "${language}" is not a language code; it was not applied.`, 'PID^1^15');
  }
  // Only the registration feed may say someone died: a scheduler's copy of PID is not the record.
  if (source === 'adt' && value(pid, 30).toUpperCase() === 'Y') out.lifecycleStatus = 'deceased';
  return out;
}

/** Keeps what the clinic already has: incoming contacts first, then the ones Rapport knew that the message left out. */
async function withKnownContacts(ctx: HandlerContext, patientId: string, d: Demographics): Promise<Demographics> {
  if (!d.phones && !d.emails) return d;
  const row = await ctx.scope.tx.selectFrom('patient').select(['phone', 'phone_use', 'email', 'email_use']).where('id', '=', patientId).executeTakeFirstOrThrow();
  const extra = await ctx.scope.tx.selectFrom('patient_contact_point').select(['system', 'value', 'use']).where('patient_id', '=', patientId).orderBy('rank').execute();
  const known = (system: 'phone' | 'email') => [
    ...(row[system] ? [{ value: row[system], use: row[`${system}_use`] }] : []),
    ...extra.filter((c) => c.system === system).map((c) => ({ value: c.value, use: c.use })),
  ];
  const merge = (incoming: Array<{ value: string; use?: 'home' | 'work' | 'mobile' | 'other' | undefined }> | undefined, system: 'phone' | 'email') => {
    if (!incoming) return undefined;
    const all = [...incoming];
    for (const k of known(system)) if (!all.some((c) => c.value === k.value)) all.push(k);
    return all.slice(0, 10);
  };
  return { ...d, ...(d.phones ? { phones: merge(d.phones, 'phone') } : {}), ...(d.emails ? { emails: merge(d.emails, 'email') } : {}) };
}

/**
 * Creates or updates the patient of a PID segment. A new patient who looks like one already
 * registered is still created (the sending system is the source of truth) and the likely
 * duplicates go to the review queue. ADT keeps the record up to date; a scheduler's PID (SIU)
 * only finds the patient, or registers one Rapport does not know yet.
 */
export async function upsertPatient(ctx: HandlerContext, pid: Segment, source: 'adt' | 'siu' = 'adt'): Promise<{ patientId: string; created: boolean }> {
  const ids = pidIdentifiers(ctx, pid);
  if (!ids.length) throw new Hl7Error('101', 'PID-3 (patient identifier list) is required and names no identifier Rapport can keep.', 'PID^1^3');
  const existing = await findPatientByIdentifiers(ctx, ids, 'PID-3');
  if (existing && source === 'siu') return { patientId: existing, created: false };
  const d = demographics(ctx, pid, source);
  if (!existing) {
    if (!d.givenName || !d.familyName) throw new Hl7Error('101', 'PID-5 (patient name) needs a family and a given name to register a new patient.', 'PID^1^5');
    const body: NewPatientBody = { ...(d as NewPatientBody), identifiers: ids.map(({ system, value: v }) => ({ system, value: v })), confirmNotDuplicate: true };
    const { patient } = await registerPatient(ctx.scope, body, { now: ctx.now, findDuplicates: duplicateCheck('import') });
    return { patientId: patient.id, created: true };
  }
  const have = await ctx.scope.tx.selectFrom('patient_identifier').select(['system', 'value']).where('patient_id', '=', existing).execute();
  const added = ids.filter((i) => !have.some((h) => h.system === i.system && h.value === i.value));
  const body: PatientUpdateBody = {
    ...(await withKnownContacts(ctx, existing, d)),
    ...(added.length ? { identifiers: [...have, ...added.map(({ system, value: v }) => ({ system, value: v }))].slice(0, 20) } : {}),
  };
  await updatePatient(ctx.scope, existing, body, ctx.now);
  return { patientId: existing, created: false };
}

/** The patient PID names, which must exist (no demographics applied): for messages about a known patient. */
export async function requirePatient(ctx: HandlerContext, pid: Segment): Promise<string> {
  const ids = pidIdentifiers(ctx, pid);
  if (!ids.length) throw new Hl7Error('101', 'PID-3 (patient identifier list) is required.', 'PID^1^3');
  const id = await findPatientByIdentifiers(ctx, ids, 'PID-3');
  if (!id) throw new Hl7Error('204', `No patient in Rapport has the identifier ${ids[0]!.value} (${ids[0]!.system}) of PID-3.`, 'PID^1^3');
  return id;
}
