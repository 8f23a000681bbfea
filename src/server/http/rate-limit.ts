import { sql, type Kysely } from 'kysely';
import { withSystem } from '../db/scope.ts';
import type { DB } from '../db/types.ts';
import { rateLimited } from '../errors.ts';

/**
 * A fixed-window counter in PostgreSQL, so every web process shares it: at most `limit` hits per
 * `windowSeconds` for one key (an address and a form, say). Refuses with 429 and Retry-After.
 */
export async function enforceRateLimit(
  db: Kysely<DB>,
  input: { key: string; limit: number; windowSeconds: number; now: Date },
): Promise<void> {
  const windowMs = input.windowSeconds * 1000;
  const windowStart = new Date(Math.floor(input.now.getTime() / windowMs) * windowMs);
  const row = await withSystem(db, (tx) =>
    tx
      .insertInto('rate_limit_counter')
      .values({ key: input.key, window_start: windowStart, hits: 1 })
      .onConflict((oc) => oc.columns(['key', 'window_start']).doUpdateSet({ hits: sql`rate_limit_counter.hits + 1` }))
      .returning('hits')
      .executeTakeFirstOrThrow(),
  );
  if (row.hits > input.limit) {
    throw rateLimited((windowStart.getTime() + windowMs - input.now.getTime()) / 1000);
  }
}

/** Drops counters of windows that ended before `before` (housekeeping). */
export async function purgeRateLimitCounters(db: Kysely<DB>, before: Date): Promise<number> {
  const r = await withSystem(db, (tx) => tx.deleteFrom('rate_limit_counter').where('window_start', '<', before).executeTakeFirst());
  return Number(r.numDeletedRows);
}
