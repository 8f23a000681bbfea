import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { pgliteDialect } from './pglite-driver.ts';
import type { DB } from './types.ts';

/** The database Rapport talks to: one Kysely handle, whichever engine is underneath. */
export type Database = {
  db: Kysely<DB>;
  kind: 'pglite' | 'postgres';
  /** Set on the embedded engine: pg-boss shares the same instance. */
  pglite?: PGlite;
  /** Set on a server: pg-boss is given the same connection string. */
  connectionString?: string;
  close(): Promise<void>;
};

// One set of value types on both engines: dates stay 'YYYY-MM-DD' strings (a birth date has no
// time zone), bigint counts become numbers, timestamps become Date.
const DATE_OID = 1082;
const INT8_OID = 20;

const parseInt8 = (value: string): number => {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} does not fit in a JavaScript number`);
  return n;
};

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === DATE_OID) return (value: string) => value;
    if (oid === INT8_OID) return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export type OpenOptions = Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolMax'> & {
  pgliteSharedBuffersMb?: number;
  /** PGlite only: keep the data in memory (tests). */
  inMemory?: boolean;
};

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.databasePoolMax,
      types: pgTypes,
      application_name: 'rapport',
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', connectionString: options.databaseUrl, close: () => db.destroy() };
  }
  if (!options.inMemory) fs.mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create(options.inMemory ? undefined : options.dataDir, {
    parsers: { [DATE_OID]: (value: string) => value, [INT8_OID]: parseInt8 },
    // The extensions the migrations create; a PostgreSQL server ships them in its contrib package.
    extensions: { btree_gist, fuzzystrmatch, pg_trgm, unaccent },
    postgresqlconf: `shared_buffers = ${options.pgliteSharedBuffersMb ?? 16}MB`,
  });
  const db = new Kysely<DB>({ dialect: pgliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    pglite,
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
