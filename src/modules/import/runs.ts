import type { Selectable } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { ImportRunStatus, ImportRunTable } from '../../server/db/types.ts';
import { notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { consentTargetOptions } from './consent.ts';
import { FIXED_TARGETS, guessMapping, mappingWarnings, resolveMapping, type CustomFieldRef, type ImportMapping } from './mapping.ts';
import { parseCsv } from './parse.ts';
import type { RowProblem } from './row.ts';
import type { DateFormat } from './values.ts';

/** Import runs as staff see them: preview a file, start a run, follow it. */

export type ImportOptions = { dateFormat: DateFormat };

export type ImportRunView = {
  id: string;
  filename: string;
  status: ImportRunStatus;
  dryRun: boolean;
  mapping: Record<string, string>;
  options: ImportOptions;
  totalRows: number;
  processedRows: number;
  counts: { created: number; updated: number; unchanged: number; failed: number; sentToReview: number };
  problems: RowProblem[];
  /** Problems found beyond the ones kept in `problems`. */
  problemsNotShown: number;
  warnings: string[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

export type ImportPreview = {
  headers: string[];
  mapping: ImportMapping;
  rows: Array<{ line: number; values: Record<string, string> }>;
  rowCount: number;
  delimiter: string;
  warnings: string[];
  targets: Array<{ value: string; label: string }>;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

type RunRow = Omit<Selectable<ImportRunTable>, 'csv' | 'problems' | 'tenant_id' | 'created_by'> & { problems?: unknown[] };

/** Every column but the file itself: views never carry it. */
export const VIEW_COLUMNS = [
  'id', 'filename', 'mapping', 'options', 'dry_run', 'status', 'total_rows', 'processed_rows', 'created', 'updated', 'unchanged',
  'failed', 'sent_to_review', 'problem_count', 'warnings', 'error', 'created_at', 'started_at', 'finished_at',
] as const;

export function toView(row: RunRow): ImportRunView {
  const problems = (row.problems ?? []) as RowProblem[];
  return {
    id: row.id,
    filename: row.filename,
    status: row.status,
    dryRun: row.dry_run,
    mapping: row.mapping,
    options: { dateFormat: 'YYYY-MM-DD', ...row.options } as ImportOptions,
    totalRows: row.total_rows,
    processedRows: row.processed_rows,
    counts: { created: row.created, updated: row.updated, unchanged: row.unchanged, failed: row.failed, sentToReview: row.sent_to_review },
    problems,
    problemsNotShown: row.problem_count - problems.length,
    warnings: row.warnings,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
  };
}

/** The clinic's live custom fields, for mapping columns to them and typing their values. */
export async function customFieldDefs(scope: TenantScope) {
  return scope.tx.selectFrom('custom_field').select(['key', 'label', 'type', 'choices']).where('archived_at', 'is', null).orderBy('key').execute();
}

/** What an upload page needs to let staff map the columns: the headers, a guess, a sample of rows. */
export async function previewImport(scope: TenantScope, csv: string): Promise<ImportPreview> {
  const parsed = parseCsv(csv);
  const fields: CustomFieldRef[] = await customFieldDefs(scope);
  const mapping = guessMapping(parsed.headers, fields);
  return {
    headers: parsed.headers,
    mapping,
    rows: parsed.rows.slice(0, 10).map((r) => ({ line: r.line, values: Object.fromEntries(parsed.headers.map((h, i) => [h, r.values[i] ?? ''])) })),
    rowCount: parsed.rows.length,
    delimiter: parsed.delimiter === '\t' ? 'tab' : parsed.delimiter,
    warnings: [...(parsed.rows.length === 0 ? ['The file has a header but no rows.'] : []), ...mappingWarnings(mapping)],
    targets: [
      ...Object.entries(FIXED_TARGETS).map(([value, label]) => ({ value, label })),
      ...fields.map((f) => ({ value: `customField:${f.key}`, label: `Custom field: ${f.label}` })),
      ...consentTargetOptions(),
    ],
  };
}

export type NewImportRun = {
  filename: string;
  csv: string;
  mapping?: Record<string, string> | undefined;
  dateFormat?: DateFormat | undefined;
  dryRun: boolean;
};

/**
 * Records a run, queued: the file is read and the mapping checked now, so a file that cannot be
 * read or a mapping naming unknown columns or fields is refused (400, 413) before anything runs.
 */
export async function createImportRun(scope: TenantScope, input: NewImportRun, now: Date): Promise<ImportRunView> {
  const parsed = parseCsv(input.csv);
  const mapping = resolveMapping(parsed.headers, input.mapping, await customFieldDefs(scope));
  const createdBy = scope.actor.type === 'user' ? scope.actor.id : scope.actor.type === 'api_token' ? scope.actor.userId : null;
  const row = await scope.tx
    .insertInto('import_run')
    .values({
      tenant_id: scope.tenantId,
      filename: input.filename.trim().slice(0, 255) || 'import.csv',
      mapping: JSON.stringify(mapping),
      options: JSON.stringify({ dateFormat: input.dateFormat ?? 'YYYY-MM-DD' }),
      dry_run: input.dryRun,
      total_rows: parsed.rows.length,
      warnings: JSON.stringify([...(parsed.rows.length === 0 ? ['The file has a header but no rows.'] : []), ...mappingWarnings(mapping)]),
      csv: input.csv,
      created_by: createdBy,
      created_at: now,
    })
    .returning(VIEW_COLUMNS)
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'import.create', entityType: 'import_run', entityId: row.id, detail: { rows: row.total_rows, dryRun: row.dry_run } });
  return toView(row);
}

/** One run with its problems (they name cells of patient rows, so the read is audited). */
export async function getImportRun(scope: TenantScope, id: string): Promise<ImportRunView> {
  const row = isUuid(id) ? await scope.tx.selectFrom('import_run').select([...VIEW_COLUMNS, 'problems']).where('id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('Import');
  await scope.audit({ action: 'import.read', entityType: 'import_run', entityId: id });
  return toView(row);
}

/** The latest runs, newest first, without their problems. */
export async function listImportRuns(scope: TenantScope, limit = 20): Promise<ImportRunView[]> {
  const rows = await scope.tx.selectFrom('import_run').select(VIEW_COLUMNS).orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  return rows.map((r) => toView(r));
}
