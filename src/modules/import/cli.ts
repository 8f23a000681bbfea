import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Database } from '../../server/db/connection.ts';
import { withTenant, type Actor } from '../../server/db/scope.ts';
import { AppError, payloadTooLarge } from '../../server/errors.ts';
import { parseMappingSpec } from './mapping.ts';
import { MAX_CSV_BYTES } from './parse.ts';
import { createImportRun, type ImportRunView } from './runs.ts';
import { runImport } from './run-import.ts';
import { DATE_FORMATS, type DateFormat } from './values.ts';

/** `rapport import csv FILE`: the import run in this process, with a progress bar on stderr. */

type Writable = { write(text: string): unknown; isTTY?: boolean };

/** `[########------------]  120/480 rows  25%` */
export function progressBar(done: number, total: number, width = 30): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total} rows ${String(Math.floor(share * 100)).padStart(3)}%`;
}

/**
 * Draws progress: redrawn in place on a terminal; otherwise (a log, a pipe) one line at each tenth
 * of the way and at the end, so logs stay short.
 */
export function progressPrinter(out: Writable): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    if (out.isTTY) {
      out.write(`\r${progressBar(done, total)}${done >= total ? '\n' : ''}`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      out.write(`${progressBar(done, total)}\n`);
    }
  };
}

/** The summary a person reads after a run, and every skipped row as "line N: column: reason". */
export function summarise(run: ImportRunView): string {
  const c = run.counts;
  const verb = run.dryRun ? 'Dry run of' : 'Imported';
  const would = run.dryRun ? 'would be ' : '';
  const lines = [
    `${verb} ${run.filename}: ${run.totalRows} rows.`,
    `  created:   ${c.created}${c.sentToReview ? ` (${c.sentToReview} ${would}sent to duplicate review)` : ''}`,
    `  updated:   ${c.updated}`,
    `  unchanged: ${c.unchanged}`,
    `  failed:    ${c.failed}`,
    ...run.warnings.map((w) => `Warning: ${w}`),
  ];
  if (run.dryRun) lines.push('Nothing was stored (dry run).');
  if (run.error) lines.push(run.error);
  if (c.failed) {
    lines.push(`${c.failed} row(s) ${run.dryRun ? 'would be' : 'were'} skipped; nothing was stored for them:`);
    for (const p of run.problems) {
      const got = p.value && !p.message.includes(`"${p.value}"`) ? ` (got "${p.value}")` : '';
      lines.push(`line ${p.line}: ${p.field}: ${p.message}${got}`);
    }
    if (run.problemsNotShown) lines.push(`... and ${run.problemsNotShown} more problem(s).`);
  }
  return `${lines.join('\n')}\n`;
}

type UsageErrorFactory = (message: string) => Error;
type CsvImportArgs = Pick<CsvImportCommand, 'filename' | 'csv' | 'mapping' | 'dateFormat' | 'dryRun'>;

/** The file and options of `rapport import csv`; a bad argument is a usage error, a too-large file a 413. */
export function readCsvImportArgs(
  values: Record<string, string | boolean | string[] | undefined>,
  positionals: readonly string[],
  usageError: UsageErrorFactory,
): CsvImportArgs {
  if (positionals.length !== 1) throw usageError(positionals.length ? `Name one file (got ${positionals.length}).` : 'Name the CSV file to import.');
  const file = positionals[0]!;
  const dateFormat = values['date-format'];
  if (dateFormat !== undefined && !DATE_FORMATS.includes(dateFormat as DateFormat)) {
    throw usageError(`--date-format must be one of ${DATE_FORMATS.join(', ')} (got "${String(dateFormat)}").`);
  }
  let mapping: Record<string, string> | undefined;
  try {
    const specs = values.map;
    mapping = Array.isArray(specs) ? parseMappingSpec(specs) : undefined;
  } catch (error) {
    throw usageError(`--map: ${(error as Error).message}; write --map "CSV Column=field,Other Column=field".`);
  }
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw usageError(`Cannot read "${file}": no such file.`);
  }
  if (size > MAX_CSV_BYTES) throw payloadTooLarge(MAX_CSV_BYTES);
  return {
    filename: path.basename(file),
    csv: readFileSync(file, 'utf8'),
    ...(mapping ? { mapping } : {}),
    ...(dateFormat ? { dateFormat: dateFormat as DateFormat } : {}),
    dryRun: values['dry-run'] === true,
  };
}

export type CsvImportCommand = {
  tenantId: string;
  filename: string;
  csv: string;
  mapping?: Record<string, string>;
  dateFormat?: DateFormat;
  dryRun: boolean;
  stdout: Writable;
  stderr: Writable;
};

/**
 * Runs the import as the system actor; returns 0 when every row was good, 1 when some failed. A
 * --map naming an unknown column or field is a usage error.
 */
export async function runCsvImportCommand(database: Database, input: CsvImportCommand, usageError: UsageErrorFactory): Promise<number> {
  const system: Actor = { type: 'system', id: null };
  const clock = () => new Date();
  const queued = await withTenant(database.db, { tenantId: input.tenantId, actor: system }, (scope) =>
    createImportRun(scope, { filename: input.filename, csv: input.csv, mapping: input.mapping, dateFormat: input.dateFormat, dryRun: input.dryRun }, clock()),
  ).catch((error: unknown) => {
    if (error instanceof AppError && error.fields?.some((f) => f.path.startsWith('mapping.'))) {
      throw usageError(`--map: ${error.fields.map((f) => `"${f.path.slice('mapping.'.length)}" ${f.message}`).join('; ')}`);
    }
    throw error;
  });
  const run = await runImport({ db: database.db, clock }, { tenantId: input.tenantId, runId: queued.id }, { onProgress: progressPrinter(input.stderr) });
  input.stdout.write(summarise(run));
  if (run.counts.failed) input.stderr.write(`${run.counts.failed} of ${run.totalRows} rows failed.\n`);
  return run.status === 'completed' && run.counts.failed === 0 ? 0 : 1;
}
