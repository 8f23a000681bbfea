// FHIR Patient search benchmark: latency (p50/p95) of GET /fhir/R4/Patient at 100,000 patients for
// four searches a client makes (name, family+birthdate, identifier, phone), over HTTP through the
// FHIR plugin on a listening server, next to the floor in the same run: the same search SQL run
// directly in a tenant transaction (no HTTP, no FHIR mapping, no audit record).
// Defaults to PostgreSQL, in a scratch database on the server (DATABASE_URL or
// postgres://postgres@127.0.0.1:5432/test); --engine pglite for the embedded database.
// Usage: node bench/fhir-search.ts [--patients N] [--runs N] [--engine postgres|pglite] [--server URL]
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { seedPatients } from '../src/modules/demo/seed.ts';
import { searchPatients } from '../src/modules/fhir/resources/patient-search.ts';
import { MRN_SYSTEM } from '../src/modules/fhir/resources/patient.ts';
import { parseSearch } from '../src/modules/fhir/search.ts';
import { PATIENT_SEARCH_PARAMS } from '../src/modules/fhir/resources/patient.ts';
import { createApiToken, createStaffUser } from '../src/modules/staff/service.ts';
import { createTenant } from '../src/modules/tenants/service.ts';
import { buildApp } from '../src/server/app.ts';
import { loadConfig } from '../src/server/config.ts';
import { refreshStatistics } from '../src/server/db/maintenance.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { withTenant, type TenantContext } from '../src/server/db/scope.ts';
import { machine, openScratchDatabase, seededRandom } from './lib.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '200' },
    engine: { type: 'string', default: 'postgres' },
    server: { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const engine = values.engine;
if (engine !== 'pglite' && engine !== 'postgres') throw new Error('--engine is pglite or postgres');
const patients = Number(values.patients);
const runs = Number(values.runs);

function percentiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return { p50: at(0.5), p95: at(0.95) };
}

const { database, drop } = await openScratchDatabase(engine, { serverUrl: values.server, poolMax: 5, prefix: 'rapport_bench_fhir' });
try {
  await migrateToLatest(database.db);
  const tenant = await createTenant(database.db, { name: 'Bench Clinic', slug: `bench-${randomBytes(3).toString('hex')}`, timeZone: 'America/New_York' });
  const seedStart = performance.now();
  await seedPatients(database.db, { tenantId: tenant.id, patients, now: new Date('2026-11-22T14:00:00Z') });
  await refreshStatistics(database.db);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const { user } = await createStaffUser(database.db, { tenantId: tenant.id, email: `bench-${randomBytes(3).toString('hex')}@staff.example.org`, role: 'admin' });
  const { token } = await createApiToken(database.db, { email: user.email, name: 'bench' });
  const context: TenantContext = { tenantId: tenant.id, actor: { type: 'system', id: null } };

  // Real patients to look for, chosen by a seeded generator so every run asks the same questions.
  const sample = await withTenant(database.db, context, (scope) =>
    scope.tx
      .selectFrom('patient')
      .select(['family_name', 'given_name', 'birth_date', 'phone', 'mrn'])
      .where('birth_date', 'is not', null)
      .where('phone', 'is not', null)
      .where('mrn', 'is not', null)
      .orderBy(sql`md5(id::text)`)
      .limit(500)
      .execute(),
  );
  const random = seededRandom(7);
  const pick = () => sample[Math.floor(random() * sample.length)]!;
  const kinds: Array<{ name: string; query: () => string }> = [
    { name: 'name (given family)', query: () => { const p = pick(); return `name=${encodeURIComponent(`${p.given_name} ${p.family_name}`)}`; } },
    { name: 'family + birthdate', query: () => { const p = pick(); return `family=${encodeURIComponent(p.family_name)}&birthdate=${p.birth_date}`; } },
    { name: 'identifier (MRN)', query: () => `identifier=${encodeURIComponent(`${MRN_SYSTEM}|${pick().mrn}`)}` },
    { name: 'phone', query: () => `phone=${encodeURIComponent(pick().phone!)}` },
  ];

  const app = await buildApp({ config: loadConfig({ RAPPORT_DEMO: 'false', LOG_LEVEL: 'silent' }), database, clock: () => new Date(), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/fhir/R4`;
  const rows: string[] = [];
  let matches = 0;
  try {
    for (const kind of kinds) {
      const queries = Array.from({ length: runs + 20 }, kind.query);
      const http: number[] = [];
      const floor: number[] = [];
      for (const [i, q] of queries.entries()) {
        let t = performance.now();
        const res = await fetch(`${base}/Patient?${q}`, { headers: { authorization: `Bearer ${token}` } });
        const bundle = (await res.json()) as { entry?: unknown[] };
        if (res.status !== 200) throw new Error(`${q}: ${res.status} ${JSON.stringify(bundle)}`);
        if (i >= 20) http.push(performance.now() - t);
        matches += bundle.entry?.length ? 1 : 0;
        const request = parseSearch(Object.fromEntries(new URLSearchParams(q)), PATIENT_SEARCH_PARAMS, [], false);
        t = performance.now();
        await withTenant(database.db, context, (scope) => searchPatients(scope, request));
        if (i >= 20) floor.push(performance.now() - t);
      }
      const h = percentiles(http);
      const f = percentiles(floor);
      rows.push(`| ${kind.name} | ${h.p50} | ${h.p95} | ${f.p50} | ${f.p95} |`);
    }
  } finally {
    await app.close();
  }
  console.log(`\nFHIR Patient search, ${patients.toLocaleString('en-US')} patients, ${engine}, ${runs} queries per kind (seeded in ${seedSeconds.toFixed(0)} s; ${matches} of ${(runs + 20) * kinds.length} queries found their patient)`);
  console.log(machine());
  console.log('\n| search | HTTP p50 ms | HTTP p95 ms | SQL floor p50 ms | SQL floor p95 ms |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  await database.close();
  await drop();
}
