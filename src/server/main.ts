import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { installMissingDefaults } from '../modules/journeys/install.ts';
import { registerJourneys } from '../modules/journeys/register.ts';
import { resolveHl7Tenant, startHl7Listener } from '../modules/hl7/listener.ts';
import { adapterRegistry } from '../modules/messaging/adapters.ts';
import { startOutboxWorker } from '../modules/messaging/worker.ts';
import { registerWebhookEvents } from '../modules/webhooks/register.ts';
import { webhookPolicy } from '../modules/webhooks/target.ts';
import { startWebhookWorker } from '../modules/webhooks/worker.ts';
import type { Logger } from 'pino';
import { startJobRunner, type JobQueue } from '../jobs/runner.ts';
import { buildApp } from './app.ts';
import { ensureFirstClinic } from './bootstrap.ts';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/connection.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createLogger, loggerOptions } from './logger.ts';

export type Service = 'web' | 'worker' | 'hl7';
export const SERVICES: readonly Service[] = ['web', 'worker', 'hl7'];
/** What `rapport start` runs without --services. */
export const DEFAULT_SERVICES: readonly Service[] = ['web', 'worker'];

export type Running = { app?: FastifyInstance; jobs: JobQueue; database: Database; logger: Logger; url?: string; hl7Port?: number; stop(): Promise<void> };

/**
 * Starts the roles this process plays. Every role migrates first (safe in parallel: Kysely takes a
 * lock) and the first process ever to start creates the clinic.
 */
export async function startRapport(config: Config, services: readonly Service[]): Promise<Running> {
  const logger = createLogger(config);
  const clock = () => new Date();
  const database = await openDatabase(config);
  const applied = await migrateToLatest(database.db);
  if (applied.length) logger.info({ migrations: applied }, 'database migrated');

  const firstStart = await ensureFirstClinic(database.db, { demo: config.demo, now: clock(), logger });
  await installMissingDefaults(database.db, clock());
  registerJourneys();
  registerWebhookEvents();
  // Fails the start before anything runs when the clinic HL7 messages go to is unclear.
  const hl7Tenant = services.includes('hl7') ? await resolveHl7Tenant(database.db, config.hl7Tenant).catch(async (error: unknown) => {
    await database.close();
    throw error;
  }) : undefined;
  const jobs = await startJobRunner({
    database,
    deps: { db: database.db, clock, config },
    logger: logger.child({ component: 'jobs' }),
    work: services.includes('worker'),
  });

  let app: FastifyInstance | undefined;
  let url: string | undefined;
  if (services.includes('web')) {
    app = await buildApp({ config, database, clock, jobs, logger: loggerOptions(config) });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    url = config.publicUrl ?? `http://localhost:${port}`;
  }

  // The outbox worker sends reminders and follow-ups: with the worker role, in this process.
  const adapters = adapterRegistry({ smtpUrl: config.smtpUrl });
  const outbox = services.includes('worker')
    ? await startOutboxWorker(database, {
        db: database.db,
        clock,
        adapters,
        baseUrl: url ?? config.publicUrl ?? `http://localhost:${config.port}`,
        worker: `${hostname()}:${process.pid}`,
        // PGlite runs one transaction at a time: one lane, a whole claim sent side by side in it.
        concurrency: database.kind === 'pglite' ? 1 : config.outboxConcurrency,
        sendBatchSize: database.kind === 'pglite' ? 100 : 25,
        runLookaheadSeconds: config.journeyLookaheadMinutes * 60,
        logger: logger.child({ component: 'outbox' }),
      })
    : undefined;
  // Signed webhooks to the clinics' receivers (decision 0023): with the worker role too.
  const webhooks = services.includes('worker')
    ? await startWebhookWorker(database, {
        db: database.db,
        clock,
        worker: `${hostname()}:${process.pid}`,
        policy: webhookPolicy(config),
        logger: logger.child({ component: 'webhooks' }),
      })
    : undefined;

  // HL7 v2 over MLLP, for the clinic HL7_TENANT names (or the only one).
  const hl7 = hl7Tenant
    ? await startHl7Listener({ db: database.db, clock, host: config.hl7Host, port: config.hl7Port, tenant: hl7Tenant, logger: logger.child({ component: 'hl7' }) })
    : undefined;

  const banner = [
    '',
    `  Rapport is running${url ? ` at ${url}` : ''} (${services.join(' + ')}, ${database.kind === 'pglite' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL server'})`,
  ];
  if (hl7) banner.push(`  HL7 v2 (MLLP) listening on ${hl7.host}:${hl7.port} for ${hl7.tenant.slug}`);
  if (firstStart) {
    banner.push(
      `  First start: created ${config.demo ? 'the demo clinic' : 'an empty clinic'} and its administrator.`,
      `  Sign in as ${firstStart.admin.email} with password ${firstStart.admin.password}`,
      '  This password is shown only once. Keep it somewhere safe.',
    );
  }
  process.stdout.write(`${banner.join('\n')}\n\n`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await app?.close();
      await hl7?.close();
      await outbox?.stop();
      await webhooks?.stop();
      await adapters.close();
      await jobs.stop();
      await database.close();
    })());
  return { ...(app ? { app } : {}), jobs, database, logger, ...(url ? { url } : {}), ...(hl7 ? { hl7Port: hl7.port } : {}), stop };
}
