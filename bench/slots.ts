// Slot search benchmark: a clinic of 20 practitioners (weekday hours 08:00-12:00 and 13:00-17:00,
// a 30-minute service all of them offer) with a year of past visits and the next 4 weeks 70% booked.
// Measures findSlots over those 4 weeks for "any practitioner" and for one practitioner (p50/p95/
// p99), next to the floor in the same run: the plain queries that read the same hours and
// appointments, with no slot computation.
// Usage: node bench/slots.ts [--engine pglite|postgres] [--server URL] [--runs 300]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { bookableSlots, workingWindows } from '../src/modules/scheduling/availability.ts';
import { findSlots, loadSchedule, offerings, requireService } from '../src/modules/scheduling/slots.ts';
import { createTenant } from '../src/modules/tenants/service.ts';
import { refreshStatistics } from '../src/server/db/maintenance.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { withTenant, type TenantContext } from '../src/server/db/scope.ts';
import { machine, openScratchDatabase, seededRandom } from './lib.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'pglite' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    runs: { type: 'string', default: '300' },
  },
});
const engine = values.engine;
if (engine !== 'pglite' && engine !== 'postgres') throw new Error('--engine is pglite or postgres');
const runs = Number(values.runs);
const AIM_P95_MS = 15;
const PRACTITIONERS = 20;
const ZONE = 'America/New_York';
const BOOKED_SHARE = 0.7;

