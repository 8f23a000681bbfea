// FHIR import rate: the 20 Synthea bundles of ../shared/fixtures/synthea-r4 repeated until there are
// --patients patients (each copy with its own resource ids, identifiers and patient names, so every
// copy is a distinct patient; organizations and practitioners stay shared, as a region's hospitals
// are), written to a temporary folder and imported with the same code as `rapport import fhir`, on
// PGlite and (with --database-url or DATABASE_URL) on PostgreSQL. In the same run, the ceiling: the
// rows the import produced, copied into plain tables of the same columns (no indexes, triggers or
// row-level security) by COPY: on PGlite COPY FROM '/dev/blob', on PostgreSQL COPY FROM STDIN
// through pg-copy-streams. A second import of the same files measures the "all unchanged" pass.
// Usage: node bench/fhir-import.ts [--patients 500] [--batch 2000] [--database-url URL]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { totals } from '../src/modules/fhir-import/report.ts';
import { importFhirPath } from '../src/modules/fhir-import/run.ts';
import { createTenant } from '../src/modules/tenants/service.ts';
import type { Database } from '../src/server/db/connection.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { machine, openScratchDatabase } from './lib.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '500' },
    batch: { type: 'string', default: '2000' },
    'database-url': { type: 'string' },
  },
});
const PATIENTS = Number(values.patients);
const BATCH = Number(values.batch);
const SERVER = values['database-url'] ?? process.env.DATABASE_URL;
// All twenty bundles from the workplace's shared fixtures when they are there, else the five kept in the repo.
const SHARED_FIXTURES = path.resolve(import.meta.dirname, '../../shared/fixtures/synthea-r4');
const FIXTURES = existsSync(SHARED_FIXTURES) ? SHARED_FIXTURES : path.resolve(import.meta.dirname, '../test/fixtures/synthea-r4');
const TABLES = ['organization', 'practitioner', 'patient', 'encounter', 'condition', 'immunization', 'patient_medication', 'care_plan', 'claim'] as const;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const SUFFIX = ['son', 'ley', 'ford', 'wood', 'well', 'by', 'ton', 'more', 'field', 'worth', 'land', 'brook', 'dale'];

/** Copy `k` of a bundle: every uuid but the shared organizations' and practitioners' replaced, the patient renamed. */
function copyOf(text: string, k: number, shared: Set<string>): string {
  const hex = k.toString(16).padStart(6, '0');
  const rewritten = text.replace(UUID, (u) => (shared.has(u) ? u : `${u.slice(0, 24)}${hex}${u.slice(30)}`));
  const bundle = JSON.parse(rewritten) as { entry: Array<{ resource: { resourceType: string; name?: Array<{ family?: string; given?: string[] }>; identifier?: Array<{ value?: string }> } }> };
  for (const { resource } of bundle.entry) {
    if (resource.resourceType !== 'Patient') continue;
    // A surname of letters only: the duplicate check folds digits away, letters keep copies apart.
    const suffix = `${SUFFIX[k % SUFFIX.length]}${SUFFIX[Math.floor(k / SUFFIX.length) % SUFFIX.length]}`;
    for (const name of resource.name ?? []) if (name.family) name.family = `${name.family}${suffix}`;
    for (const id of resource.identifier ?? []) if (id.value && !/^[0-9a-f]{8}-/.test(id.value)) id.value = `${id.value}-${k}`;
  }
  return JSON.stringify(bundle);
}

function writeCopies(dir: string): { files: number; resources: number } {
  const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.json')).sort();
  const texts = names.map((n) => readFileSync(path.join(FIXTURES, n), 'utf8'));
  const shared = new Set<string>();
  for (const text of texts) {
    for (const e of (JSON.parse(text) as { entry: Array<{ resource: { resourceType: string; id: string } }> }).entry) {
      if (e.resource.resourceType === 'Organization' || e.resource.resourceType === 'Practitioner') shared.add(e.resource.id);
    }
  }
  const copies = Math.ceil(PATIENTS / names.length);
  let resources = 0;
  for (let k = 0; k < copies; k++) {
    names.forEach((name, i) => {
      const text = copyOf(texts[i]!, k, shared);
      resources += (JSON.parse(text) as { entry: unknown[] }).entry.length;
      writeFileSync(path.join(dir, `${String(k).padStart(3, '0')}-${name}`), text);
    });
  }
  return { files: copies * names.length, resources };
}

