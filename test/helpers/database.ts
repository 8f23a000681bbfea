import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/server/db/connection.ts';
import { migrateToLatest } from '../../src/server/db/migrate.ts';

export type Engine = 'pglite' | 'postgres';

/**
 * The engines the database tests run on: always the embedded PGlite, and also the PostgreSQL
 * server named by DATABASE_URL when it is set.
 */
export function engines(): Engine[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export type TestDatabase = Database & { engine: Engine; url?: string; dispose(): Promise<void> };

/**
 * A fresh, migrated database for one test file: an in-memory PGlite, or a new database created on
 * the DATABASE_URL server and dropped afterwards. Tests then make their own tenants inside it.
 */
export async function openTestDatabase(engine: Engine, options: { migrate?: boolean; poolMax?: number } = {}): Promise<TestDatabase> {
  let url: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  if (engine === 'postgres') {
    const serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) throw new Error('DATABASE_URL is not set');
    const name = `rapport_t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const database = await openDatabase({ databaseUrl: url, dataDir: '', databasePoolMax: options.poolMax ?? 5, inMemory: true });
  if (options.migrate !== false) await migrateToLatest(database.db);
  return {
    ...database,
    engine,
    ...(url ? { url } : {}),
    async dispose() {
      await database.close();
      await drop?.();
    },
  };
}
