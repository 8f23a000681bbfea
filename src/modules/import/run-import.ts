import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { refreshStatistics } from '../../server/db/maintenance.ts';
import { withTenant, type Actor, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { AppError } from '../../server/errors.ts';
import { importConsentNote } from './consent.ts';
import { importRow, type RowOutcome } from './import-row.ts';
import { resolveMapping } from './mapping.ts';
import { parseCsv } from './parse.ts';
import { readRow, repeatedKeys, type RowDraft, type RowProblem } from './row.ts';
import { customFieldDefs, toView, VIEW_COLUMNS, type ImportRunView } from './runs.ts';

export type ImportDeps = { db: Kysely<DB>; clock: () => Date };
export type ImportRunRef = { tenantId: string; runId: string };
export type RunImportOptions = {
  /** Called after every batch is committed. */
  onProgress?: (done: number, total: number) => void;
  /** Rows per transaction, at most. */
  batchRows?: number;
  /** A batch also ends after this long, so one transaction never holds the database for long. */
  batchMillis?: number;
};

/** Problems kept on a run; the rest are counted. */
export const MAX_STORED_PROBLEMS = 1000;
/** Warnings kept on a run (row notes add to the mapping's); past this, one more says there were others. */
export const MAX_STORED_WARNINGS = 100;
const SYSTEM: Actor = { type: 'system', id: null };

/**
 * Runs an import: rows in batches, each batch one transaction with one savepoint per row, and the
 * run's progress and counts written in the same transaction as the rows they count. So a run that
 * stops (a crash, a redeploy) resumes at the first row not yet committed, and pollers see progress
 * after every batch. A finished run is returned as it is. The file is cleared when the run ends.
 */
export async function runImport(deps: ImportDeps, ref: ImportRunRef, options: RunImportOptions = {}): Promise<ImportRunView> {
  const { run, actor, csv, fields } = await startRun(deps, ref);
  if (run.status !== 'running' || csv === null) return run;
  let done = run.processedRows;
  let drafts: RowDraft[] = [];
  try {
    drafts = readRows(csv, run, fields);
    const repeated = repeatedKeys(drafts);
    options.onProgress?.(done, drafts.length);
    while (done < drafts.length) {
      done = await withTenant(deps.db, { tenantId: ref.tenantId, actor }, (scope) =>
        runBatch(scope, ref.runId, { drafts, repeated, from: done, dryRun: run.dryRun, now: deps.clock(), consentNote: importConsentNote(run.filename, run.id), ...options }),
      );
      options.onProgress?.(done, drafts.length);
    }
  } catch (error) {
    if (error instanceof RunMovedOn) return readRun(deps, ref, actor);
    const why =
      error instanceof AppError
        ? `The import could not run: ${error.message}`
        : run.dryRun
          ? `The dry run stopped after ${done} of ${run.totalRows} rows because of an error on our side. Start it again.`
          : `The import stopped after ${done} of ${run.totalRows} rows because of an error on our side; those rows are kept. Run the file again: rows already imported are matched by MRN or identifier.`;
    await endRun(deps, ref, actor, 'failed', why);
    throw error;
  }
  return endRun(deps, ref, actor, 'completed', null);
}

type Started = { run: ImportRunView; actor: Actor; csv: string | null; fields: Awaited<ReturnType<typeof customFieldDefs>> };

/** Marks a queued run running and audits its start; returns the run with its file. */
async function startRun(deps: ImportDeps, ref: ImportRunRef): Promise<Started> {
  const actor = await withTenant(deps.db, { tenantId: ref.tenantId, actor: SYSTEM }, async (scope) => {
    const run = await scope.tx.selectFrom('import_run').select('created_by').where('id', '=', ref.runId).executeTakeFirst();
    if (!run) throw new Error(`import run ${ref.runId} does not exist in tenant ${ref.tenantId}`);
    return actorOf(scope, run.created_by);
  });
  return withTenant(deps.db, { tenantId: ref.tenantId, actor }, async (scope) => {
    const row = await scope.tx.selectFrom('import_run').select([...VIEW_COLUMNS, 'csv']).where('id', '=', ref.runId).forUpdate().executeTakeFirstOrThrow();
    if (row.status === 'queued') {
      await scope.tx.updateTable('import_run').set({ status: 'running', started_at: deps.clock() }).where('id', '=', ref.runId).execute();
      await scope.audit({ action: 'import.start', entityType: 'import_run', entityId: ref.runId, detail: { rows: row.total_rows, dryRun: row.dry_run } });
      row.status = 'running';
    }
    return { run: toView(row), actor, csv: row.csv, fields: row.status === 'running' ? await customFieldDefs(scope) : [] };
  });
}

/** The file's rows read through the run's mapping (the same every time, so a resumed run lines up). */
function readRows(csv: string, run: ImportRunView, fields: Started['fields']): RowDraft[] {
  const parsed = parseCsv(csv);
  const ctx = {
    headers: parsed.headers,
    mapping: resolveMapping(parsed.headers, run.mapping, fields),
    dateFormat: run.options.dateFormat,
    customFields: new Map(fields.map((f) => [f.key, f])),
  };
  return parsed.rows.map((r) => readRow(r, ctx));
}

/** The person who started the run acts in it (history and audit name them); the command line acts as the system. */
async function actorOf(scope: TenantScope, userId: string | null): Promise<Actor> {
  if (!userId) return SYSTEM;
  const user = await scope.tx.selectFrom('app_user').select(['id', 'role']).where('id', '=', userId).executeTakeFirst();
  return user ? { type: 'user', id: user.id, role: user.role } : SYSTEM;
}

/** Another process took the run over (a job delivered twice): this one stops and leaves it be. */
class RunMovedOn extends Error {}

type BatchInput = RunImportOptions & { drafts: RowDraft[]; repeated: Map<number, RowProblem[]>; from: number; dryRun: boolean; now: Date; consentNote: string };

const COUNTER: Record<RowOutcome, 'created' | 'updated' | 'unchanged' | 'failed'> = {
  created: 'created',
  created_for_review: 'created',
  updated: 'updated',
  unchanged: 'unchanged',
  failed: 'failed',
};

/** One batch of rows in the scope's transaction; returns the index of the next row. */
async function runBatch(scope: TenantScope, runId: string, input: BatchInput): Promise<number> {
  const run = await scope.tx
    .selectFrom('import_run')
    .select(['processed_rows', 'status', sql<number>`jsonb_array_length(problems)`.as('stored'), sql<number>`jsonb_array_length(warnings)`.as('warned')])
    .where('id', '=', runId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (run.status !== 'running' || run.processed_rows !== input.from) {
    throw new RunMovedOn(`import run ${runId} moved on elsewhere (at row ${run.processed_rows}, expected ${input.from})`);
  }
  const counts = { created: 0, updated: 0, unchanged: 0, failed: 0, sent_to_review: 0 };
  const problems: RowProblem[] = [];
  const notes: string[] = [];
  const started = performance.now();
  const maxRows = input.batchRows ?? 200;
  const maxMillis = input.batchMillis ?? 1000;
  let i = input.from;
  while (i < input.drafts.length && i - input.from < maxRows && (i === input.from || performance.now() - started < maxMillis)) {
    const draft = input.drafts[i]!;
    const repeated = input.repeated.get(i);
    const result = repeated
      ? { outcome: 'failed' as const, problems: [...draft.problems, ...repeated] }
      : await importRow(scope, draft, { now: input.now, dryRun: input.dryRun, consentNote: input.consentNote });
    counts[COUNTER[result.outcome]] += 1;
    if (result.outcome === 'created_for_review') counts.sent_to_review += 1;
    problems.push(...result.problems);
    notes.push(...(result.notes ?? []));
    i++;
  }
  const room = Math.max(0, MAX_STORED_PROBLEMS - Number(run.stored));
  const kept = problems.slice(0, room).map((p) => ({ ...p, value: p.value.slice(0, 200) }));
  const warned = Number(run.warned);
  const warnings = notes.slice(0, Math.max(0, MAX_STORED_WARNINGS - warned));
  if (notes.length > warnings.length && warned <= MAX_STORED_WARNINGS) warnings.push(`More than ${MAX_STORED_WARNINGS} notes: further consent answers left as the patient gave them in Rapport are not listed.`);
  await scope.tx
    .updateTable('import_run')
    .set((eb) => ({
      processed_rows: i,
      created: eb('created', '+', counts.created),
      updated: eb('updated', '+', counts.updated),
      unchanged: eb('unchanged', '+', counts.unchanged),
      failed: eb('failed', '+', counts.failed),
      sent_to_review: eb('sent_to_review', '+', counts.sent_to_review),
      problem_count: eb('problem_count', '+', problems.length),
      problems: sql`problems || ${JSON.stringify(kept)}::jsonb`,
      ...(warnings.length ? { warnings: sql`warnings || ${JSON.stringify(warnings)}::jsonb` } : {}),
    }))
    .where('id', '=', runId)
    .execute();
  return i;
}

/** Ends a run: its status, when, why it failed, and the file cleared; audited with the counts. */
async function endRun(deps: ImportDeps, ref: ImportRunRef, actor: Actor, status: 'completed' | 'failed', error: string | null): Promise<ImportRunView> {
  await refreshStatistics(deps.db);
  return withTenant(deps.db, { tenantId: ref.tenantId, actor }, async (scope) => {
    const row = await scope.tx
      .updateTable('import_run')
      .set({ status, error, csv: null, finished_at: deps.clock() })
      .where('id', '=', ref.runId)
      .where('status', '=', 'running')
      .returning([...VIEW_COLUMNS, 'problems'])
      .executeTakeFirst();
    if (!row) return readView(scope, ref.runId);
    const view = toView(row);
    await scope.audit({
      action: 'import.finish',
      entityType: 'import_run',
      entityId: ref.runId,
      outcome: status === 'completed' ? 'success' : 'failure',
      detail: { status, dryRun: view.dryRun, rows: view.totalRows, processed: view.processedRows, ...view.counts },
    });
    return view;
  });
}

function readRun(deps: ImportDeps, ref: ImportRunRef, actor: Actor): Promise<ImportRunView> {
  return withTenant(deps.db, { tenantId: ref.tenantId, actor }, (scope) => readView(scope, ref.runId));
}

async function readView(scope: TenantScope, runId: string): Promise<ImportRunView> {
  return toView(await scope.tx.selectFrom('import_run').select([...VIEW_COLUMNS, 'problems']).where('id', '=', runId).executeTakeFirstOrThrow());
}
