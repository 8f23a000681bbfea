import type { TenantScope } from '../../server/db/scope.ts';
import { PREVIOUS_MRN_SYSTEM } from '../duplicates/score.ts';
import { problemAt, type RowDraft, type RowProblem } from './row.ts';

/**
 * Finding the patient a row is about, by its MRN or an identifier: what makes an import safe to run
 * again. A merged-away record leads to the record it was merged into; an MRN a merge replaced
 * (kept as identifier urn:rapport:previous-mrn) leads to the survivor.
 */

export type RowMatch =
  | { kind: 'none' }
  | { kind: 'patient'; patientId: string; keepMrn: boolean }
  | { kind: 'conflict'; problem: RowProblem };

type Hit = { patientId: string; path: string; redirected: boolean };

/** The live record `id` ended up in, following merges. */
async function liveRecord(scope: TenantScope, id: string): Promise<{ id: string; redirected: boolean }> {
  let current = id;
  for (let hop = 0; hop < 20; hop++) {
    const row = await scope.tx.selectFrom('patient').select('merged_into_id').where('id', '=', current).executeTakeFirst();
    if (!row?.merged_into_id) return { id: current, redirected: hop > 0 };
    current = row.merged_into_id;
  }
  return { id: current, redirected: true };
}

async function mrnHits(scope: TenantScope, mrn: string): Promise<Hit[]> {
  const byMrn = await scope.tx.selectFrom('patient').select('id').where('mrn', '=', mrn).execute();
  const previous = byMrn.length
    ? []
    : await scope.tx
        .selectFrom('patient_identifier')
        .select('patient_id as id')
        .where('system', '=', PREVIOUS_MRN_SYSTEM)
        .where('value', '=', mrn)
        .execute();
  return [
    ...byMrn.map((r) => ({ patientId: r.id, path: 'mrn', redirected: false })),
    ...previous.map((r) => ({ patientId: r.id, path: 'mrn', redirected: true })),
  ];
}

async function identifierHits(scope: TenantScope, identifiers: RowDraft['identifiers']): Promise<Hit[]> {
  if (identifiers.length === 0) return [];
  const rows = await scope.tx
    .selectFrom('patient_identifier')
    .select(['patient_id', 'system', 'value'])
    .where((eb) => eb.or(identifiers.map((i) => eb.and([eb('system', '=', i.system), eb('value', '=', i.value)]))))
    .execute();
  return rows.map((r) => ({
    patientId: r.patient_id,
    path: `identifiers.${identifiers.findIndex((i) => i.system === r.system && i.value === r.value)}`,
    redirected: false,
  }));
}

/**
 * The existing patient the row's MRN and identifiers point to; none when they point nowhere; a
 * conflict when they point to different patients (the file and Rapport disagree on who is who).
 */
export async function matchRow(scope: TenantScope, draft: RowDraft): Promise<RowMatch> {
  const hits = [
    ...(draft.scalars.mrn ? await mrnHits(scope, draft.scalars.mrn) : []),
    ...(await identifierHits(scope, draft.identifiers)),
  ];
  if (hits.length === 0) return { kind: 'none' };
  const resolved = await Promise.all(
    hits.map(async (h) => {
      const live = await liveRecord(scope, h.patientId);
      return { ...h, patientId: live.id, redirected: h.redirected || live.redirected };
    }),
  );
  const first = resolved[0]!;
  const other = resolved.find((h) => h.patientId !== first.patientId);
  if (other) {
    return {
      kind: 'conflict',
      problem: problemAt(draft, other.path, `belongs to a different patient in Rapport than the ${first.path === 'mrn' ? 'MRN' : 'other identifier'} on this row`),
    };
  }
  const viaMrn = resolved.find((h) => h.path === 'mrn');
  return { kind: 'patient', patientId: first.patientId, keepMrn: !viaMrn?.redirected };
}
