import { z } from 'zod';
import { runImport, type ImportDeps } from './run-import.ts';

const jobData = z.object({ tenantId: z.uuid(), runId: z.uuid() });

/** The 'import.run' job: runs a queued import; the summary it returns (logged) names no one. */
export async function runImportJob(deps: ImportDeps, data: object) {
  const ref = jobData.parse(data);
  const run = await runImport(deps, ref);
  return { runId: run.id, status: run.status, rows: run.totalRows, processed: run.processedRows, ...run.counts };
}
