// Search benchmark: latency (p50/p95/p99) and hit rate of the patient search over a mix of
// exact, misspelled, partial, phone, date-of-birth and email queries built from real seeded
// patients, beside the naive `like '%term%'` query the patient list used before, in the same run.
// Seeds with the real CLI into a fresh PGlite directory or a fresh database on a PostgreSQL server.
// Usage: node bench/search.ts [--patients N] [--engine pglite|postgres] [--queries N]
//          [--baseline-queries N] [--server URL] [--database-url URL | --data-dir DIR] [--keep]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { searchPatients } from '../src/modules/search/patient-search.ts';
import { loadConfig } from '../src/server/config.ts';
import { openDatabase, type Database } from '../src/server/db/connection.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { withSystem, withTenant, type TenantContext } from '../src/server/db/scope.ts';
import { machine, run } from './lib.ts';
import { baselineSearch, buildQueries, type BenchQuery } from './search/queries.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    engine: { type: 'string', default: 'pglite' },
    queries: { type: 'string', default: '1000' },
    'baseline-queries': { type: 'string', default: '140' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'database-url': { type: 'string' },
    'data-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const patients = Number(values.patients);
const engine = values.engine;
const queryCount = Number(values.queries);
const baselineCount = Number(values['baseline-queries']);
if (engine !== 'pglite' && engine !== 'postgres') throw new Error('--engine is pglite or postgres');
const AIM_P95_MS = engine === 'postgres' ? 20 : 50;
const LIMIT = 20;

type Place = { env: NodeJS.ProcessEnv; cleanup(): Promise<void>; reused: boolean };

/** Where the data lives: a given database or directory, or a fresh one made here. */
async function place(): Promise<Place> {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DEMO: 'false', LOG_LEVEL: 'warn' };
  if (values['database-url']) return { env: { ...env, DATABASE_URL: values['database-url'] }, reused: true, cleanup: async () => {} };
  if (values['data-dir']) {
    delete env.DATABASE_URL;
    return { env: { ...env, RAPPORT_DATA_DIR: values['data-dir'] }, reused: true, cleanup: async () => {} };
  }
  if (engine === 'pglite') {
    delete env.DATABASE_URL;
    const dir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-search-'));
    return { env: { ...env, RAPPORT_DATA_DIR: dir }, reused: false, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `rapport_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: values.server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(values.server);
  url.pathname = `/${name}`;
  return {
    env: { ...env, DATABASE_URL: url.toString() },
    reused: false,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: values.server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

type Result = { kind: string; ms: number; top5: boolean; found: boolean };

async function measure(
  database: Database,
  context: TenantContext,
  queries: BenchQuery[],
  search: (q: BenchQuery) => (scope: Parameters<Parameters<typeof withTenant>[2]>[0]) => Promise<string[]>,
): Promise<Result[]> {
  const results: Result[] = [];
  for (const q of queries) {
    const started = performance.now();
    const ids = await withTenant(database.db, context, search(q));
    const ms = performance.now() - started;
    const at = ids.indexOf(q.patientId);
    results.push({ kind: q.kind, ms, top5: at >= 0 && at < 5, found: at >= 0 });
  }
  return results;
}

function table(title: string, results: Result[]): string {
  const kinds = [...new Set(results.map((r) => r.kind)), 'all'];
  const lines = [`${title}`, '', '| query kind | n | p50 (ms) | p95 (ms) | p99 (ms) | intended patient in top 5 | in the 20 returned |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const kind of kinds) {
    const rows = kind === 'all' ? results : results.filter((r) => r.kind === kind);
    const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
    const pct = (n: number) => `${Math.round((100 * n) / rows.length)}%`;
    lines.push(
      `| ${kind} | ${rows.length} | ${percentile(ms, 50).toFixed(1)} | ${percentile(ms, 95).toFixed(1)} | ${percentile(ms, 99).toFixed(1)} | ${pct(rows.filter((r) => r.top5).length)} | ${pct(rows.filter((r) => r.found).length)} |`,
    );
  }
  return lines.join('\n');
}

const where = await place();
try {
  console.log(`machine: ${machine()}`);
  let seedNote = 'reused';
  if (!where.reused) {
    run(process.execPath, ['bin/rapport.js', 'tenant', 'create', '--name', 'Bench Clinic', '--time-zone', 'America/New_York'], where.env);
    const seeded = run(process.execPath, ['bin/rapport.js', 'seed', '--patients', String(patients), '--seed', '1'], where.env);
    seedNote = `${seeded.stdout.trim()} (${(seeded.ms / 1000).toFixed(1)} s wall)`;
  }
  console.log(`seed: ${seedNote}`);

  const config = loadConfig(where.env);
  const database = await openDatabase(config);
  try {
    await migrateToLatest(database.db);
    const tenant = await withSystem(database.db, (tx) => tx.selectFrom('tenant').select('id').orderBy('created_at').executeTakeFirstOrThrow());
    const context: TenantContext = { tenantId: tenant.id, actor: { type: 'system', id: null } };
    const queries = await withTenant(database.db, context, (scope) => buildQueries(scope, queryCount, 7));
    const today = new Date().toISOString().slice(0, 10);
    const ours = (q: BenchQuery) => async (scope: Parameters<Parameters<typeof withTenant>[2]>[0]) =>
      (await searchPatients(scope, { q: q.text, limit: LIMIT, today })).map((h) => h.id);
    const naive = (q: BenchQuery) => (scope: Parameters<Parameters<typeof withTenant>[2]>[0]) => baselineSearch(scope, q.text, LIMIT);

    await measure(database, context, queries.slice(0, 50), ours); // warm-up, not counted
    const searchResults = await measure(database, context, queries, ours);
    // The baseline reads the whole tenant per query, so it runs on a sample with every kind in it.
    const perKind = Math.ceil(baselineCount / new Set(queries.map((q) => q.kind)).size);
    const taken = new Map<string, number>();
    const sample = queries.filter((q) => {
      taken.set(q.kind, (taken.get(q.kind) ?? 0) + 1);
      return taken.get(q.kind)! <= perKind;
    });
    const baselineResults = baselineCount > 0 ? await measure(database, context, sample, naive) : [];

    const size = await withSystem(database.db, async (tx) => {
      const { rows } = await sql<{ gin: string; heap: string }>`
        select pg_size_pretty(pg_relation_size('patient_search_keys_idx')) as gin, pg_size_pretty(pg_relation_size('patient')) as heap`.execute(tx);
      return rows[0]!;
    });
    const p95 = percentile(searchResults.map((r) => r.ms).sort((a, b) => a - b), 95);
    console.log(`\nengine ${database.kind}, ${patients.toLocaleString('en-US')} patients, limit ${LIMIT}; search index ${size.gin}, patient table ${size.heap}\n`);
    console.log(table(`searchPatients, ${searchResults.length} queries (in process, each in its own withTenant transaction with its audit record):`, searchResults));
    console.log(`\naim: p95 under ${AIM_P95_MS} ms: ${p95 <= AIM_P95_MS ? 'met' : 'NOT met'} (${p95.toFixed(1)} ms)\n`);
    if (baselineResults.length) {
      console.log(table(`baseline: the patient list's former like '%term%' search, ${baselineResults.length} of the same queries:`, baselineResults));
    }
  } finally {
    await database.close();
  }
} finally {
  if (!values.keep) await where.cleanup();
  else console.log(`kept: ${where.env.DATABASE_URL ?? where.env.RAPPORT_DATA_DIR}`);
}
