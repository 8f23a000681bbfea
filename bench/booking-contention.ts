// Booking throughput under contention: many HTTP clients booking overlapping times with a few
// practitioners (random starts on a 10-minute grid, 30-minute visits), through the real API
// (session cookie, validation, rules, exclusion constraints). Reports bookings per second and
// conflicts (409) per second, then checks with a self-join that no two active appointments of a
// practitioner overlap. In the same run, the same number of uncontended bookings (every request a
// free time of its own) is the baseline.
// Usage: node bench/booking-contention.ts [--engine pglite|postgres] [--server URL]
//          [--requests 2000] [--concurrency 32] [--practitioners 4]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { buildApp } from '../src/server/app.ts';
import { loadConfig } from '../src/server/config.ts';
import { refreshStatistics } from '../src/server/db/maintenance.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { withTenant } from '../src/server/db/scope.ts';
import { createStaffUser } from '../src/modules/staff/service.ts';
import { createTenant } from '../src/modules/tenants/service.ts';
import { machine, openScratchDatabase, seededRandom } from './lib.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'pglite' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    practitioners: { type: 'string', default: '4' },
  },
});
const engine = values.engine;
if (engine !== 'pglite' && engine !== 'postgres') throw new Error('--engine is pglite or postgres');
const requests = Number(values.requests);
const concurrency = Number(values.concurrency);
const practitionerCount = Number(values.practitioners);
const ZONE = 'America/New_York';
const NOW = new Date('2026-11-22T14:00:00Z');

const { database, drop } = await openScratchDatabase(engine, { serverUrl: values.server, poolMax: 20, prefix: 'rapport_bench_book' });
try {
  await migrateToLatest(database.db);
  const tenant = await createTenant(database.db, { name: 'Bench Clinic', slug: `bench-${randomBytes(3).toString('hex')}`, timeZone: ZONE });
  const { password, user } = await createStaffUser(database.db, { tenantId: tenant.id, email: `bench-${randomBytes(3).toString('hex')}@example.org`, role: 'front_desk' });
  const context = { tenantId: tenant.id, actor: { type: 'system' as const, id: null } };
  const setup = await withTenant(database.db, context, async (scope) => {
    const location = await scope.tx.insertInto('location').values({ tenant_id: tenant.id, name: 'Main', time_zone: ZONE }).returning('id').executeTakeFirstOrThrow();
    const service = await scope.tx.insertInto('service').values({ tenant_id: tenant.id, name: 'Visit', duration_minutes: 30 }).returning('id').executeTakeFirstOrThrow();
    await scope.tx.insertInto('service_location').values({ tenant_id: tenant.id, service_id: service.id, location_id: location.id }).execute();
    const practitioners: string[] = [];
    for (let i = 0; i < practitionerCount * 2; i++) {
      const p = await scope.tx.insertInto('practitioner').values({ tenant_id: tenant.id, given_name: `P${i}`, family_name: 'Bench' }).returning('id').executeTakeFirstOrThrow();
      practitioners.push(p.id);
      await scope.tx.insertInto('service_practitioner').values({ tenant_id: tenant.id, service_id: service.id, practitioner_id: p.id }).execute();
      await scope.tx
        .insertInto('availability_rule')
        .values([1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ tenant_id: tenant.id, practitioner_id: p.id, location_id: location.id, weekday, start_time: '00:00', end_time: '24:00' })))
        .execute();
    }
    const patients = await sql<{ id: string }>`
      insert into patient (tenant_id, given_name, family_name)
      select ${tenant.id}::uuid, 'Bench', 'Patient ' || g from generate_series(1, ${requests * 2}) g returning id`.execute(scope.tx);
    return { locationId: location.id, serviceId: service.id, practitioners, patients: patients.rows.map((r) => r.id) };
  });
  await refreshStatistics(database.db);

  const app = await buildApp({ config: { ...loadConfig({ RAPPORT_DEMO: 'false', LOG_LEVEL: 'silent' }), sessionIdleMinutes: 600 }, database, clock: () => NOW, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: user.email, password }) });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;

  const day = DateTime.fromJSDate(NOW, { zone: ZONE }).plus({ days: 1 }).startOf('day');
  async function drive(label: string, pick: (i: number) => { practitionerId: string; start: DateTime; patientId: string }) {
    let next = 0;
    const counts = new Map<number, number>();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const i = next++;
          const { practitionerId, start, patientId } = pick(i);
          const res = await fetch(`${base}/api/appointments`, {
            method: 'POST',
            headers: { cookie, 'content-type': 'application/json' },
            body: JSON.stringify({ patientId, serviceId: setup.serviceId, practitionerId, locationId: setup.locationId, startsAt: start.toISO() }),
          });
          await res.arrayBuffer();
          counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const booked = counts.get(201) ?? 0;
    const conflicts = counts.get(409) ?? 0;
    const other = requests - booked - conflicts;
    console.log(`| ${label} | ${requests} | ${(requests / seconds).toFixed(0)} | ${booked} | ${(booked / seconds).toFixed(1)} | ${conflicts} | ${(conflicts / seconds).toFixed(1)} | ${other} |`);
    if (other) console.log(`  statuses: ${JSON.stringify(Object.fromEntries(counts))}`);
    return { booked, other };
  }

  console.log(`Machine: ${machine()}`);
  console.log(`Engine: ${engine}; ${concurrency} concurrent clients over HTTP, ${requests} requests per phase, 30-minute visits`);
  console.log('| phase | requests | requests/s | booked | bookings/s | 409 conflicts | conflicts/s | other |');
  console.log('|---|---|---|---|---|---|---|---|');
  // Baseline: practitioners of their own, every request a distinct free half hour.
  const free = setup.practitioners.slice(practitionerCount);
  const baseline = await drive('uncontended (each request a free time)', (i) => ({
    practitionerId: free[i % free.length]!,
    start: day.plus({ minutes: 30 * Math.floor(i / free.length) }),
    patientId: setup.patients[requests + i]!,
  }));
  // Contended: a few practitioners, starts on a 10-minute grid over 4 hours, so most requests overlap another.
  const rand = seededRandom(7);
  const contended = await drive(`contended (${practitionerCount} practitioners, 4 hours, 10-minute grid)`, (i) => ({
    practitionerId: setup.practitioners[Math.floor(rand() * practitionerCount)]!,
    start: day.plus({ days: 1, hours: 9, minutes: 10 * Math.floor(rand() * 24) }),
    patientId: setup.patients[i]!,
  }));
  const overlaps = await withTenant(database.db, context, async (scope) => {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from appointment a
        join appointment b on b.practitioner_id = a.practitioner_id and b.id > a.id
       where a.status in ('booked', 'arrived', 'fulfilled') and b.status in ('booked', 'arrived', 'fulfilled')
         and tstzrange(a.block_start, a.block_end) && tstzrange(b.block_start, b.block_end)`.execute(scope.tx);
    return rows[0]!.n;
  });
  console.log(`Double bookings found by self-join: ${overlaps} (must be 0); unexpected statuses: ${baseline.other + contended.other}`);
  await app.close();
  if (overlaps !== 0 || baseline.other + contended.other !== 0) process.exitCode = 1;
} finally {
  await database.close();
  await drop();
}
