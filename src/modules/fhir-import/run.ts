import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql, type Kysely } from 'kysely';
import { refreshStatistics } from '../../server/db/maintenance.ts';
import { withTenant, type Actor, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { importUnits } from './pipeline.ts';
import { countEntries, listSources, readSource } from './read.ts';
import { addFileProblems, addResults, emptyReport, totals } from './report.ts';
import { DEFAULT_FHIR_SYSTEM, type ImportOptions, type ImportReport, type ImportUnit } from './types.ts';

/**
 * An import of FHIR files (`rapport import fhir PATH`), recorded as an import run like the CSV
 * import (import_run, options.format "fhir"): the files are read one at a time and their units
 * imported in batches of about `batchEntries` resources, each batch one transaction that also
 * moves the run's progress and counts. A dry run does all of it in one transaction rolled back at
 * the end, so its batches see each other's work as a real run would.
 */

export type FhirImportDeps = { db: Kysely<DB>; clock: () => Date };
export type FhirImportInput = { tenantId: string; path: string; dryRun: boolean; system?: string; actor?: Actor };
export type FhirImportProgress = { done: number; total: number; file: string; files: number; filesDone: number };
export type FhirImportRunOptions = { onProgress?: (p: FhirImportProgress) => void; batchEntries?: number };
export type FhirImportResult = { runId: string; report: ImportReport; ms: number };

const SYSTEM_ACTOR: Actor = { type: 'system', id: null };
const MAX_STORED_PROBLEMS = 1000;

export async function importFhirPath(deps: FhirImportDeps, input: FhirImportInput, options: FhirImportRunOptions = {}): Promise<FhirImportResult> {
  const started = performance.now();
  const { files, ignored } = listSources(input.path);
  const total = files.reduce((sum, f) => sum + countEntries(f), 0);
  const context = { tenantId: input.tenantId, actor: input.actor ?? SYSTEM_ACTOR };
  const importOptions: ImportOptions = { now: deps.clock(), system: input.system ?? DEFAULT_FHIR_SYSTEM, dryRun: false };
  const report = emptyReport(input.dryRun);
  const runId = await withTenant(deps.db, context, (scope) => startRun(scope, input, total, ignored, deps.clock()));
  const batchEntries = options.batchEntries ?? 2000;

  let done = 0;
  const progress = (file: string, filesDone: number) => options.onProgress?.({ done, total, file, files: files.length, filesDone });
  /** Runs the batches; `inTransaction` is the dry run's single scope, else each batch opens its own. */
  const runAll = async (inTransaction?: TenantScope) => {
    let pending: ImportUnit[] = [];
    let pendingEntries = 0;
    const flush = async (file: string, filesDone: number) => {
      if (!pending.length) return;
      const units = pending;
      pending = [];
      pendingEntries = 0;
      const batch = async (scope: TenantScope) => {
        const results = await importUnits(scope, units, importOptions);
        addResults(report, results);
        done += results.length;
        if (!inTransaction) await recordProgress(scope, runId, report, done);
      };
      await (inTransaction ? batch(inTransaction) : withTenant(deps.db, context, batch));
      progress(file, filesDone);
    };
    progress(files[0]?.name ?? '', 0);
    for (const [i, file] of files.entries()) {
      const read = readSource(file);
      if (read.problems.length) {
        addFileProblems(report, read.problems);
        done += read.problems.length;
      }
      for (const unit of read.units) {
        pending.push(unit);
        pendingEntries += unit.entries.length;
        if (pendingEntries >= batchEntries) await flush(file.name, i);
      }
      progress(file.name, i);
    }
    await flush(files.at(-1)?.name ?? '', files.length);
    progress(files.at(-1)?.name ?? '', files.length);
  };

  try {
    if (input.dryRun) {
      await withTenant(deps.db, context, async (scope) => {
        await sql`savepoint fhir_dry_run`.execute(scope.tx);
        await runAll(scope);
        await sql`rollback to savepoint fhir_dry_run`.execute(scope.tx);
      });
    } else {
      await runAll();
    }
  } catch (error) {
    await withTenant(deps.db, context, (scope) => endRun(scope, runId, report, 'failed', deps.clock(), `The import stopped after ${done} of ${total} resources because of an error on our side; the batches before were kept. Run it again: what was imported is recognised and left unchanged.`, importOptions.system));
    throw error;
  }
  if (!input.dryRun) await refreshStatistics(deps.db);
  await withTenant(deps.db, context, (scope) => endRun(scope, runId, report, 'completed', deps.clock(), null, importOptions.system));
  return { runId, report, ms: performance.now() - started };
}

async function startRun(scope: TenantScope, input: FhirImportInput, total: number, ignored: string[], now: Date): Promise<string> {
  const createdBy = scope.actor.type === 'user' ? scope.actor.id : scope.actor.type === 'api_token' ? scope.actor.userId : null;
  const row = await scope.tx
    .insertInto('import_run')
    .values({
      tenant_id: scope.tenantId,
      filename: path.basename(path.resolve(input.path)).slice(0, 255) || 'fhir',
      mapping: '{}',
      options: JSON.stringify({ format: 'fhir', system: input.system ?? DEFAULT_FHIR_SYSTEM }),
      dry_run: input.dryRun,
      status: 'running',
      total_rows: total,
      warnings: JSON.stringify(ignored.length ? [`Not FHIR files (.json, .ndjson, .jsonl), left out: ${ignored.slice(0, 20).join(', ')}`] : []),
      created_by: createdBy,
      created_at: now,
      started_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'import.start', entityType: 'import_run', entityId: row.id, detail: { format: 'fhir', resources: total, dryRun: input.dryRun } });
  return row.id;
}

/** The run's counts so far, in the batch's own transaction. */
async function recordProgress(scope: TenantScope, runId: string, report: ImportReport, done: number): Promise<void> {
  const t = totals(report);
  await scope.tx
    .updateTable('import_run')
    .set({
      processed_rows: sql<number>`least(${done}, total_rows)`,
      created: t.created,
      updated: t.updated,
      unchanged: t.unchanged + t.skipped,
      failed: t.failed,
      sent_to_review: report.sentToReview,
      problem_count: report.failures.length + report.failuresNotShown,
    })
    .where('id', '=', runId)
    .execute();
}

async function endRun(scope: TenantScope, runId: string, report: ImportReport, status: 'completed' | 'failed', now: Date, error: string | null, system: string): Promise<void> {
  await recordProgress(scope, runId, report, report.resources);
  const problems = report.failures.slice(0, MAX_STORED_PROBLEMS).map((f) => ({ line: lineOf(f.where), field: f.where, value: f.type, message: f.reason.slice(0, 500) }));
  await scope.tx
    .updateTable('import_run')
    .set({
      status,
      error,
      finished_at: now,
      problems: JSON.stringify(problems),
      options: JSON.stringify({ format: 'fhir', system, byType: report.byType, skipped: report.skipped }),
    })
    .where('id', '=', runId)
    .execute();
  await scope.audit({ action: 'import.finish', entityType: 'import_run', entityId: runId, detail: { format: 'fhir', status, ...totals(report) } });
}

const lineOf = (where: string) => Number(/(?:line|entry) (\d+)$/.exec(where)?.[1] ?? 0);