function percentiles(samples: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

async function time(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 20; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  return samples;
}

const { database, drop } = await openScratchDatabase(engine, { serverUrl: values.server, poolMax: 5, prefix: 'rapport_bench_slots' });
try {
  await migrateToLatest(database.db);
  const tenant = await createTenant(database.db, { name: 'Bench Clinic', slug: `bench-${randomBytes(3).toString('hex')}`, timeZone: ZONE });
  const context: TenantContext = { tenantId: tenant.id, actor: { type: 'system', id: null } };
  const now = DateTime.fromISO('2026-11-22T20:00', { zone: ZONE });
  const from = now.plus({ days: 1 }).toISODate()!;
  const to = now.plus({ days: 28 }).toISODate()!;

  const setup = performance.now();
  const ids = await withTenant(database.db, context, async (scope) => {
    const location = await scope.tx.insertInto('location').values({ tenant_id: tenant.id, name: 'Main', time_zone: ZONE }).returning('id').executeTakeFirstOrThrow();
    const service = await scope.tx.insertInto('service').values({ tenant_id: tenant.id, name: 'Visit', duration_minutes: 30 }).returning('id').executeTakeFirstOrThrow();
    await scope.tx.insertInto('service_location').values({ tenant_id: tenant.id, service_id: service.id, location_id: location.id }).execute();
    const patient = await scope.tx.insertInto('patient').values({ tenant_id: tenant.id, given_name: 'Bench', family_name: 'Patient' }).returning('id').executeTakeFirstOrThrow();
    const practitioners: string[] = [];
    for (let i = 0; i < PRACTITIONERS; i++) {
      const p = await scope.tx.insertInto('practitioner').values({ tenant_id: tenant.id, given_name: `P${i}`, family_name: 'Bench' }).returning('id').executeTakeFirstOrThrow();
      practitioners.push(p.id);
      await scope.tx.insertInto('service_practitioner').values({ tenant_id: tenant.id, service_id: service.id, practitioner_id: p.id }).execute();
      await scope.tx
        .insertInto('availability_rule')
        .values(
          [1, 2, 3, 4, 5].flatMap((weekday) => [
            { tenant_id: tenant.id, practitioner_id: p.id, location_id: location.id, weekday, start_time: '08:00', end_time: '12:00' },
            { tenant_id: tenant.id, practitioner_id: p.id, location_id: location.id, weekday, start_time: '13:00', end_time: '17:00' },
          ]),
        )
        .execute();
    }
    return { locationId: location.id, serviceId: service.id, patientId: patient.id, practitioners };
  });

  // A year of past visits (all slots at 70%) and the next four weeks booked to 70%.
  const rand = seededRandom(20261125);
  const rows: Array<{ practitioner_id: string; starts_at: string; ends_at: string; status: string }> = [];
  for (let d = -365; d <= 28; d++) {
    const day = now.startOf('day').plus({ days: d });
    if (day.weekday > 5) continue;
    for (const practitioner of ids.practitioners) {
      for (const [h0, h1] of [[8, 12], [13, 17]] as const) {
        for (let m = h0 * 60; m < h1 * 60; m += 30) {
          if (rand() >= BOOKED_SHARE) continue;
          const start = day.set({ hour: Math.floor(m / 60), minute: m % 60 });
          rows.push({
            practitioner_id: practitioner,
            starts_at: start.toUTC().toISO()!,
            ends_at: start.plus({ minutes: 30 }).toUTC().toISO()!,
            status: d < 0 ? 'fulfilled' : 'booked',
          });
        }
      }
    }
  }
  for (let i = 0; i < rows.length; i += 5000) {
    await withTenant(database.db, context, async (scope) => {
      await sql`
        insert into appointment (tenant_id, patient_id, practitioner_id, location_id, service_id, starts_at, ends_at, time_zone, status, booked_via)
        select ${tenant.id}::uuid, ${ids.patientId}::uuid, r.practitioner_id, ${ids.locationId}::uuid, ${ids.serviceId}::uuid,
               r.starts_at, r.ends_at, ${ZONE}, r.status, 'seed'
          from json_to_recordset(${JSON.stringify(rows.slice(i, i + 5000))}::json)
            as r(practitioner_id uuid, starts_at timestamptz, ends_at timestamptz, status text)`.execute(scope.tx);
    });
  }
  await refreshStatistics(database.db);
  const future = rows.filter((r) => r.status === 'booked').length;
  const setupSeconds = ((performance.now() - setup) / 1000).toFixed(1);

  const clock = now.toJSDate();
  const anySlots = await withTenant(database.db, context, (scope) => findSlots(scope, { serviceId: ids.serviceId, from, to }, clock));
  const totalSlots = PRACTITIONERS * 20 * 16;
  const anyPractitioner = await time(() => withTenant(database.db, context, (scope) => findSlots(scope, { serviceId: ids.serviceId, from, to }, clock)));
  const onePractitioner = await time(() =>
    withTenant(database.db, context, (scope) => findSlots(scope, { serviceId: ids.serviceId, from, to, practitionerId: ids.practitioners[0] }, clock)),
  );
  // The floor: the same reads (service, who offers it, hours, exceptions, holidays, the 4 weeks'
  // appointments) with no slot computation; and the computation alone on data already read.
  const floor = await time(() =>
    withTenant(database.db, context, async (scope) => {
      const service = await requireService(scope, ids.serviceId);
      const offer = await offerings(scope, service.id, {});
      await loadSchedule(scope, { ...offer, fromDate: from, toDate: to, withRooms: false });
    }),
  );
  const loaded = await withTenant(database.db, context, (scope) =>
    loadSchedule(scope, { practitionerIds: ids.practitioners, locationIds: [ids.locationId], fromDate: from, toDate: to, withRooms: false }),
  );
  const rules = await withTenant(database.db, context, (scope) => scope.tx.selectFrom('availability_rule').selectAll().execute());
  const computeOnly = await time(async () =>
    bookableSlots({
      windows: workingWindows({
        rules: rules.map((r) => ({ practitionerId: r.practitioner_id, locationId: r.location_id, weekday: r.weekday, startTime: r.start_time, endTime: r.end_time, validFrom: null, validUntil: null })),
        exceptions: [],
        holidays: [],
        zoneOf: () => ZONE,
        fromDate: from,
        toDate: to,
      }),
      service: { durationMinutes: 30, bufferBeforeMinutes: 0, bufferAfterMinutes: 0, slotIntervalMinutes: null },
      practitionerBusy: loaded.practitionerBusy,
      earliest: clock.getTime(),
      latest: Number.MAX_SAFE_INTEGER,
    }),
  );

  const any = percentiles(anyPractitioner);
  console.log(`Machine: ${machine()}`);
  console.log(`Engine: ${engine}; ${PRACTITIONERS} practitioners, ${rows.length} appointments (${future} in the next 4 weeks, ${Math.round((future / totalSlots) * 100)}% of ${totalSlots} slots); setup ${setupSeconds} s`);
  console.log(`Open slots found over ${from}..${to}: ${anySlots.length}`);
  console.log(`| query (${runs} runs) | p50 ms | p95 ms | p99 ms |`);
  console.log('|---|---|---|---|');
  console.log(`| slots, any of 20 practitioners, 4 weeks | ${any.p50} | ${any.p95} | ${any.p99} |`);
  const one = percentiles(onePractitioner);
  console.log(`| slots, one practitioner, 4 weeks | ${one.p50} | ${one.p95} | ${one.p99} |`);
  const f = percentiles(floor);
  console.log(`| floor: the same reads, no computation | ${f.p50} | ${f.p95} | ${f.p99} |`);
  const c = percentiles(computeOnly);
  console.log(`| the computation alone (windows + slots), no reads | ${c.p50} | ${c.p95} | ${c.p99} |`);
  console.log(`Aim: p95 under ${AIM_P95_MS} ms on PostgreSQL. This run (${engine}): p95 ${any.p95} ms, ${any.p95 < AIM_P95_MS ? 'under' : 'NOT under'} it`);
} finally {
  await database.close();
  await drop();
}
