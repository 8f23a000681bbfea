/**
 * An outbox worker in a process of its own, for tests that kill workers (crash.int.test.ts): it
 * opens the PostgreSQL database named by DATABASE_URL, sends email through the SMTP server at
 * SMTP_URL, and runs the real worker loop (startOutboxWorker) on the wall clock until SIGTERM.
 * Prints "ready" once it is listening for work.
 *
 * Environment: DATABASE_URL, SMTP_URL, WORKER_NAME, LEASE_SECONDS (default 2), CONCURRENCY
 * (default 2), BATCH_SIZE (default 10), HOLD_AFTER_SEND_MS (default 0: how long the provider's
 * answer takes to come back after it accepted the message, which widens the window in which a
 * killed worker leaves a message accepted by the provider but not recorded as sent).
 */
import { adapterRegistry, type AdapterRegistry } from '../../src/modules/messaging/adapters.ts';
import { startOutboxWorker } from '../../src/modules/messaging/worker.ts';
import { openDatabase } from '../../src/server/db/connection.ts';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const concurrency = Number(env('CONCURRENCY', '2'));
const holdMs = Number(env('HOLD_AFTER_SEND_MS', '0'));
const database = await openDatabase({ databaseUrl: env('DATABASE_URL'), dataDir: '', databasePoolMax: concurrency + 2 });
const smtp = adapterRegistry({ smtpUrl: env('SMTP_URL') });
const adapters: AdapterRegistry = {
  adapterFor(tenantId, channel, settings) {
    const inner = smtp.adapterFor(tenantId, channel, settings);
    if (!holdMs) return inner;
    return {
      provider: inner.provider,
      async send(message) {
        const result = await inner.send(message);
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        return result;
      },
    };
  },
  close: () => smtp.close(),
};

const worker = await startOutboxWorker(database, {
  db: database.db,
  clock: () => new Date(),
  adapters,
  baseUrl: 'https://rapport.test',
  worker: env('WORKER_NAME', `worker-${process.pid}`),
  leaseSeconds: Number(env('LEASE_SECONDS', '2')),
  concurrency,
  batchSize: Number(env('BATCH_SIZE', '10')),
  idleMs: 100,
});
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  void (async () => {
    await worker.stop();
    await adapters.close();
    await database.close();
    process.exit(0);
  })();
});
