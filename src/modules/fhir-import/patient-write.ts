import type { Patient } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import { AppError } from '../../server/errors.ts';
import { changesNothing } from '../import/body.ts';
import { duplicateCheck } from '../patients/duplicate-check.ts';
import { normalizeEmail, toE164 } from '../patients/normalize.ts';
import { loadPatientRecord } from '../patients/record.ts';
import { patientUpdateBody, type NewPatientBody } from '../patients/schema.ts';
import { registerPatient, updatePatient } from '../patients/service.ts';
import { validatePatientWrite } from '../patients/validate.ts';
import { externalId, livePatient, refKey, type ImportContext } from './context.ts';
import { matchingIdentifiers, patientInputFromFhir } from './patient.ts';
import { writeRefs } from './table-phase.ts';
import type { EntryResult, ImportEntry } from './types.ts';
import { contentHash } from './values.ts';

/**
 * Patient entries, one at a time through the patients service (validation, history, duplicate
 * detection, audit), each in a savepoint so a refused one leaves no trace. Who the patient is, in
 * order: the patient this resource id was imported as before (external_ref); a patient holding one
 * of its identifiers or its MRN; a clear match by the duplicates module's score. Any of those is
 * updated; otherwise a new patient is registered, and likely (medium-score) matches go to the
 * duplicate review queue, as the CSV import does.
 */
export async function importPatients(ctx: ImportContext, entries: ImportEntry[]): Promise<void> {
  const refs: Parameters<typeof writeRefs>[1] = [];
  for (const entry of entries) {
    const id = externalId(entry);
    const hash = contentHash(entry.resource);
    const known = id ? ctx.refs.get(refKey(ctx.options.system, 'Patient', id)) : undefined;
    const knownLive = known ? await livePatient(ctx, known.entityId) : null;
    let result: Omit<EntryResult, 'entry' | 'type'>;
    if (known && knownLive && known.hash === hash) {
      result = { outcome: 'unchanged', entityId: knownLive };
    } else {
      await sql`savepoint fhir_patient`.execute(ctx.scope.tx);
      try {
        result = await importPatient(ctx, entry.resource as Patient, knownLive);
        await sql`release savepoint fhir_patient`.execute(ctx.scope.tx);
      } catch (error) {
        await sql`rollback to savepoint fhir_patient`.execute(ctx.scope.tx);
        const reason = refusal(error);
        if (!reason) throw error;
        result = { outcome: 'failed', reason };
      }
    }
    ctx.results.set(entry, { entry, type: 'Patient', ...result });
    if (result.entityId && id && (known?.entityId !== result.entityId || known.hash !== hash)) {
      ctx.refs.set(refKey(ctx.options.system, 'Patient', id), { entityId: result.entityId, hash });
      refs.push({ system: ctx.options.system, type: 'Patient', id, entityId: result.entityId, hash });
    }
  }
  await writeRefs(ctx, refs);
}

type PatientResult = Omit<EntryResult, 'entry' | 'type'>;

async function importPatient(ctx: ImportContext, resource: Patient, knownId: string | null): Promise<PatientResult> {
  const mapped = patientInputFromFhir(resource);
  if (!mapped.ok) return { outcome: 'failed', reason: mapped.problems.map((p) => `${p.path} ${p.message}`).join('; ') };
  const input = mapped.input;
  const byIdentifier = knownId ? null : await patientByIdentifiers(ctx, resource);
  if (byIdentifier && 'conflict' in byIdentifier) return { outcome: 'failed', reason: byIdentifier.conflict };
  const existingId = knownId ?? byIdentifier?.patientId ?? null;
  if (existingId) return updateFromFhir(ctx, existingId, input);

  const check = duplicateCheck('import');
  const write = await validatePatientWrite(ctx.scope, input, 'create');
  const matches = await check.find(ctx.scope, write);
  const clear = matches.find((m) => m.level === 'clear');
  if (clear) {
    const survivor = await livePatient(ctx, clear.patientId);
    if (survivor) return updateFromFhir(ctx, survivor, input);
  }
  const created = await registerPatient(
    ctx.scope,
    { ...input, confirmNotDuplicate: true },
    { now: ctx.options.now, findDuplicates: { find: async () => matches, record: check.record } },
  );
  return { outcome: 'created', entityId: created.patient.id, sentToReview: created.possibleDuplicates.length > 0 };
}

