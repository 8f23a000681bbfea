import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * A Kysely dialect over one PGlite instance.
 *
 * PGlite has a single session. Every Kysely connection here is a fresh handle: queries outside a
 * transaction go straight to `pglite.query`, which PGlite queues behind any open transaction, and a
 * transaction runs inside `pglite.transaction`, which holds PGlite's exclusive lock until it ends.
 * So concurrent requests can never interleave inside each other's transactions (Kysely's own PGlite
 * driver shares one connection object between callers, which breaks under concurrency).
 */
export function pgliteDialect(pglite: PGlite): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PGliteDriver(pglite),
    createIntrospector: (db: Kysely<unknown>) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

class PGliteDriver implements Driver {
  private readonly pglite: PGlite;
  constructor(pglite: PGlite) {
    this.pglite = pglite;
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PGliteConnection(this.pglite);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await (connection as PGliteConnection).begin(settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).end('commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PGliteConnection).end('rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint "${name}"`));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    // The owner of the PGlite instance closes it (see connection.ts).
  }
}

type Settle = { resolve: () => void; reject: (error: unknown) => void };

class PGliteConnection implements DatabaseConnection {
  #tx: PGliteTransaction | undefined;
  #settle: Settle | undefined;
  #done: Promise<void> | undefined;
  private readonly pglite: PGlite;

  constructor(pglite: PGlite) {
    this.pglite = pglite;
  }

  async begin(settings: TransactionSettings): Promise<void> {
    let started!: () => void;
    const ready = new Promise<void>((resolve) => (started = resolve));
    this.#done = this.pglite.transaction(async (tx) => {
      this.#tx = tx;
      started();
      await new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    });
    // If BEGIN itself fails, surface that instead of waiting forever.
    await Promise.race([ready, this.#done]);
    if (settings.isolationLevel || settings.accessMode) {
      const parts = [
        settings.isolationLevel ? `isolation level ${settings.isolationLevel}` : '',
        settings.accessMode ?? '',
      ].filter(Boolean);
      await this.executeQuery(CompiledQuery.raw(`set transaction ${parts.join(' ')}`));
    }
  }

  async end(how: 'commit' | 'rollback'): Promise<void> {
    const settle = this.#settle;
    const done = this.#done;
    this.#tx = undefined;
    this.#settle = undefined;
    this.#done = undefined;
    if (how === 'commit') {
      settle?.resolve();
      await done;
    } else {
      settle?.reject(new RollbackSignal());
      await done?.catch((error: unknown) => {
        if (!(error instanceof RollbackSignal)) throw error;
      });
    }
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const target = this.#tx ?? this.pglite;
    if (query.parameters.length === 0) {
      // Like node-postgres, a query without parameters uses the simple protocol, so a migration
      // may hold several statements.
      const results = await target.exec(query.sql);
      const last = results.at(-1);
      return {
        rows: (last?.rows ?? []) as R[],
        numAffectedRows: last?.affectedRows !== undefined ? BigInt(last.affectedRows) : undefined,
      };
    }
    const result = await target.query<R>(query.sql, query.parameters as unknown[]);
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows !== undefined ? BigInt(result.affectedRows) : undefined,
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported on PGlite.');
  }
}

class RollbackSignal extends Error {
  constructor() {
    super('rollback');
  }
}
