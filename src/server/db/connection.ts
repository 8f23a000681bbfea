import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
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
    // A connection the server drops while idle in the pool (a restart, a failover, a DBA's
    // pg_terminate_backend) is replaced on next use; without a listener it would crash the process.
    pool.on('error', (error) => process.stderr.write(`PostgreSQL connection lost while idle: ${error.message}\n`));
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', connectionString: options.databaseUrl, close: () => db.destroy() };
  }
  let unlock = () => {};
  if (!options.inMemory) {
    fs.mkdirSync(options.dataDir, { recursive: true });
    unlock = lockDataDir(options.dataDir);
  }
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(options.inMemory ? undefined : options.dataDir, {
      parsers: { [DATE_OID]: (value: string) => value, [INT8_OID]: parseInt8 },
      // The extensions the migrations create; a PostgreSQL server ships them in its contrib package.
      extensions: { btree_gist, fuzzystrmatch, pg_trgm, unaccent },
      postgresqlconf: `shared_buffers = ${options.pgliteSharedBuffersMb ?? 16}MB`,
    });
  } catch (error) {
    unlock();
    throw error;
  }
  const db = new Kysely<DB>({ dialect: pgliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    pglite,
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      unlock();
    },
  };
}

/**
 * PGlite is a single-process database: two processes on one data directory would corrupt it. The
 * first to open it leaves its pid in a lock file; another process is refused while that pid lives.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'rapport.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new AppError(
          409,
          'data_dir_in_use',
          `The embedded database in ${dataDir} is in use by another Rapport process (pid ${holder}). ` +
            'Stop it first, or run Rapport on a PostgreSQL server (DATABASE_URL) to use several processes at once.',
        );
      }
      fs.rmSync(lockPath, { force: true }); // left behind by a process that has ended
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
