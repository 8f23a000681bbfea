import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { notFound } from '../../server/errors.ts';
import type { MergeableField, PatientJson, ResolvedChoices } from './merge-fields.ts';
import type { MovedRow, StayedRow } from './merge-links.ts';
import { PREVIOUS_MRN_SYSTEM } from './score.ts';
import { isUuid } from '../../shared/ids.ts';

/** What merging and undoing share: the merge's stored shape, locking the pair, history and timeline writes. */

/** What a merge did, beyond the two rows kept as they were; stored in patient_merge.moved. */
export type MergeLedger = {
  changedFields: MergeableField[];
  moved: MovedRow[];
  stayed: StayedRow[];
  /** Rows the merge created on the survivor (contact values and an MRN that would otherwise be lost). */
  added: Array<{ table: 'patient_contact_point' | 'patient_identifier'; id: string; system: string; value: string }>;
  releasedMrn: boolean;
  /** The pair's review-queue row as it was, restored by undo. */
  candidate: Record<string, unknown> | null;
  after: { survivorVersion: number; mergedVersion: number };
};

export type MergeRecord = {
  id: string;
  survivorId: string;
  mergedId: string;
  chosen: ResolvedChoices;
  changedFields: MergeableField[];
  moved: Array<{ table: string; column: string; rows: number }>;
  stayed: Array<{ table: string; column: string; rows: number; reason: string }>;
  added: Array<{ system: string; value: string }>;
  mergedAt: string;
  mergedBy: string | null;
  undoneAt: string | null;
  undoneBy: string | null;
};

export const actorUserId = (scope: TenantScope) => (scope.actor.type === 'api_token' ? scope.actor.userId : scope.actor.id);

/** Both patients as to_jsonb rows, locked for the rest of the transaction; 404 for either missing. */
export async function lockPair(
  scope: TenantScope,
  survivorId: string,
  mergedId: string,
  action: string,
): Promise<{ survivor: PatientJson; merged: PatientJson }> {
  const ids = [survivorId, mergedId].filter((id) => isUuid(id));
  const { rows } = ids.length
    ? await sql<{ row: PatientJson }>`
        select to_jsonb(p) as row from patient p where p.id in (${sql.join(ids)}) order by p.id for update`.execute(scope.tx)
    : { rows: [] };
  const byId = new Map(rows.map((r) => [r.row.id as string, r.row]));
  for (const [id, label] of [[survivorId, 'The surviving patient'], [mergedId, 'The patient to merge']] as const) {
    if (!byId.has(id)) {
      await scope.audit({ action, entityType: 'patient', entityId: id, outcome: 'failure', detail: { reason: 'not_found' } });
      throw notFound(label);
    }
  }
  return { survivor: byId.get(survivorId)!, merged: byId.get(mergedId)! };
}

/**
 * Runs a check that may refuse the merge or undo; a refusal is audited for both patients (the
 * record survives the rollback: withTenant writes refusals again on their own) and rethrown.
 */
export async function auditedRefusal(scope: TenantScope, action: string, patientIds: string[], check: () => void): Promise<void> {
  try {
    check();
  } catch (error) {
    for (const patientId of patientIds) {
      await scope.audit({ action, entityType: 'patient', entityId: patientId, patientId, outcome: 'failure', detail: { reason: (error as Error).message } });
    }
    throw error;
  }
}

/** Writes one change set of field changes to a patient's history. */
export async function writeChanges(scope: TenantScope, patientId: string, changes: Array<{ field: string; from: unknown; to: unknown }>): Promise<void> {
  if (changes.length === 0) return;
  const changeSet = randomUUID();
  await scope.tx
    .insertInto('patient_change')
    .values(
      changes.map((c) => ({
        tenant_id: scope.tenantId,
        patient_id: patientId,
        change_set: changeSet,
        actor_type: scope.actor.type,
        actor_id: actorUserId(scope),
        field: c.field,
        old_value: JSON.stringify(c.from ?? null),
        new_value: JSON.stringify(c.to ?? null),
      })),
    )
    .execute();
}

/** Adds a timeline event stamped with the transaction's time. */
export async function writeTimeline(scope: TenantScope, patientId: string, kind: string, summary: string, mergeId: string, detail: Record<string, unknown>): Promise<void> {
  await sql`
    insert into timeline_event (tenant_id, patient_id, occurred_at, kind, summary, detail, actor_type, actor_id, subject_type, subject_id)
    values (${scope.tenantId}, ${patientId}, now(), ${kind}, ${summary}, ${JSON.stringify(detail)}::jsonb,
            ${scope.actor.type}, ${actorUserId(scope)}, 'patient_merge', ${mergeId})`.execute(scope.tx);
}

/** A merge as the API presents it, or 404. */
export async function loadMerge(scope: TenantScope, mergeId: string): Promise<MergeRecord> {
  const row = isUuid(mergeId) ? await scope.tx.selectFrom('patient_merge').selectAll().where('id', '=', mergeId).executeTakeFirst() : undefined;
  if (!row) throw notFound('Merge');
  const ledger = row.moved as MergeLedger;
  const count = <T extends MovedRow>(rows: T[], extra: (r: T) => Record<string, string> = () => ({})) => {
    const groups = new Map<string, { table: string; column: string; rows: number } & Record<string, unknown>>();
    for (const r of rows) {
      const k = JSON.stringify([r.table, r.column, extra(r)]);
      groups.set(k, { table: r.table, column: r.column, ...extra(r), rows: (groups.get(k)?.rows ?? 0) + 1 });
    }
    return [...groups.values()];
  };
  return {
    id: row.id,
    survivorId: row.survivor_id,
    mergedId: row.merged_id,
    chosen: row.chosen as ResolvedChoices,
    changedFields: ledger.changedFields,
    moved: count(ledger.moved),
    stayed: count(ledger.stayed, (r) => ({ reason: r.reason })) as MergeRecord['stayed'],
    added: ledger.added.map(({ system, value }) => ({ system: system === PREVIOUS_MRN_SYSTEM ? 'mrn' : system, value })),
    mergedAt: new Date(row.merged_at).toISOString(),
    mergedBy: row.merged_by,
    undoneAt: row.undone_at ? new Date(row.undone_at).toISOString() : null,
    undoneBy: row.undone_by,
  };
}

/** Reads one merge and audits the read for both patients. */
export async function getMerge(scope: TenantScope, mergeId: string): Promise<MergeRecord> {
  const merge = await loadMerge(scope, mergeId);
  for (const patientId of [merge.survivorId, merge.mergedId]) {
    await scope.audit({ action: 'patient.merge.read', entityType: 'patient_merge', entityId: merge.id, patientId });
  }
  return merge;
}
