import { sql, type Kysely } from 'kysely';
import { withSystem } from './scope.ts';
import type { DB } from './types.ts';

/**
 * Refreshes the planner's statistics. A PostgreSQL server does this itself (autovacuum); PGlite
 * never does, and with no statistics its planner takes a 100,000-patient table for an empty one
 * and picks plans that take minutes. So after bulk writes (seed, import) and every hour on PGlite.
 */
export async function refreshStatistics(db: Kysely<DB>): Promise<void> {
  await withSystem(db, (tx) => sql`analyze`.execute(tx));
}
