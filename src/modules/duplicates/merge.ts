import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { badRequest, conflict } from '../../server/errors.ts';
import {
  changedFields,
  checkChoices,
  contactsToKeep,
  fieldValue,
  MERGE_FIELDS,
  resolveChoices,
  type KeptContact,
  type MergeableField,
  type MergeChoices,
  type PatientJson,
} from './merge-fields.ts';
import { moveReferences } from './merge-links.ts';
import { actorUserId, auditedRefusal, loadMerge, lockPair, writeChanges, writeTimeline, type MergeLedger, type MergeRecord } from './merge-record.ts';
import { orderedPair } from './match-data.ts';
import { PREVIOUS_MRN_SYSTEM } from './score.ts';
import { emitWebhookEvent } from '../webhooks/events.ts';

/**
 * Merging two records of one person. The survivor takes the values staff chose, everything that
 * pointed at the merged record moves to it (PATIENT_REFERENCES), and the merged record is archived
 * with merged_into_id set. patient_merge keeps both rows as they were (taken by SQL, so the values
 * are exact), the choices and a ledger of every change, which undoMerge (undo.ts) reverses. All of
 * it happens in the scope's one transaction; database time (now()) stamps every row it writes.
 */

export type MergeInput = {
  survivorId: string;
  mergedId: string;
  choices: MergeChoices;
  expectedVersions?: { survivor: number; merged: number };
};

function refuseUnmergeable(survivor: PatientJson, merged: PatientJson, expected: MergeInput['expectedVersions']): void {
  for (const [row, label] of [[survivor, 'surviving'], [merged, 'merged']] as const) {
    if (row.merged_into_id) throw conflict(`The ${label} record was already merged into another patient.`);
    if (row.archived_at) throw conflict(`The ${label} record is archived; restore it before merging.`);
  }
  if (!expected) return;
  for (const [row, label, version] of [[survivor, 'surviving', expected.survivor], [merged, 'merged', expected.merged]] as const) {
    if (row.version !== version) {
      throw conflict(`The ${label} record has changed since you looked (version ${version}, now ${String(row.version)}); reload both records and choose again.`);
    }
  }
}

/** Gives the survivor the chosen values (straight from the merged row kept in patient_merge) and a new version. */
async function applyChosenValues(scope: TenantScope, mergeId: string, survivorId: string, fields: MergeableField[]): Promise<void> {
  const columns = fields.flatMap((f) => [...MERGE_FIELDS[f]]);
  await sql`
    update patient s set (${sql.join([...columns, 'version', 'updated_at'].map((c) => sql.ref(c)))}) =
      (select ${sql.join([...columns.map((c) => sql.ref(`r.${c}`)), sql`s.version + 1`, sql`now()`])}
         from patient_merge pm, jsonb_populate_record(null::patient, pm.merged_before) r where pm.id = ${mergeId})
     where s.id = ${survivorId}`.execute(scope.tx);
}

/** Keeps what the choices would otherwise drop: the losing phone/email, and the survivor's MRN when it gives way. */
async function keepLosingValues(scope: TenantScope, survivorId: string, contacts: KeptContact[], previousMrn: string | null): Promise<MergeLedger['added']> {
  const added: MergeLedger['added'] = [];
  for (const c of contacts) {
    const row = await scope.tx
      .insertInto('patient_contact_point')
      .values({ tenant_id: scope.tenantId, patient_id: survivorId, system: c.system, value: c.value, use: c.use as 'other', rank: 9 })
      .returning('id')
      .executeTakeFirstOrThrow();
    added.push({ table: 'patient_contact_point', id: row.id, system: c.system, value: c.value });
  }
  if (previousMrn) {
    const row = await scope.tx
      .insertInto('patient_identifier')
      .values({ tenant_id: scope.tenantId, patient_id: survivorId, system: PREVIOUS_MRN_SYSTEM, value: previousMrn })
      .returning('id')
      .executeTakeFirstOrThrow();
    added.push({ table: 'patient_identifier', id: row.id, system: PREVIOUS_MRN_SYSTEM, value: previousMrn });
  }
  return added;
}

/** Marks the pair's review-queue row merged; returns it as it was (null when the pair was never queued). */
async function resolveCandidate(scope: TenantScope, survivorId: string, mergedId: string): Promise<Record<string, unknown> | null> {
  const [a, b] = orderedPair(survivorId, mergedId);
  const { rows } = await sql<{ row: Record<string, unknown> }>`
    select to_jsonb(c) as row from duplicate_candidate c where c.patient_a = ${a} and c.patient_b = ${b} for update`.execute(scope.tx);
  if (!rows[0]) return null;
  await scope.tx
    .updateTable('duplicate_candidate')
    .set({ status: 'merged', resolved_at: sql`now()`, resolved_by: actorUserId(scope) })
    .where('id', '=', rows[0].row.id as string)
    .execute();
  return rows[0].row;
}

