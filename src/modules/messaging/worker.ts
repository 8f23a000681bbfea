import type { Logger } from 'pino';
import pg from 'pg';
import type { Database } from '../../server/db/connection.ts';
import { advanceRun, claimDueRuns, nextRunAt } from '../journeys/engine.ts';
import { claimDueMessages, deliverBatch, inParallel, nextDueAt, type Claim, type DispatchDeps } from './dispatch.ts';

/**
 * The outbox worker: wakes due journey runs and sends due messages, in batches, until nothing is
 * due; then sleeps until a NOTIFY on 'rapport_outbox' (a message or run was inserted), the next
 * due time, or the idle poll, whichever is first. Several workers (in several processes) share
 * the work through SKIP LOCKED claims.
 */

export type OutboxWorkerOptions = DispatchDeps & {
  /** Batches (or journey runs) worked at once by this worker; each holds a database connection. */
  concurrency?: number;
  /** Messages claimed at a time. */
  batchSize?: number;
  /** Messages of one tenant sent in one transaction. */
  sendBatchSize?: number;
  /** How long before their instant reminders before a visit are turned into outbox messages (see claimDueRuns); 0 wakes runs at their instant. */
  runLookaheadSeconds?: number;
  /** Longest sleep without a notification. */
  idleMs?: number;
  logger?: Logger | undefined;
};

export type OutboxWorker = { stop(): Promise<void>; wake(): void };

export type PassResult = { runs: number; messages: number; outcomes: Record<string, number> };

/** One pass: due runs, then due messages, each in batches until none are left due. */
export async function runOutboxPass(options: OutboxWorkerOptions, shouldStop: () => boolean = () => false): Promise<PassResult> {
  const batchSize = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 4;
  const result: PassResult = { runs: 0, messages: 0, outcomes: {} };
  for (;;) {
    if (shouldStop()) return result;
    const runs = await claimDueRuns(options.db, batchSize, options.clock(), options.leaseSeconds, options.runLookaheadSeconds);
    await inParallel(runs, concurrency, async (claim) => {
      await advanceRun(options.db, claim, options.clock());
    });
    result.runs += runs.length;
    if (shouldStop()) return result;
    const messages = await claimDueMessages(options, batchSize);
    let requeued = 0;
    await inParallel(sendBatches(messages, options.sendBatchSize ?? 25), concurrency, async (batch) => {
      try {
        for (const outcome of await deliverBatch(options, batch)) {
          result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
          if (outcome === 'requeued') requeued++;
        }
      } catch (error) {
        // The claims' leases run out and another pass tries again; nothing is lost.
        result.outcomes.error = (result.outcomes.error ?? 0) + batch.length;
        options.logger?.error({ err: error, messageIds: batch.map((c) => c.id) }, 'message delivery failed');
      }
    });
    result.messages += messages.length;
    if (runs.length < batchSize && messages.length < batchSize && requeued === 0) return result;
  }
}

/** Claims split by tenant, then into transactions of at most `size` messages. */
function sendBatches(claims: Claim[], size: number): Claim[][] {
  const byTenant = new Map<string, Claim[]>();
  for (const claim of claims) byTenant.set(claim.tenant_id, [...(byTenant.get(claim.tenant_id) ?? []), claim]);
  return [...byTenant.values()].flatMap((list) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size)));
}

export async function startOutboxWorker(database: Database, options: OutboxWorkerOptions): Promise<OutboxWorker> {
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  let pending = false;
  const wake = () => {
    pending = true;
    wakeUp?.();
  };
  const unlisten = await listen(database, wake, options.logger);
  const loop = (async () => {
    while (!stopped) {
      pending = false;
      try {
        await runOutboxPass(options, () => stopped);
      } catch (error) {
        options.logger?.error({ err: error }, 'outbox pass failed');
      }
      if (stopped) break;
      const idle = options.idleMs ?? 5000;
      let sleep = idle;
      try {
        const next = [await nextDueAt(options.db), await nextRunAt(options.db)].filter((d): d is Date => d !== null);
        if (next.length) sleep = Math.min(idle, Math.max(0, Math.min(...next.map((d) => d.getTime())) - options.clock().getTime()));
      } catch (error) {
        options.logger?.error({ err: error }, 'outbox look-ahead failed');
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
    return database.pglite.listen('rapport_outbox', onNotify);
  }
  if (!database.connectionString) return async () => {};
  const client = new pg.Client({ connectionString: database.connectionString, application_name: 'rapport-outbox' });
  // Losing the connection only loses the wake-ups: the idle poll still finds due work.
  client.on('error', (error) => logger?.warn({ err: error }, 'outbox LISTEN connection lost'));
  client.on('notification', onNotify);
  await client.connect();
  await client.query('LISTEN rapport_outbox');
  return async () => {
    await client.end().catch(() => {});
  };
}