type Figures = { engine: string; resources: number; kept: number; patients: number; seconds: number; again: number; rows: number; copySeconds: number; failed: number };

async function measure(engine: 'pglite' | 'postgres', dir: string): Promise<Figures> {
  const { database, drop } = await openScratchDatabase(engine, { serverUrl: SERVER ?? '', poolMax: 4, prefix: 'rapport_bench_fhir' });
  try {
    await migrateToLatest(database.db);
    const tenant = await createTenant(database.db, { name: 'Bench Clinic', slug: 'bench', timeZone: 'America/New_York' });
    const deps = { db: database.db, clock: () => new Date() };
    const first = await importFhirPath(deps, { tenantId: tenant.id, path: dir, dryRun: false }, { batchEntries: BATCH });
    const t = totals(first.report);
    const again = await importFhirPath(deps, { tenantId: tenant.id, path: dir, dryRun: false }, { batchEntries: BATCH });
    const ceiling = await copyCeiling(database, tenant.id);
    return {
      engine,
      resources: first.report.resources,
      kept: first.report.resources - t.skipped,
      patients: first.report.byType.Patient?.created ?? 0,
      seconds: first.ms / 1000,
      again: again.ms / 1000,
      failed: t.failed,
      ...ceiling,
    };
  } finally {
    await database.close();
    await drop();
  }
}

/** The imported rows, copied into plain tables of the same columns: the rate nothing can beat. */
async function copyCeiling(database: Database, tenantId: string): Promise<{ rows: number; copySeconds: number }> {
  let rows = 0;
  let ms = 0;
  if (database.pglite) {
    const pg = database.pglite;
    for (const table of TABLES) {
      const out = await pg.query(`COPY (SELECT * FROM ${table}) TO '/dev/blob' WITH (FORMAT csv)`);
      await pg.exec(`CREATE TEMP TABLE copy_${table} (LIKE ${table})`);
      const started = performance.now();
      const copied = await pg.query(`COPY copy_${table} FROM '/dev/blob' WITH (FORMAT csv)`, [], { blob: out.blob! });
      ms += performance.now() - started;
      rows += copied.affectedRows ?? 0;
    }
    return { rows, copySeconds: ms / 1000 };
  }
  // A server: COPY ... TO STDOUT into memory, then COPY ... FROM STDIN into a plain table (timed),
  // through pg-copy-streams on one connection as the database's owner.
  const client = new pg.Client({ connectionString: database.connectionString! });
  await client.connect();
  try {
    for (const table of TABLES) {
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(`COPY (SELECT * FROM ${table} WHERE tenant_id = '${tenantId}') TO STDOUT WITH (FORMAT csv)`))) chunks.push(chunk as Buffer);
      await client.query(`CREATE TEMP TABLE copy_${table} (LIKE ${table})`);
      const started = performance.now();
      const sink = client.query(copyFrom(`COPY copy_${table} FROM STDIN WITH (FORMAT csv)`));
      await pipeline(Readable.from(chunks), sink);
      ms += performance.now() - started;
      rows += sink.rowCount ?? 0;
    }
  } finally {
    await client.end();
  }
  return { rows, copySeconds: ms / 1000 };
}

const dir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-fhir-'));
try {
  const written = writeCopies(dir);
  process.stderr.write(`${written.files} bundles, ${written.resources} resources in ${dir}\n`);
  const results: Figures[] = [await measure('pglite', dir)];
  if (SERVER) results.push(await measure('postgres', dir));
  else process.stderr.write('No --database-url or DATABASE_URL: PostgreSQL skipped.\n');
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`\n${machine()}; ${PATIENTS} patients requested, batches of ${BATCH} resources\n`);
  console.log('| engine | patients | resources (kept) | import | resources/s | kept/s | re-import (unchanged) | rows copied | COPY ceiling rows/s | failed |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.engine} | ${n(r.patients)} | ${n(r.resources)} (${n(r.kept)}) | ${r.seconds.toFixed(1)} s | ${n(r.resources / r.seconds)} | ${n(r.kept / r.seconds)} | ` +
        `${r.again.toFixed(1)} s, ${n(r.resources / r.again)}/s | ${n(r.rows)} | ${n(r.rows / r.copySeconds)} | ${r.failed} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
