import { existsSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Database } from '../../server/db/connection.ts';
import { summariseReport, totals } from './report.ts';
import { importFhirPath, type FhirImportProgress } from './run.ts';

/** `rapport import fhir PATH`: the import in this process, a progress bar on stderr, the report on stdout. */

type Writable = NodeJS.WritableStream & { isTTY?: boolean };
type UsageErrorFactory = (message: string) => Error;

export type FhirImportArgs = { path: string; dryRun: boolean };

export function readFhirImportArgs(values: Record<string, string | boolean | string[] | undefined>, positionals: readonly string[], usageError: UsageErrorFactory): FhirImportArgs {
  if (positionals.length !== 1) {
    throw usageError(positionals.length ? `Name one file or folder (got ${positionals.length}).` : 'Name the FHIR Bundle file, NDJSON file or folder to import.');
  }
  const target = positionals[0]!;
  if (!existsSync(target)) throw usageError(`Cannot read "${target}": no such file or folder.`);
  return { path: target, dryRun: values['dry-run'] === true };
}

/**
 * Draws progress: cli-progress's bar redrawn in place on a terminal; otherwise (a log, a pipe) one
 * line at each tenth of the way, so logs stay short.
 */
export function fhirProgress(out: Writable): { update(p: FhirImportProgress): void; stop(): void } {
  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: out, format: '[{bar}] {value}/{total} resources {percentage}% | file {filesDone}/{files} | eta {eta_formatted}', hideCursor: true },
      cliProgress.Presets.legacy,
    );
    let started = false;
    return {
      update(p) {
        if (!started) bar.start(p.total, p.done, { files: p.files, filesDone: p.filesDone });
        started = true;
        bar.update(p.done, { files: p.files, filesDone: p.filesDone });
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update(p) {
      const tenth = p.total === 0 ? 10 : Math.floor((p.done / p.total) * 10);
      if (tenth <= lastTenth) return;
      lastTenth = tenth;
      out.write(`${p.done}/${p.total} resources ${String(Math.floor(Math.min(1, p.total ? p.done / p.total : 1) * 100)).padStart(3)}% (file ${p.filesDone}/${p.files})\n`);
    },
    stop: () => undefined,
  };
}

export type FhirImportCommand = FhirImportArgs & { tenantId: string; stdout: Writable; stderr: Writable };

/** Runs the import as the system actor; 0 when nothing failed, 1 when some resources failed. */
export async function runFhirImportCommand(database: Database, input: FhirImportCommand): Promise<number> {
  const bar = fhirProgress(input.stderr);
  let result;
  try {
    result = await importFhirPath({ db: database.db, clock: () => new Date() }, { tenantId: input.tenantId, path: input.path, dryRun: input.dryRun }, { onProgress: (p) => bar.update(p) });
  } finally {
    bar.stop();
  }
  const { report, ms } = result;
  input.stdout.write(summariseReport(report, path.basename(path.resolve(input.path))));
  const rate = report.resources / Math.max(ms / 1000, 0.001);
  input.stderr.write(`${report.resources} resources in ${(ms / 1000).toFixed(1)}s (${Math.round(rate)}/s).\n`);
  const failed = totals(report).failed;
  if (failed) input.stderr.write(`${failed} of ${report.resources} resources failed.\n`);
  return failed ? 1 : 0;
}