/** The live patient holding one of the resource's identifiers (or its MRN as their MRN); a conflict when two do. */
async function patientByIdentifiers(ctx: ImportContext, resource: Patient): Promise<{ patientId: string } | { conflict: string } | null> {
  const { identifiers, mrns } = matchingIdentifiers(resource);
  const tx = ctx.scope.tx;
  const byIdentifier = identifiers.length
    ? await tx
        .selectFrom('patient_identifier')
        .select(['patient_id', 'system', 'value'])
        .where((eb) => eb.or(identifiers.map((i) => eb.and([eb('system', '=', i.system), eb('value', '=', i.value)]))))
        .execute()
    : [];
  const byMrn = mrns.length ? await tx.selectFrom('patient').select('id as patient_id').where('mrn', 'in', mrns).execute() : [];
  const live = new Set<string>();
  for (const hit of [...byIdentifier, ...byMrn]) {
    const id = await livePatient(ctx, hit.patient_id);
    if (id) live.add(id);
  }
  if (live.size > 1) return { conflict: 'Patient.identifier: its identifiers belong to different patients in Rapport; merge them first or fix the identifiers' };
  const [patientId] = live;
  return patientId ? { patientId } : null;
}

/**
 * Brings an existing patient up to the resource: its names, birth date, sex, language, address;
 * its phones, emails and identifiers come first and the patient's others stay (the clinic may have
 * added them). Deceased is set, never unset.
 */
async function updateFromFhir(ctx: ImportContext, patientId: string, input: NewPatientBody): Promise<PatientResult> {
  const existing = (await loadPatientRecord(ctx.scope, patientId, ctx.options.now))!;
  const body: Record<string, unknown> = {
    givenName: input.givenName,
    familyName: input.familyName,
    ...(input.preferredName ? { preferredName: input.preferredName } : {}),
    ...(input.birthDate ? { birthDate: input.birthDate } : {}),
    ...(input.sex ? { sex: input.sex } : {}),
    ...(input.language ? { language: input.language } : {}),
    ...(input.lifecycleStatus === 'deceased' && existing.lifecycleStatus !== 'deceased' ? { lifecycleStatus: 'deceased' } : {}),
  };
  const phones = addToList(input.phones ?? [], existing.phones, (c) => toE164(c.value) ?? c.value);
  if (phones) body.phones = phones;
  const emails = addToList(input.emails ?? [], existing.emails, (c) => normalizeEmail(c.value) ?? c.value);
  if (emails) body.emails = emails;
  const identifiers = addToList(input.identifiers ?? [], existing.identifiers, (i) => `${i.system}|${i.value}`);
  if (identifiers) body.identifiers = identifiers;
  if (input.address) body.address = { ...existing.address, ...input.address };
  const checked = patientUpdateBody.safeParse(body);
  if (!checked.success) return { outcome: 'failed', reason: checked.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ') };
  const parsed = checked.data;
  if (changesNothing(parsed, existing)) return { outcome: 'unchanged', entityId: patientId };
  const after = await updatePatient(ctx.scope, patientId, parsed, ctx.options.now);
  return { outcome: after.version === existing.version ? 'unchanged' : 'updated', entityId: patientId };
}

function addToList<T>(incoming: readonly T[], existing: readonly T[], key: (item: T) => string): T[] | undefined {
  const have = new Set(existing.map(key));
  if (incoming.every((item) => have.has(key(item)))) return undefined;
  const incomingKeys = new Set(incoming.map(key));
  return [...incoming, ...existing.filter((item) => !incomingKeys.has(key(item)))];
}

/** Why the service or the database refused the patient, or undefined when the error is not the entry's fault. */
function refusal(error: unknown): string | undefined {
  if (error instanceof AppError) {
    if (error.status >= 500) return undefined;
    return error.fields?.length ? error.fields.map((f) => `${f.path} ${f.message}`).join('; ') : error.message;
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^2[23]/.test(code)) return 'could not be stored: the database refused one of its values';
  return undefined;
}
