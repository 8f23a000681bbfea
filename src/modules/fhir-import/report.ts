import type { FileProblem } from './read.ts';
import type { EntryResult, ImportReport, TypeCounts } from './types.ts';

/** The report of an import: counts per resource type, skip reasons, failures named by file and entry. */

export const MAX_LISTED_FAILURES = 1000;

export function emptyReport(dryRun: boolean): ImportReport {
  return { resources: 0, byType: {}, skipped: [], failures: [], failuresNotShown: 0, sentToReview: 0, dryRun };
}

const zero = (): TypeCounts => ({ created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 });

/** Adds a batch's results to the report. */
export function addResults(report: ImportReport, results: readonly EntryResult[]): void {
  for (const r of results) {
    report.resources += 1;
    const counts = (report.byType[r.type] ??= zero());
    counts[r.outcome] += 1;
    if (r.sentToReview) report.sentToReview += 1;
    if (r.outcome === 'skipped') {
      const reason = r.reason ?? 'skipped';
      const row = report.skipped.find((s) => s.type === r.type && s.reason === reason);
      if (row) row.count += 1;
      else report.skipped.push({ type: r.type, reason, count: 1 });
    }
    if (r.outcome === 'failed') addFailure(report, { where: r.entry.where, type: r.type, reason: r.reason ?? 'failed' });
  }
}

/** A file or line that could not be read counts as one failed resource of unknown type. */
export function addFileProblems(report: ImportReport, problems: readonly FileProblem[]): void {
  for (const p of problems) {
    report.resources += 1;
    (report.byType['(unreadable)'] ??= zero()).failed += 1;
    addFailure(report, { where: p.where, type: '(unreadable)', reason: p.message });
  }
}

function addFailure(report: ImportReport, failure: ImportReport['failures'][number]): void {
  if (report.failures.length < MAX_LISTED_FAILURES) report.failures.push(failure);
  else report.failuresNotShown += 1;
}

export function totals(report: ImportReport): TypeCounts {
  const sum = zero();
  for (const c of Object.values(report.byType)) for (const k of Object.keys(sum) as Array<keyof TypeCounts>) sum[k] += c[k];
  return sum;
}

/** The report as a person reads it at the end of `rapport import fhir`. */
export function summariseReport(report: ImportReport, name: string): string {
  const t = totals(report);
  const would = report.dryRun ? 'would be ' : '';
  const lines = [`${report.dryRun ? 'Dry run of' : 'Imported'} ${name}: ${report.resources} resources.`];
  const types = Object.keys(report.byType).sort();
  const width = Math.max(13, ...types.map((x) => x.length));
  lines.push(`  ${'type'.padEnd(width)}  created  updated  unchanged  skipped  failed`);
  for (const type of [...types, 'total']) {
    const c = type === 'total' ? t : report.byType[type]!;
    lines.push(`  ${type.padEnd(width)}  ${pad(c.created, 7)}  ${pad(c.updated, 7)}  ${pad(c.unchanged, 9)}  ${pad(c.skipped, 7)}  ${pad(c.failed, 6)}`);
  }
  if (report.sentToReview) lines.push(`${report.sentToReview} new patient(s) ${would}sent to duplicate review.`);
  if (report.skipped.length) {
    lines.push('Skipped:');
    for (const s of [...report.skipped].sort((a, b) => b.count - a.count)) lines.push(`  ${s.type}: ${s.count} ${s.reason}`);
  }
  if (report.failures.length) {
    lines.push(`Failed (${report.dryRun ? 'would not be stored' : 'nothing was stored for them'}):`);
    for (const f of report.failures) lines.push(`  ${f.where}${f.type.startsWith('(') ? '' : ` (${f.type})`}: ${f.reason}`);
    if (report.failuresNotShown) lines.push(`  ... and ${report.failuresNotShown} more.`);
  }
  if (report.dryRun) lines.push('Nothing was stored (dry run).');
  return `${lines.join('\n')}\n`;
}

const pad = (n: number, width: number) => String(n).padStart(width);
