import { purgeExpiredCredentials, type AuthDeps } from '../modules/auth/service.ts';

export type JobDeps = AuthDeps;

export type JobHandler = (deps: JobDeps, data: object) => Promise<unknown>;

/** Every job Rapport runs, by name. A handler returns a small summary that is logged. */
export const jobHandlers = {
  'housekeeping.purge-credentials': async (deps) => purgeExpiredCredentials(deps),
} satisfies Record<string, JobHandler>;
