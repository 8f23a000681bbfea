import { purgeExpiredCredentials, type AuthDeps } from '../modules/auth/service.ts';
import { purgeRateLimitCounters } from '../server/http/rate-limit.ts';
import { runImportJob } from '../modules/import/job.ts';
import { refreshStatistics } from '../server/db/maintenance.ts';
import { registerWaitlist } from '../modules/waitlist/release.ts';
import { sweepWaitlist } from '../modules/waitlist/sweep.ts';
import { registerJourneys } from '../modules/journeys/register.ts';
import { planScheduledTriggers } from '../modules/journeys/scheduled-triggers.ts';

export type JobDeps = AuthDeps;

// Slots freed by work in the worker go to the waitlist too, and appointment changes to journeys.
registerWaitlist();
registerJourneys();

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
  'waitlist.sweep': async (deps) => sweepWaitlist(deps.db, deps.clock()),
  'journeys.plan': async (deps) => planScheduledTriggers(deps.db, deps.clock()),
} satisfies Record<string, JobHandler>;