/**
 * Merges `mergedId` into `survivorId`. Refuses a record merged into itself (400), a patient this
 * tenant does not have (404), an archived or already merged one and a stale expected version (409).
 */
export async function mergePatients(scope: TenantScope, input: MergeInput): Promise<MergeRecord> {
  checkChoices(input.choices);
  const survivorId = input.survivorId.toLowerCase();
  const mergedId = input.mergedId.toLowerCase();
  if (survivorId === mergedId) {
    throw badRequest('A record cannot be merged into itself: survivorId and mergedId name the same patient.', [
      { path: 'mergedId', message: 'is the same patient as survivorId' },
    ]);
  }
  const { survivor, merged } = await lockPair(scope, survivorId, mergedId, 'patient.merge');
  await auditedRefusal(scope, 'patient.merge', [survivorId, mergedId], () => refuseUnmergeable(survivor, merged, input.expectedVersions));
  const chosen = resolveChoices(input.choices, survivor, merged);
  const changed = changedFields(chosen, survivor, merged);

  const { id: mergeId } = await sql<{ id: string }>`
    insert into patient_merge (tenant_id, survivor_id, merged_id, chosen, survivor_before, merged_before, moved, merged_by)
    select ${scope.tenantId}, ${survivorId}, ${mergedId}, ${JSON.stringify(chosen)}::jsonb,
           (select to_jsonb(p) from patient p where p.id = ${survivorId}),
           (select to_jsonb(p) from patient p where p.id = ${mergedId}), '{}'::jsonb, ${actorUserId(scope)}
    returning id`.execute(scope.tx).then((r) => r.rows[0]!);

  const existingContacts = await scope.tx.selectFrom('patient_contact_point').select(['system', 'value']).where('patient_id', 'in', [survivorId, mergedId]).execute();
  const releasedMrn = changed.includes('mrn') && merged.mrn !== null;
  // The MRN is unique in the tenant: the merged record lets go of it before the survivor takes it.
  if (releasedMrn) await scope.tx.updateTable('patient').set({ mrn: null }).where('id', '=', mergedId).execute();
  await applyChosenValues(scope, mergeId, survivorId, changed);
  const previousMrn = changed.includes('mrn') && typeof survivor.mrn === 'string' ? survivor.mrn : null;
  const added = await keepLosingValues(scope, survivorId, contactsToKeep(chosen, survivor, merged, existingContacts), previousMrn);
  const { moved, stayed } = await moveReferences(scope, survivorId, mergedId);
  await scope.tx
    .updateTable('patient')
    .set({ archived_at: sql`now()`, merged_into_id: survivorId, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', mergedId)
    .execute();
  const candidate = await resolveCandidate(scope, survivorId, mergedId);
  const versions = await scope.tx.selectFrom('patient').select(['id', 'version']).where('id', 'in', [survivorId, mergedId]).execute();
  const ledger: MergeLedger = {
    changedFields: changed,
    moved,
    stayed,
    added,
    releasedMrn,
    candidate,
    after: {
      survivorVersion: versions.find((v) => v.id === survivorId)!.version,
      mergedVersion: versions.find((v) => v.id === mergedId)!.version,
    },
  };
  await scope.tx.updateTable('patient_merge').set({ moved: JSON.stringify(ledger) }).where('id', '=', mergeId).execute();

  await writeChanges(scope, survivorId, changed.map((f) => ({ field: f, from: fieldValue(survivor, f), to: fieldValue(merged, f) })));
  await writeChanges(scope, mergedId, [
    { field: 'archived', from: false, to: true },
    { field: 'mergedIntoId', from: null, to: survivorId },
    ...(releasedMrn ? [{ field: 'mrn', from: merged.mrn, to: null }] : []),
  ]);
  const detail = { mergeId, survivorId, mergedId, changedFields: changed, movedRows: moved.length };
  await writeTimeline(scope, survivorId, 'patient.merged', 'Merged a duplicate record into this one', mergeId, detail);
  for (const patientId of [survivorId, mergedId]) {
    await scope.audit({ action: 'patient.merge', entityType: 'patient_merge', entityId: mergeId, patientId, detail });
  }
  await emitWebhookEvent(scope, { type: 'patient.merged', data: { mergeId, survivorId, mergedId }, occurredAt: (await sql<{ now: Date }>`select now() as now`.execute(scope.tx)).rows[0]!.now });
  return loadMerge(scope, mergeId);
}

export { undoMerge } from './undo.ts';
export { getMerge } from './merge-record.ts';
export type { MergeRecord } from './merge-record.ts';
