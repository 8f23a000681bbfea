import { sql, type Kysely } from 'kysely';
import { withTenant, type Actor, type RequestOrigin, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { keysOfPatients, loadMatchRecords, orderedPair, patientsByKey } from './match-data.ts';
import { scorePair, type MatchLevel, type MatchReason, type MatchRecord } from './score.ts';
import { isUuid } from '../../shared/ids.ts';

/**
 * Finding likely duplicates: blocking in SQL (patients sharing a key in patient_match_key, migration
 * 0004: phonetic name keys, alone and with the birth year or birth day, the birth date with day and
 * month in either order, a phone, an email, the MRN or an identifier; a key more than 50 patients
 * share is ignored), then scoring each candidate in JS (score.ts). Archived and merged patients are
 * never candidates.
 */

/** A patient about to be created, imported or updated, as duplicate detection sees it. */
export type PatientDraft = {
  givenName: string;
  familyName: string;
  preferredName?: string | null;
  /** 'YYYY-MM-DD' */
  birthDate?: string | null;
  sex?: string | null;
  /** E.164 */
  phones: string[];
  emails: string[];
  addressLine?: string | null;
  postalCode?: string | null;
  mrn?: string | null;
  identifiers: Array<{ system: string; value: string }>;
};

export type DuplicateMatch = { patientId: string; score: number; level: MatchLevel; reasons: MatchReason[] };
export type DetectedBy = 'create' | 'update' | 'import' | 'scan';


/** The blocking keys of a draft, derived by the same SQL functions the triggers use for stored patients. */
async function keysOfDraft(scope: TenantScope, draft: PatientDraft): Promise<string[]> {
  const { rows } = await sql<{ key: string | null }>`
    select unnest(patient_match_keys(${draft.givenName}, ${draft.familyName}, ${draft.birthDate ?? null}::date,
                                     null, null, ${draft.mrn ?? null})) as key
    union select contact_match_key('phone', value) from json_array_elements_text(${JSON.stringify(draft.phones)}::json)
    union select contact_match_key('email', value) from json_array_elements_text(${JSON.stringify(draft.emails)}::json)
    union select identifier_match_key(x->>'system', x->>'value') from json_array_elements(${JSON.stringify(draft.identifiers)}::json) x`.execute(scope.tx);
  return rows.flatMap((r) => (r.key ? [r.key] : []));
}

const byScore = (x: { score: number; patientId: string }, y: { score: number; patientId: string }) =>
  y.score - x.score || (x.patientId < y.patientId ? -1 : 1);

/**
 * Patients who are likely the same person as `draft`, best first: only 'likely' and 'clear'
 * matches. `excludeId` leaves out the draft's own record (when checking an update). Each match
 * returned is audited as `patient.duplicate_check` with its patient id, since the caller is about
 * to show it.
 */
export async function findLikelyDuplicates(
  scope: TenantScope,
  draft: PatientDraft,
  options: { excludeId?: string } = {},
): Promise<DuplicateMatch[]> {
  const excludeId = options.excludeId && isUuid(options.excludeId) ? options.excludeId.toLowerCase() : null;
  const blocks = await patientsByKey(scope, await keysOfDraft(scope, draft));
  const ids = [...new Set([...blocks.values()].flat())].filter((id) => id !== excludeId);
  if (ids.length === 0) return [];
  const records = await loadMatchRecords(scope, ids, { liveOnly: true });
  const probe: MatchRecord = { ...draft };
  const matches = [...records]
    .map(([patientId, record]) => ({ patientId, ...scorePair(probe, record) }))
    .filter((m) => m.level !== 'none')
    .sort(byScore);
  for (const m of matches) {
    await scope.audit({
      action: 'patient.duplicate_check',
      entityType: 'patient',
      entityId: m.patientId,
      patientId: m.patientId,
      detail: { score: m.score, level: m.level },
    });
  }
  return matches;
}

type CandidateRow = { a: string; b: string; score: number; reasons: MatchReason[] };

/**
 * Upserts pairs into the review queue. A pair already there is rescored while open; a dismissed or
 * merged pair keeps its decision.
 */
async function upsertCandidates(scope: TenantScope, rows: CandidateRow[], detectedBy: DetectedBy): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await scope.tx
      .insertInto('duplicate_candidate')
      .values(
        rows.slice(i, i + 500).map((r) => ({
          tenant_id: scope.tenantId,
          patient_a: r.a,
          patient_b: r.b,
          score: r.score.toFixed(4),
          reasons: JSON.stringify(r.reasons),
          detected_by: detectedBy,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'patient_a', 'patient_b'])
          .doUpdateSet({
            score: (eb) => eb.ref('excluded.score'),
            reasons: (eb) => eb.ref('excluded.reasons'),
            detected_at: sql`now()`,
          })
          .where('duplicate_candidate.status', '=', 'open'),
      )
      .execute();
  }
}

