import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { conflict, notFound } from '../../server/errors.ts';
import { orderedPair } from './match-data.ts';
import { fieldValue, MERGE_FIELDS, type PatientJson } from './merge-fields.ts';
import { restoreReferences } from './merge-links.ts';
import { actorUserId, auditedRefusal, loadMerge, lockPair, writeChanges, writeTimeline, type MergeLedger, type MergeRecord } from './merge-record.ts';
import { isUuid } from '../../shared/ids.ts';

/**
 * Undoing a merge restores both records and their links as they were: the survivor's merged fields
 * and the merged record's archive state and MRN come back from the rows patient_merge kept, every
 * moved row points at the merged record again, and what the merge added to the survivor is removed.
 * Only version (bumped: a version number is never reused) and updated_at (the time of the undo) differ
 * from before the merge. What happened to the survivor since the merge and that the merge did not do
 * stays: a new appointment, a field the merge did not change. Undo is refused (409) when it would
 * silently overwrite or lose later work: a field the merge set was changed again, a moved row was
 * deleted or moved elsewhere, the merged record was changed, or the survivor was merged or archived.
 */


type MergeRow = {
  id: string;
  survivor_id: string;
  merged_id: string;
  undone_at: Date | null;
  moved: MergeLedger;
  survivor_before: PatientJson;
  merged_before: PatientJson;
};

function refuseUnsafeUndo(merge: MergeRow, survivor: PatientJson, merged: PatientJson): void {
  if (merge.undone_at) throw conflict('This merge has already been undone.');
  if (survivor.merged_into_id) {
    throw conflict('The surviving record has since been merged into another patient; undo that merge first.');
  }
  if (survivor.archived_at) throw conflict('The surviving record has been archived since the merge; restore it first.');
  const ledger = merge.moved;
  if (merged.merged_into_id !== merge.survivor_id || merged.version !== ledger.after.mergedVersion) {
    throw conflict('The merged record was changed after the merge, so it cannot be restored as it was.');
  }
  const overwritten = ledger.changedFields.filter((f) => !isDeepStrictEqual(fieldValue(survivor, f), fieldValue(merge.merged_before, f)));
  if (overwritten.length) {
    throw conflict(
      `This merge cannot be undone: ${overwritten.join(', ')} changed on the surviving record after the merge, and undoing would overwrite that. Change ${overwritten.length > 1 ? 'them' : 'it'} back first.`,
    );
  }
}

/** Puts columns of a patient back as patient_merge kept them (`before` is 'survivor_before' or 'merged_before'). */
async function restoreColumns(scope: TenantScope, mergeId: string, patientId: string, before: 'survivor_before' | 'merged_before', columns: string[]): Promise<void> {
  await sql`
    update patient p set (${sql.join([...columns, 'version', 'updated_at'].map((c) => sql.ref(c)))}) =
      (select ${sql.join([...columns.map((c) => sql.ref(`r.${c}`)), sql`p.version + 1`, sql`now()`])}
         from patient_merge pm, jsonb_populate_record(null::patient, ${sql.ref(`pm.${before}`)}) r where pm.id = ${mergeId})
     where p.id = ${patientId}`.execute(scope.tx);
}

async function removeAdded(scope: TenantScope, survivorId: string, added: MergeLedger['added']): Promise<void> {
  for (const a of added) {
    // By id; or, if an edit since replaced the row with an equal one, by what it holds.
    const byId = await scope.tx.deleteFrom(a.table).where('id', '=', a.id).where('patient_id', '=', survivorId).executeTakeFirst();
    if (Number(byId.numDeletedRows) > 0) continue;
    await scope.tx
      .deleteFrom(a.table)
      .where('patient_id', '=', survivorId)
      .where('system', '=', a.system as 'phone')
      .where('value', '=', a.value)
      .execute();
  }
}

async function restoreCandidate(scope: TenantScope, mergeId: string, candidate: Record<string, unknown> | null, survivorId: string, mergedId: string): Promise<void> {
  if (!candidate) return;
  const [a, b] = orderedPair(survivorId, mergedId);
  await sql`
    update duplicate_candidate c set (status, resolved_at, resolved_by) =
      (select r.status, r.resolved_at, r.resolved_by
         from patient_merge pm, jsonb_populate_record(null::duplicate_candidate, pm.moved->'candidate') r where pm.id = ${mergeId})
     where c.patient_a = ${a} and c.patient_b = ${b}`.execute(scope.tx);
}

/** Undoes a merge (see the top of this file for what that restores and when it is refused). */
export async function undoMerge(scope: TenantScope, mergeId: string): Promise<MergeRecord> {
  const row = isUuid(mergeId)
    ? await sql<MergeRow>`
        select id, survivor_id, merged_id, undone_at, moved, survivor_before, merged_before from patient_merge where id = ${mergeId} for update`
        .execute(scope.tx)
        .then((r) => r.rows[0])
    : undefined;
  if (!row) {
    await scope.audit({ action: 'patient.merge_undo', entityType: 'patient_merge', entityId: mergeId, outcome: 'failure', detail: { reason: 'not_found' } });
    throw notFound('Merge');
  }
  const { survivor_id: survivorId, merged_id: mergedId, moved: ledger } = row;
  const { survivor, merged } = await lockPair(scope, survivorId, mergedId, 'patient.merge_undo');
  await auditedRefusal(scope, 'patient.merge_undo', [survivorId, mergedId], () => refuseUnsafeUndo(row, survivor, merged));

  try {
    await restoreReferences(scope, ledger.moved, survivorId, mergedId);
    await removeAdded(scope, survivorId, ledger.added);
    await restoreColumns(scope, row.id, survivorId, 'survivor_before', ledger.changedFields.flatMap((f) => [...MERGE_FIELDS[f]]));
    await restoreColumns(scope, row.id, mergedId, 'merged_before', ['archived_at', 'merged_into_id', ...(ledger.releasedMrn ? ['mrn'] : [])]);
  } catch (error) {
    if ((error as { code?: unknown }).code === '23505') {
      throw conflict('This merge cannot be undone: a record created since the merge now holds a value (an MRN, an identifier, a tag) the restored records need.');
    }
    throw error;
  }
  await restoreCandidate(scope, row.id, ledger.candidate, survivorId, mergedId);
  await scope.tx.updateTable('patient_merge').set({ undone_at: sql`now()`, undone_by: actorUserId(scope) }).where('id', '=', row.id).execute();

  const before = row.merged_before;
  await writeChanges(scope, survivorId, ledger.changedFields.map((f) => ({ field: f, from: fieldValue(before, f), to: fieldValue(row.survivor_before, f) })));
  await writeChanges(scope, mergedId, [
    { field: 'archived', from: true, to: false },
    { field: 'mergedIntoId', from: survivorId, to: null },
    ...(ledger.releasedMrn ? [{ field: 'mrn', from: null, to: before.mrn }] : []),
  ]);
  const detail = { mergeId: row.id, survivorId, mergedId, restoredFields: ledger.changedFields, movedBack: ledger.moved.length };
  await writeTimeline(scope, survivorId, 'patient.merge_undone', 'Undid the merge of a duplicate record into this one', row.id, detail);
  await writeTimeline(scope, mergedId, 'patient.merge_undone', 'Restored this record from a merge', row.id, detail);
  for (const patientId of [survivorId, mergedId]) {
    await scope.audit({ action: 'patient.merge_undo', entityType: 'patient_merge', entityId: row.id, patientId, detail });
  }
  return loadMerge(scope, row.id);
}
