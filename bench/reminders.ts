// Reminders at scale: 100,000 booked appointments (bulk-inserted, one patient each), their
// reminders scheduled by the journey engine, then the day-before reminders all falling due within
// a few minutes while outbox workers send them.
//
// 1. Enqueue: scheduleRelativeRuns (engine.ts, what a booking calls for the reminder journeys, and
//    what bulk writers call) over the appointments, 1,000 per tenant transaction: runs per second.
//    Beside it, a sample through onAppointmentChange per appointment, as a booking pays it
//    (reminder runs, plus the confirmation journey's run).
// 2. Lateness: the appointments start within --window minutes (practitioner i has --window
//    one-minute visits back to back), so 100,000 day-before emails fall due within that window.
//    The clock is the wall clock shifted so the first falls due --lookahead minutes (and a few
//    seconds) after the workers start, as a worker that runs all the time meets the wave (real
//    time passes; nothing is simulated). Workers (startOutboxWorker, in this process) wake each
//    run up to --lookahead minutes early (JOURNEY_LOOKAHEAD_MINUTES, 30 by default; 0 wakes runs
//    at their instant), which schedules its message due at the run's intended instant, and send it
//    through the sandbox adapter (Rapport's own cost, no provider time). Lateness of a reminder is
//    sent_at - due_at, due_at being the intended instant.
// Usage: node bench/reminders.ts [--engine postgres|pglite] [--server URL] [--appointments 100000]
//          [--window 5] [--workers 2] [--concurrency 8] [--sample 2000] [--lookahead 30]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { onAppointmentChange, scheduleRelativeRuns } from '../src/modules/journeys/engine.ts';
import { adapterRegistry } from '../src/modules/messaging/adapters.ts';
import { startOutboxWorker, type OutboxWorker } from '../src/modules/messaging/worker.ts';
import { createTenant } from '../src/modules/tenants/service.ts';
import { refreshStatistics } from '../src/server/db/maintenance.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { withTenant, type TenantContext } from '../src/server/db/scope.ts';
import { machine, openScratchDatabase, sleep } from './lib.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    appointments: { type: 'string', default: '100000' },
    window: { type: 'string', default: '5' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    sample: { type: 'string', default: '2000' },
    lookahead: { type: 'string', default: '30' },
    'max-minutes': { type: 'string', default: '60' },
  },
});
const engine = values.engine;
if (engine !== 'pglite' && engine !== 'postgres') throw new Error('--engine is pglite or postgres');
const N = Number(values.appointments);
const WINDOW = Number(values.window);
const WORKERS = engine === 'pglite' ? 1 : Number(values.workers);
const CONCURRENCY = Number(values.concurrency);
const SAMPLE = Number(values.sample);
const LOOKAHEAD_MINUTES = Number(values.lookahead);
const ZONE = 'America/New_York';
/** The first visits start at 15:00 in New York on Wednesday 2 June 2027; the day-before emails go at 15:00 on the Tuesday. */
const FIRST_VISIT = new Date('2027-06-02T19:00:00Z');
const DAY = 86_400_000;
const ENQUEUED_AT = new Date(FIRST_VISIT.getTime() - 7 * DAY);

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const fmtS = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

