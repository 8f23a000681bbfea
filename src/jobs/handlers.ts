import { purgeExpiredCredentials, type AuthDeps } from '../modules/auth/service.ts';
import { purgeRateLimitCounters } from '../server/http/rate-limit.ts';
import { runImportJob } from '../modules/import/job.ts';
import { refreshStatistics } from '../server/db/maintenance.ts';

export type JobDeps = AuthDeps;

export type JobHandler = (deps: JobDeps, data: object) => Promise<unknown>;

/** Every job Rapport runs, by name. A handler returns a small summary that is logged. */
export const jobHandlers = {
  'housekeeping.purge-credentials': async (deps) => ({
    ...(await purgeExpiredCredentials(deps)),
    rateLimitCounters: await purgeRateLimitCounters(deps.db, new Date(deps.clock().getTime() - 24 * 3600_000)),
  }),
  'import.run': runImportJob,
  'housekeeping.refresh-statistics': async (deps) => {
    await refreshStatistics(deps.db);
    return { analyzed: true };
  },
} satisfies Record<string, JobHandler>;
