import type { Logger } from 'pino';
import pg from 'pg';
import type { Database } from '../../server/db/connection.ts';
import { claimDueDeliveries, deliverWebhook, nextDeliveryDueAt, type DeliveryDeps } from './delivery.ts';

/**
 * The webhook worker: sends due deliveries in batches until nothing is due, then sleeps until a
 * NOTIFY on 'rapport_webhooks' (an event was written), the next due time, or the idle poll. Several
 * workers share the work through SKIP LOCKED claims. HTTP calls run outside transactions, so
 * `concurrency` does not hold database connections while receivers answer.
 */

export type WebhookWorkerOptions = DeliveryDeps & {
  concurrency?: number;
  batchSize?: number;
  /** Longest sleep without a notification. */
  idleMs?: number;
  logger?: Logger | undefined;
};

export type WebhookWorker = { stop(): Promise<void>; wake(): void };

export type WebhookPassResult = { deliveries: number; outcomes: Record<string, number> };

/** One pass: due deliveries, in batches, until none are left due at the clock's time. */
export async function runWebhookPass(options: WebhookWorkerOptions, shouldStop: () => boolean = () => false): Promise<WebhookPassResult> {
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 4;
  const result: WebhookPassResult = { deliveries: 0, outcomes: {} };
  for (;;) {
    if (shouldStop()) return result;
    const claims = await claimDueDeliveries(options, batchSize);
    let next = 0;
    const lanes = Array.from({ length: Math.min(concurrency, claims.length) }, async () => {
      while (next < claims.length) {
        const claim = claims[next++]!;
        try {
          const outcome = await deliverWebhook(options, claim);
          result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
        } catch (error) {
          // The lease runs out and a later pass tries again; nothing is lost.
          result.outcomes.error = (result.outcomes.error ?? 0) + 1;
          options.logger?.error({ err: error, deliveryId: claim.id }, 'webhook delivery failed');
        }
      }
    });
    await Promise.all(lanes);
    result.deliveries += claims.length;
    if (claims.length < batchSize) return result;
  }
}

export async function startWebhookWorker(database: Database, options: WebhookWorkerOptions): Promise<WebhookWorker> {
  let stopped = false;
  let pending = false;
  let wakeUp: (() => void) | null = null;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const unlisten = await listen(database, wake, options.logger);
  const loop = (async () => {
    while (!stopped) {
      pending = false;
      try {
        await runWebhookPass(options, () => stopped);
      } catch (error) {
        options.logger?.error({ err: error }, 'webhook pass failed');
      }
      if (stopped) break;
      const idle = options.idleMs ?? 5000;
      let sleep = idle;
      try {
        const next = await nextDeliveryDueAt(options.db);
        if (next) sleep = Math.min(idle, Math.max(0, next.getTime() - options.clock().getTime()));
      } catch (error) {
        options.logger?.error({ err: error }, 'webhook look-ahead failed');
      }
      if (pending || sleep === 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sleep);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  })();
  return {
    wake,
    async stop() {
      stopped = true;
      wakeUp?.();
      await loop;
      await unlisten();
    },
  };
}

/** LISTEN on the embedded engine through PGlite, on a server through one dedicated connection. */
async function listen(database: Database, onNotify: () => void, logger?: Logger): Promise<() => Promise<void>> {
  if (database.kind === 'pglite' && database.pglite) {
    return database.pglite.listen('rapport_webhooks', onNotify);
  }
  if (!database.connectionString) return async () => {};
  const client = new pg.Client({ connectionString: database.connectionString, application_name: 'rapport-webhooks' });
  // Losing the connection only loses the wake-ups: the idle poll still finds due work.
  client.on('error', (error) => logger?.warn({ err: error }, 'webhooks LISTEN connection lost'));
  client.on('notification', onNotify);
  await client.connect();
  await client.query('LISTEN rapport_webhooks');
  return async () => {
    await client.end().catch(() => {});
  };
}
