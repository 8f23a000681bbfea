import type { Kysely } from 'kysely';
import { withTenant } from '../../src/server/db/scope.ts';
import type { DB } from '../../src/server/db/types.ts';
import { adapterRegistry, type AdapterRegistry } from '../../src/modules/messaging/adapters.ts';
import { runOutboxPass, type OutboxWorkerOptions, type PassResult } from '../../src/modules/messaging/worker.ts';

/** Outbox worker options for a test: its own clock, adapters (sandbox unless given), one pass at a time. */
export function outboxOptions(db: Kysely<DB>, clock: () => Date, options: { adapters?: AdapterRegistry; smtpUrl?: string; worker?: string } = {}): OutboxWorkerOptions {
  return {
    db,
    clock,
    adapters: options.adapters ?? adapterRegistry({ smtpUrl: options.smtpUrl }),
    baseUrl: 'https://rapport.test',
    worker: options.worker ?? 'test-worker',
    concurrency: 2,
    batchSize: 50,
  };
}

/** Runs the outbox until nothing is due at the clock's current time. */
export async function drainOutbox(options: OutboxWorkerOptions): Promise<PassResult> {
  return runOutboxPass(options);
}

/** The tenant's messages, oldest first, with what staff would see. */
export async function messagesOf(db: Kysely<DB>, tenantId: string) {
  return withTenant(db, { tenantId, actor: { type: 'system', id: null } }, (scope) =>
    scope.tx.selectFrom('message').selectAll().orderBy('created_at').orderBy('due_at').execute(),
  );
}
