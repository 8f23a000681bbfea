import type { Kysely } from 'kysely';
import { Migrator, type MigrationInfo } from 'kysely/migration';
import type { DB } from './types.ts';
import { migrations } from './migrations/index.ts';

function migrator(db: Kysely<DB>): Migrator {
  return new Migrator({
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see the schema as it was, not DB
    db: db as Kysely<any>,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migration',
    migrationLockTableName: 'schema_migration_lock',
  });
}

/** Brings the schema up to date. Safe to run from several processes at once (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<DB>): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String((error as Error).message ?? error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Names of migrations this code knows that the database has not run. */
export async function pendingMigrations(db: Kysely<DB>): Promise<string[]> {
  const infos: readonly MigrationInfo[] = await migrator(db).getMigrations();
  return infos.filter((m) => !m.executedAt).map((m) => m.name);
}
