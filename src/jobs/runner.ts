import { PgBoss, fromPglite, type ConstructorOptions, type Job } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../server/db/connection.ts';
import { jobHandlers, type JobDeps, type JobHandler } from './handlers.ts';

/** The job queue as the rest of Rapport sees it: send work by name, stop cleanly. */
export type JobQueue = {
  send(name: JobName, data?: object): Promise<string>;
  /** The job's state as pg-boss records it (created, active, completed, failed ...). */
  state(name: JobName, id: string): Promise<string | undefined>;
  stop(): Promise<void>;
};

export type JobName = keyof typeof jobHandlers;

export type JobRunnerOptions = {
  database: Database;
  deps: JobDeps;
  logger: Logger;
  /** Run workers and schedules in this process (the worker role); otherwise only send. */
  work: boolean;
  pollingIntervalSeconds?: number;
};

/** Recurring work, in cron syntax (UTC). */
const SCHEDULES: Array<{ name: JobName; cron: string }> = [
  { name: 'housekeeping.purge-credentials', cron: '17 * * * *' },
  // PGlite has no autovacuum: without this its planner works from no statistics at all.
  { name: 'housekeeping.refresh-statistics', cron: '41 * * * *' },
  // Waitlist offers last two hours: unanswered ones expire and the next batch goes out.
  { name: 'waitlist.sweep', cron: '*/5 * * * *' },
  // Medication dose times and dates reached (invoice due, birthdays) start their journeys.
  { name: 'journeys.plan', cron: '*/5 * * * *' },
];

/**
 * Starts pg-boss on Rapport's database: on PGlite through the shared instance (PGlite serialises
 * it with everything else), on a server through its own small pool.
 */
export async function startJobRunner(options: JobRunnerOptions): Promise<JobQueue> {
  const { database } = options;
  const common: ConstructorOptions = {
    schema: 'pgboss',
    supervise: options.work,
    schedule: options.work,
    migrate: true,
  };
  const boss =
    database.kind === 'pglite' && database.pglite
      ? new PgBoss({ ...common, db: fromPglite(database.pglite), backend: 'pglite' })
      : new PgBoss({ ...common, connectionString: database.connectionString, max: 4, application_name: 'rapport-jobs' });

  boss.on('error', (error) => options.logger.error({ err: error }, 'job runner error'));
  await boss.start();

  for (const name of Object.keys(jobHandlers) as JobName[]) {
    // An import of a large file may run for a long time; it resumes from its last batch if retried.
    const expireInSeconds = name === 'import.run' ? 6 * 3600 : 15 * 60;
    await boss.createQueue(name, { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds });
  }
  if (options.work) {
    for (const [name, handler] of Object.entries(jobHandlers) as Array<[JobName, JobHandler]>) {
      await boss.work(
        name,
        { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, batchSize: 1 },
        async (jobs: Job<object>[]) => {
          for (const job of jobs) {
            const result = await handler(options.deps, job.data ?? {});
            options.logger.info({ job: name, id: job.id, result }, 'job done');
          }
        },
      );
    }
    for (const { name, cron } of SCHEDULES) await boss.schedule(name, cron);
  }

  return {
    async send(name, data = {}) {
      const id = await boss.send(name, data);
      if (!id) throw new Error(`Job ${name} was not accepted by the queue`);
      return id;
    },
    async state(name, id) {
      return (await boss.getJobById(name, id))?.state;
    },
    stop: () => boss.stop({ graceful: true, timeout: 10_000 }),
  };
}