/** Puts `patientId`'s likely and clear matches in the review queue (pairs ordered as stored). */
export async function recordDuplicateCandidates(
  scope: TenantScope,
  patientId: string,
  matches: DuplicateMatch[],
  detectedBy: DetectedBy,
): Promise<void> {
  const rows = matches
    .filter((m) => m.level !== 'none' && m.patientId !== patientId)
    .map((m) => {
      const [a, b] = orderedPair(patientId, m.patientId);
      return { a, b, score: m.score, reasons: m.reasons };
    });
  if (rows.length === 0) return;
  await upsertCandidates(scope, rows, detectedBy);
  for (const m of matches.filter((x) => x.level !== 'none' && x.patientId !== patientId)) {
    await scope.audit({
      action: 'duplicate.detect',
      entityType: 'patient',
      entityId: patientId,
      patientId: m.patientId,
      detail: { patientId, duplicateOf: m.patientId, score: m.score, level: m.level, detectedBy },
    });
  }
}

export type ScanDeps = { db: Kysely<DB>; tenantId: string; actor: Actor; origin?: RequestOrigin };
export type ScanOptions = { batchSize?: number; onProgress?: (scanned: number, total: number) => void };
export type ScanResult = { patients: number; pairsCompared: number; clear: number; likely: number; ms: number };

/** Candidate pairs (a < b) whose smaller id is in `ids`, through keys no more than MAX_BLOCK_SIZE patients share. */
async function blockBatch(scope: TenantScope, ids: string[]): Promise<Array<{ a: string; b: string }>> {
  const keys = await keysOfPatients(scope, ids);
  const blocks = await patientsByKey(scope, keys.map((k) => k.key));
  const pairs = new Map<string, { a: string; b: string }>();
  for (const { patientId: a, key } of keys) {
    for (const b of blocks.get(key) ?? []) if (b > a) pairs.set(`${a}|${b}`, { a, b });
  }
  return [...pairs.values()];
}

/** Scores one batch of patients against everyone sharing a key with them and records what matches. */
async function scanBatch(scope: TenantScope, ids: string[]): Promise<{ pairs: number; clear: number; likely: number }> {
  const pairs = await blockBatch(scope, ids);
  const records = await loadMatchRecords(scope, [...new Set(pairs.flatMap((p) => [p.a, p.b]))], { liveOnly: true });
  const found: CandidateRow[] = [];
  let clear = 0;
  let compared = 0;
  for (const { a, b } of pairs) {
    const ra = records.get(a);
    const rb = records.get(b);
    if (!ra || !rb) continue;
    compared++;
    const match = scorePair(ra, rb);
    if (match.level === 'none') continue;
    if (match.level === 'clear') clear++;
    found.push({ a, b, score: match.score, reasons: match.reasons });
  }
  await upsertCandidates(scope, found, 'scan');
  await scope.audit({
    action: 'duplicate.scan',
    entityType: 'duplicate_candidate',
    detail: { scanned: ids.length, compared, found: found.length, pairs: found.map((f) => [f.a, f.b]) },
  });
  return { pairs: compared, clear, likely: found.length - clear };
}

/**
 * Scans a whole tenant for duplicates in batches of patients (in id order), each batch in its own
 * transaction so the embedded database is never held for the whole scan. Every pair is compared
 * once (from its smaller id). Found pairs go into the review queue as detected by 'scan'. The ids
 * are read once up front (one pass over the table, where paging by id would sort the tenant for
 * every batch on an engine without statistics); a patient archived or merged meanwhile is skipped.
 */
export async function scanTenantForDuplicates(deps: ScanDeps, options: ScanOptions = {}): Promise<ScanResult> {
  const started = performance.now();
  const context = { tenantId: deps.tenantId, actor: deps.actor, ...(deps.origin ? { origin: deps.origin } : {}) };
  const ids = await withTenant(deps.db, context, async (scope) =>
    (
      await scope.tx.selectFrom('patient').select('id').where('archived_at', 'is', null).where('merged_into_id', 'is', null).orderBy('id').execute()
    ).map((r) => r.id),
  );
  const batchSize = options.batchSize ?? 1000;
  const result: ScanResult = { patients: 0, pairsCompared: 0, clear: 0, likely: 0, ms: 0 };
  for (let i = 0; i < ids.length; i += batchSize) {
    const batch = ids.slice(i, i + batchSize);
    const done = await withTenant(deps.db, context, (scope) => scanBatch(scope, batch));
    result.patients += batch.length;
    result.pairsCompared += done.pairs;
    result.clear += done.clear;
    result.likely += done.likely;
    options.onProgress?.(result.patients, ids.length);
  }
  result.ms = Math.round(performance.now() - started);
  return result;
}