const { database, drop } = await openScratchDatabase(engine, { serverUrl: values.server, poolMax: WORKERS * CONCURRENCY + 4, prefix: 'rapport_bench_reminders' });
const lines: string[] = [];
try {
  await migrateToLatest(database.db);
  const tenant = await createTenant(database.db, { name: 'Bench Clinic', slug: `bench-${randomBytes(3).toString('hex')}`, timeZone: ZONE });
  const context: TenantContext = { tenantId: tenant.id, actor: { type: 'system', id: null } };

  // ---- Seed: patients, practitioners, appointments, in bulk statements. ----
  const seedStarted = performance.now();
  const practitioners = Math.ceil(N / WINDOW);
  await withTenant(database.db, context, async (scope) => {
    const tx = scope.tx;
    const location = await tx.insertInto('location').values({ tenant_id: tenant.id, name: 'Main Street Clinic', time_zone: ZONE, address_line: '1 Test Street', phone: '+14135550100' }).returning('id').executeTakeFirstOrThrow();
    const service = await tx.insertInto('service').values({ tenant_id: tenant.id, name: 'Quick check', duration_minutes: 5 }).returning('id').executeTakeFirstOrThrow();
    await sql`
      insert into practitioner (tenant_id, prefix, given_name, family_name)
      select ${tenant.id}, 'Dr.', 'P' || g, 'Bench' from generate_series(1, ${practitioners + Math.ceil(SAMPLE / WINDOW)}) g`.execute(tx);
    await sql`
      insert into patient (tenant_id, given_name, family_name, email, phone, time_zone)
      select ${tenant.id}, 'Bench' || g, 'Patient', 'bench.' || g || '@example.com', '+1413' || lpad((g % 10000000)::text, 7, '0'), ${ZONE}
        from generate_series(1, ${N + SAMPLE}) g`.execute(tx);
    // Patient k (in creation order) has appointment k; practitioner p has WINDOW one-minute visits back to back.
    await sql`
      with p as (select id, row_number() over (order by given_name collate "C", id) - 1 as k from patient),
           d as (select id, row_number() over (order by given_name collate "C", id) - 1 as k from practitioner)
      insert into appointment (tenant_id, patient_id, practitioner_id, location_id, service_id, starts_at, ends_at, time_zone, status, booked_via, created_at, updated_at)
      select ${tenant.id}, p.id, d.id, ${location.id}, ${service.id},
             ${FIRST_VISIT}::timestamptz + make_interval(mins => (p.k % ${WINDOW})::int) + case when p.k >= ${N} then interval '7 days' else interval '0' end,
             ${FIRST_VISIT}::timestamptz + make_interval(mins => (p.k % ${WINDOW})::int + 1) + case when p.k >= ${N} then interval '7 days' else interval '0' end,
             ${ZONE}, 'booked', 'import', ${ENQUEUED_AT}, ${ENQUEUED_AT}
        from p join d on d.k = p.k / ${WINDOW}`.execute(tx);
  });
  await refreshStatistics(database.db);
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  // ---- Enqueue: the journey engine over every appointment, 1,000 per transaction. ----
  const appointmentCols = ['id', 'patient_id', 'service_id', 'location_id', 'time_zone', 'starts_at', 'ends_at'] as const;
  const mainBefore = new Date(FIRST_VISIT.getTime() + 1 * DAY);
  let runs = 0;
  const enqueueStarted = performance.now();
  for (let after = '00000000-0000-0000-0000-000000000000'; ; ) {
    const batch = await withTenant(database.db, context, async (scope) => {
      const rows = await scope.tx.selectFrom('appointment').select(appointmentCols).where('id', '>', after).where('starts_at', '<', mainBefore).orderBy('id').limit(1000).execute();
      if (rows.length) runs += await scheduleRelativeRuns(scope, rows, ENQUEUED_AT);
      return rows;
    });
    if (!batch.length) break;
    after = batch.at(-1)!.id;
  }
  const enqueueMs = performance.now() - enqueueStarted;

  // A booking's own path, for a sample of appointments a week later (their reminders do not fall
  // in the measured window); the confirmations it starts are then switched off.
  let sampleMs = 0;
  let sampleRuns = 0;
  if (SAMPLE > 0) {
    const sample = await withTenant(database.db, context, (scope) =>
      scope.tx.selectFrom('appointment').select(['id', 'patient_id', 'starts_at']).where('starts_at', '>=', mainBefore).orderBy('id').execute(),
    );
    const before = await withTenant(database.db, context, (scope) => scope.tx.selectFrom('journey_run').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow());
    const t = performance.now();
    for (let i = 0; i < sample.length; i += 100) {
      await withTenant(database.db, context, async (scope) => {
        for (const a of sample.slice(i, i + 100)) {
          await onAppointmentChange(scope, { appointmentId: a.id, patientId: a.patient_id, action: 'booked', startsAt: a.starts_at, previousStartsAt: null }, ENQUEUED_AT);
        }
      });
    }
    sampleMs = performance.now() - t;
    await withTenant(database.db, context, async (scope) => {
      const after = await scope.tx.selectFrom('journey_run').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      sampleRuns = after.n - before.n;
      await scope.tx.updateTable('journey_run').set({ status: 'cancelled', reason: 'bench' }).where('trigger_type', '=', 'appointment.booked').execute();
    });
  }
  await refreshStatistics(database.db);

  // ---- The wave: the day-before emails fall due; workers on the wall clock, shifted. ----
  const waveStart = new Date(FIRST_VISIT.getTime() - DAY);
  const offset = waveStart.getTime() - LOOKAHEAD_MINUTES * 60_000 - 3000 - Date.now();
  const clock = () => new Date(Date.now() + offset);
  const adapters = adapterRegistry({});
  const workers: OutboxWorker[] = [];
  const waveStarted = performance.now();
  for (let w = 0; w < WORKERS; w++) {
    workers.push(
      await startOutboxWorker(database, { db: database.db, clock, adapters, baseUrl: 'https://rapport.test', worker: `bench-${w}`, concurrency: CONCURRENCY, batchSize: 100, idleMs: 250, runLookaheadSeconds: LOOKAHEAD_MINUTES * 60 }),
    );
  }
  const deadline = Date.now() + Number(values['max-minutes']) * 60_000;
  const progress = async () =>
    withTenant(database.db, context, async (scope) => {
      const r = await scope.tx
        .selectFrom('message')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('channel', '=', 'email')
        .where('template_key', '=', 'appointment.reminder')
        .where('status', 'in', ['sent', 'sandboxed', 'delivered', 'failed', 'not_sent'])
        .executeTakeFirstOrThrow();
      return r.n;
    });
  let done = 0;
  let lastReport = Date.now();
  while (done < N && Date.now() < deadline) {
    await sleep(1000);
    done = await progress();
    if (Date.now() - lastReport > 30_000) {
      console.error(`  ${done} of ${N} sent after ${fmtS(performance.now() - waveStarted)} s`);
      lastReport = Date.now();
    }
  }
  for (const w of workers) await w.stop();
  const waveMs = performance.now() - waveStarted;

  const wave = await withTenant(database.db, context, (scope) =>
    sql<{ status: string; late_ms: number; queued_ms: number; send_ms: number }>`
      select status,
             extract(epoch from (sent_at - due_at)) * 1000 as late_ms,
             extract(epoch from (created_at - due_at)) * 1000 as queued_ms,
             extract(epoch from (sent_at - created_at)) * 1000 as send_ms
        from message where channel = 'email' and template_key = 'appointment.reminder'`.execute(scope.tx),
  );
  const sentRows = wave.rows.filter((r) => r.status === 'sandboxed');
  const statuses: Record<string, number> = {};
  for (const r of wave.rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const late = sentRows.map((r) => Number(r.late_ms)).sort((a, b) => a - b);
  const queued = sentRows.map((r) => Number(r.queued_ms)).sort((a, b) => a - b);
  const send = sentRows.map((r) => Number(r.send_ms)).sort((a, b) => a - b);

  lines.push(
    `Seed: ${N.toLocaleString('en')} appointments (+${SAMPLE.toLocaleString('en')} for the booking sample), ${practitioners.toLocaleString('en')} practitioners, ${(N + SAMPLE).toLocaleString('en')} patients in ${seedSeconds.toFixed(0)} s.`,
    '',
    '| enqueue | appointments | runs | seconds | appointments/s | runs/s |',
    '|---|---:|---:|---:|---:|---:|',
    `| scheduleRelativeRuns, 1,000 per transaction | ${N.toLocaleString('en')} | ${runs.toLocaleString('en')} | ${fmtS(enqueueMs)} | ${(N / (enqueueMs / 1000)).toFixed(0)} | ${(runs / (enqueueMs / 1000)).toFixed(0)} |`,
    ...(SAMPLE > 0
      ? [`| onAppointmentChange per booking, 100 per transaction | ${SAMPLE.toLocaleString('en')} | ${sampleRuns.toLocaleString('en')} | ${fmtS(sampleMs)} | ${(SAMPLE / (sampleMs / 1000)).toFixed(0)} | ${(sampleRuns / (sampleMs / 1000)).toFixed(0)} |`]
      : []),
    '',
    `Wave: ${N.toLocaleString('en')} day-before emails due within ${WINDOW} min; ${WORKERS} worker(s) x concurrency ${CONCURRENCY}, look-ahead ${LOOKAHEAD_MINUTES} min (workers started that long before the first is due), sandbox adapter; ${fmtS(waveMs)} s until all were dealt with (${JSON.stringify(statuses)}); ${(sentRows.length / (waveMs / 1000)).toFixed(0)} reminders/s.`,
    '',
    '| lateness (s) | p50 | p95 | p99 | max |',
    '|---|---:|---:|---:|---:|',
    `| sent_at - due_at (the whole delay) | ${fmtS(pct(late, 0.5))} | ${fmtS(pct(late, 0.95))} | ${fmtS(pct(late, 0.99))} | ${fmtS(late.at(-1)!)} |`,
    `| message created - due (negative: woken early) | ${fmtS(pct(queued, 0.5))} | ${fmtS(pct(queued, 0.95))} | ${fmtS(pct(queued, 0.99))} | ${fmtS(queued.at(-1)!)} |`,
    `| then waiting to be sent (sent - message created) | ${fmtS(pct(send, 0.5))} | ${fmtS(pct(send, 0.95))} | ${fmtS(pct(send, 0.99))} | ${fmtS(send.at(-1)!)} |`,
  );
} finally {
  await database.close();
  await drop();
}
console.log(`\nMachine: ${machine()}; ${engine}\n`);
for (const l of lines) console.log(l);
