import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic, type ClinicOptions } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentView } from './appointments.ts';
import type { SlotView } from './slots.ts';

type Slots = { slots: SlotView[] };
type Detail = AppointmentView & { history: Array<{ action: string; fromStatus: string | null; toStatus: string; actor: { name: string | null } }> };

// Sunday 22 November 2026, 09:00 in New York.
const NOW = new Date('2026-11-22T14:00:00Z');
const MONDAY = '2026-11-23';

for (const engine of engines()) {
  describe(`booking (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(NOW);
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    async function setUp(options: ClinicOptions = {}, role: 'admin' | 'front_desk' = 'front_desk') {
      const t = await signedInTenant(app, database, role);
      const clinic = await createClinic(database, t.tenant.id, options);
      const appointments = () =>
        withTenant(database.db, t.system, (s) => s.tx.selectFrom('appointment').selectAll().orderBy('starts_at').execute());
      const book = (patient: number, startsAt: string, extra: Record<string, unknown> = {}) =>
        t.call<AppointmentView & ErrorBody>('POST', '/api/appointments', {
          patientId: clinic.patientIds[patient],
          serviceId: clinic.serviceId,
          practitionerId: clinic.practitionerIds[0],
          locationId: clinic.locationId,
          startsAt,
          ...extra,
        });
      return { ...t, clinic, appointments, book };
    }

    test('slot search: weekly hours in the location\'s zone, stepped by the service, nothing in the past', async () => {
      const t = await setUp();
      const res = await t.call<Slots>('GET', `/api/scheduling/slots?serviceId=${t.clinic.serviceId}&from=2026-11-22&to=${MONDAY}`);
      assert.equal(res.status, 200);
      // Sunday has no hours; Monday 09:00-17:00 gives sixteen 30-minute slots.
      assert.equal(res.body.slots.length, 16);
      assert.equal(res.body.slots[0]!.startsAt, '2026-11-23T14:00:00.000Z');
      assert.equal(res.body.slots.at(-1)!.endsAt, '2026-11-23T22:00:00.000Z');
      assert.equal(res.body.slots[0]!.timeZone, 'America/New_York');

      const bad = await t.call<ErrorBody>('GET', `/api/scheduling/slots?serviceId=${t.clinic.serviceId}&from=2026-02-30&to=2026-03-01`);
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /from "2026-02-30" is not a date/);
      const long = await t.call<ErrorBody>('GET', `/api/scheduling/slots?serviceId=${t.clinic.serviceId}&from=2026-01-01&to=2026-06-01`);
      assert.equal(long.status, 400);
      assert.match(long.body.error.message, /at most 62 days/);
      const other = await setUp();
      const foreign = await t.call<ErrorBody>('GET', `/api/scheduling/slots?serviceId=${other.clinic.serviceId}&from=${MONDAY}&to=${MONDAY}`);
      assert.equal(foreign.status, 404);
    });

    test('book, see it on the timeline and in the history; the slot is gone; a second booking of it is 409 with the time', async () => {
      const t = await setUp();
      const res = await t.book(0, '2026-11-23T10:00:00-05:00', { notes: 'Bring glasses' });
      assert.equal(res.status, 201, res.raw.body);
      assert.equal(res.body.status, 'booked');
      assert.equal(res.body.startsAt, '2026-11-23T15:00:00.000Z');
      assert.equal(res.body.endsAt, '2026-11-23T15:30:00.000Z');
      assert.equal(res.body.version, 1);
      assert.equal(res.body.bookedVia, 'staff');
      assert.equal(res.body.practitioner.name, 'Dr. Test1 Practitioner');

      const detail = await t.call<Detail>('GET', `/api/appointments/${res.body.id}`);
      assert.deepEqual(detail.body.history.map((h) => [h.action, h.toStatus]), [['booked', 'booked']]);
      assert.ok(detail.body.history[0]!.actor.name);
      const timeline = await t.call<{ items: Array<{ kind: string; summary: string }> }>('GET', `/api/patients/${t.clinic.patientIds[0]}/timeline`);
      const booked = timeline.body.items.find((e) => e.kind === 'appointment.booked');
      assert.ok(booked, 'booking is on the timeline');
      assert.match(booked.summary, /Follow-up visit with Dr\. Test1 Practitioner, Mon 23 Nov 2026, 10:00 EST/);

      const slots = await t.call<Slots>('GET', `/api/scheduling/slots?serviceId=${t.clinic.serviceId}&from=${MONDAY}&to=${MONDAY}`);
      assert.equal(slots.body.slots.length, 15);
      assert.ok(!slots.body.slots.some((s) => s.startsAt === '2026-11-23T15:00:00.000Z'));

      const again = await t.book(1, '2026-11-23T10:15:00-05:00');
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'slot_taken');
      assert.match(again.body.error.message, /already booked from Mon 23 Nov 2026, 10:00 EST to 10:30/);
      assert.deepEqual((again.body.error.details as { conflicts: Array<{ startsAt: string }> }).conflicts.map((c) => c.startsAt), ['2026-11-23T15:00:00.000Z']);
      assert.equal((await t.appointments()).length, 1);
      assert.ok((await t.audit()).some((a) => a.action === 'appointment.booked' && a.patient_id === t.clinic.patientIds[0]));
    });

    test('bad input: past, outside hours, too long for the hours, malformed time or zone, a skipped local time, another tenant: 4xx, nothing stored', async () => {
      const t = await setUp();
      const other = await setUp();
      const cases: Array<[string, Awaited<ReturnType<typeof t.book>>, number, RegExp]> = [
        ['past', await t.book(0, '2026-11-20T10:00:00-05:00'), 400, /in the past/],
        ['before hours', await t.book(0, '2026-11-23T08:00:00-05:00'), 400, /not available for 30 minutes from Mon 23 Nov 2026, 08:00 EST/],
        ['Sunday', await t.book(0, '2026-11-29T10:00:00-05:00'), 400, /not available/],
        ['runs past closing', await t.book(0, '2026-11-23T16:45:00-05:00'), 400, /not available for 30 minutes/],
        ['malformed time', await t.book(0, '2026-11-23 10:00'), 400, /startsAt must be an ISO 8601 date-time/],
        ['impossible date', await t.book(0, '2026-02-30T10:00:00-05:00'), 400, /not a real date/],
        ['no offset, no zone', await t.book(0, '2026-11-23T10:00:00'), 400, /needs an offset/],
        ['bad zone', await t.book(0, '2026-11-23T10:00:00', { timeZone: 'America/Springfield' }), 400, /"America\/Springfield" is not an IANA time zone/],
        ['skipped by DST', await t.book(0, '2027-03-14T02:30:00', { timeZone: 'America/New_York' }), 400, /does not exist in America\/New_York/],
        ['other tenant\'s patient', await t.book(0, '2026-11-23T10:00:00-05:00', { patientId: other.clinic.patientIds[0] }), 404, /Patient was not found/],
        ['other tenant\'s practitioner', await t.book(0, '2026-11-23T10:00:00-05:00', { practitionerId: other.clinic.practitionerIds[0] }), 400, /practitionerId is not a practitioner of this clinic/],
        ['other tenant\'s service', await t.book(0, '2026-11-23T10:00:00-05:00', { serviceId: other.clinic.serviceId }), 404, /Service was not found/],
        ['malformed id', await t.book(0, '2026-11-23T10:00:00-05:00', { patientId: 'not-an-id' }), 400, /patientId/],
        ['unknown field', await t.book(0, '2026-11-23T10:00:00-05:00', { colour: 'red' }), 400, /colour/],
      ];
      for (const [name, res, status, message] of cases) {
        assert.equal(res.status, status, `${name}: ${res.raw.body}`);
        assert.match(res.body.error.message, message, name);
      }
      assert.equal((await t.appointments()).length, 0);
      // A local time with its zone is accepted.
      const local = await t.book(0, '2026-11-23T11:00', { timeZone: 'America/New_York' });
      assert.equal(local.status, 201, local.raw.body);
      assert.equal(local.body.startsAt, '2026-11-23T16:00:00.000Z');
    });

    test('reschedule moves the booking with its version; a stale version or a taken time is refused and changes nothing', async () => {
      const t = await setUp();
      const a = (await t.book(0, '2026-11-23T10:00:00-05:00')).body;
      const b = (await t.book(1, '2026-11-23T11:00:00-05:00')).body;
      const moved = await t.call<AppointmentView & ErrorBody>('POST', `/api/appointments/${a.id}/reschedule`, { startsAt: '2026-11-24T09:30:00-05:00', version: 1 });
      assert.equal(moved.status, 200, moved.raw.body);
      assert.equal(moved.body.startsAt, '2026-11-24T14:30:00.000Z');
      assert.equal(moved.body.version, 2);
      const stale = await t.call<ErrorBody>('POST', `/api/appointments/${a.id}/reschedule`, { startsAt: '2026-11-24T10:30:00-05:00', version: 1 });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.code, 'stale');
      const taken = await t.call<ErrorBody>('POST', `/api/appointments/${a.id}/reschedule`, { startsAt: '2026-11-23T11:00:00-05:00', version: 2 });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.error.code, 'slot_taken');
      // Moving within its own time (overlapping itself) is fine.
      const nudge = await t.call<AppointmentView>('POST', `/api/appointments/${a.id}/reschedule`, { startsAt: '2026-11-24T09:45:00-05:00', version: 2 });
      assert.equal(nudge.status, 200);
      const rows = await t.appointments();
      assert.deepEqual(rows.map((r) => [r.id, new Date(r.starts_at).toISOString()]), [
        [b.id, '2026-11-23T16:00:00.000Z'],
        [a.id, '2026-11-24T14:45:00.000Z'],
      ]);
      const detail = await t.call<Detail>('GET', `/api/appointments/${a.id}`);
      assert.deepEqual(detail.body.history.map((h) => h.action), ['booked', 'rescheduled', 'rescheduled']);
      const timeline = await t.call<{ items: Array<{ kind: string; summary: string }> }>('GET', `/api/patients/${t.clinic.patientIds[0]}/timeline`);
      assert.ok(timeline.body.items.some((e) => e.kind === 'appointment.rescheduled' && /from Mon 23 Nov 2026, 10:00 EST to Tue 24 Nov 2026, 09:30 EST/.test(e.summary)));
    });

    test('a longer visit is booked with endsAt and keeps its length when moved; a time shorter than the service is refused', async () => {
      const t = await setUp();
      const short = await t.book(0, '2026-11-23T10:00:00-05:00', { endsAt: '2026-11-23T10:20:00-05:00' });
      assert.equal(short.status, 400);
      assert.match(short.body.error.message, /endsAt is too short for Follow-up visit, which takes 30 minutes/);
      const backwards = await t.book(0, '2026-11-23T10:00:00-05:00', { endsAt: '2026-11-23T09:00:00-05:00' });
      assert.equal(backwards.status, 400);
      assert.match(backwards.body.error.message, /endsAt must be after startsAt/);
      const long = await t.book(0, '2026-11-23T10:00:00-05:00', { endsAt: '2026-11-23T11:00:00-05:00' });
      assert.equal(long.status, 201, long.raw.body);
      assert.equal(long.body.endsAt, '2026-11-23T16:00:00.000Z');
      const other = (await t.book(1, '2026-11-23T13:00:00-05:00')).body;
      const moved = await t.call<AppointmentView>('POST', `/api/appointments/${long.body.id}/reschedule`, { startsAt: '2026-11-23T14:00:00-05:00', version: 1 });
      assert.equal(moved.body.endsAt, '2026-11-23T20:00:00.000Z', 'still an hour');
      // Overlapping the other booking by a few minutes: the conflict named is the other one, not itself.
      const clash = await t.call<ErrorBody>('POST', `/api/appointments/${long.body.id}/reschedule`, { startsAt: '2026-11-23T12:15:00-05:00', version: 2 });
      assert.equal(clash.status, 409);
      assert.deepEqual((clash.body.error.details as { conflicts: Array<{ appointmentId: string }> }).conflicts.map((c) => c.appointmentId), [other.id]);
      const resized = await t.call<AppointmentView>('POST', `/api/appointments/${long.body.id}/reschedule`, { startsAt: '2026-11-23T14:00:00-05:00', endsAt: '2026-11-23T14:45:00-05:00', version: 2 });
      assert.equal(resized.status, 200, resized.raw.body);
      assert.equal(resized.body.endsAt, '2026-11-23T19:45:00.000Z');
    });

    test('status changes: confirm, check in, complete, no-show once started; cancel needs a reason and frees the slot; impossible changes are 409', async () => {
      const sundayToo = [1, 2, 3, 4, 5, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));
      const t = await setUp({ hours: sundayToo, patients: 3 });
      const a = (await t.book(0, '2026-11-23T10:00:00-05:00')).body;
      const confirm = await t.call<AppointmentView>('POST', `/api/appointments/${a.id}/confirm`, { version: 1 });
      assert.equal(confirm.status, 200);
      assert.ok(confirm.body.confirmedAt);
      const checkIn = await t.call<AppointmentView>('POST', `/api/appointments/${a.id}/check-in`);
      assert.equal(checkIn.body.status, 'arrived', checkIn.raw.body);
      assert.equal((await t.call<AppointmentView>('POST', `/api/appointments/${a.id}/complete`)).body.status, 'fulfilled');
      const again = await t.call<ErrorBody>('POST', `/api/appointments/${a.id}/check-in`);
      assert.equal(again.status, 409);
      assert.match(again.body.error.message, /A fulfilled appointment cannot be checked in/);
      const patient = await t.call<{ lastVisitAt: string | null }>('GET', `/api/patients/${t.clinic.patientIds[0]}`);
      assert.equal(patient.body.lastVisitAt, '2026-11-23T15:00:00.000Z');
      const detail = await t.call<Detail>('GET', `/api/appointments/${a.id}`);
      assert.deepEqual(detail.body.history.map((h) => `${h.action}:${h.fromStatus}->${h.toStatus}`), [
        'booked:null->booked', 'confirmed:booked->booked', 'checked_in:booked->arrived', 'completed:arrived->fulfilled',
      ]);

      const b = (await t.book(1, '2026-11-23T15:00:00-05:00')).body;
      const noReason = await t.call<ErrorBody>('POST', `/api/appointments/${b.id}/cancel`, { reason: '  ' });
      assert.equal(noReason.status, 400);
      assert.match(noReason.body.error.message, /reason/);
      const cancelled = await t.call<AppointmentView>('POST', `/api/appointments/${b.id}/cancel`, { reason: 'Patient is travelling' });
      assert.equal(cancelled.body.status, 'cancelled');
      assert.equal(cancelled.body.cancelReason, 'Patient is travelling');
      assert.equal((await t.book(0, '2026-11-23T15:00:00-05:00')).status, 201, 'a cancelled appointment frees its slot');

      // Today (Sunday) at 09:30: a no-show only once it has started.
      const c = (await t.book(2, '2026-11-22T09:30:00-05:00')).body;
      const early = await t.call<ErrorBody>('POST', `/api/appointments/${c.id}/no-show`, {});
      assert.equal(early.status, 409);
      assert.equal(early.body.error.code, 'too_early');
      // In steps, so the session (30 minutes idle) stays alive.
      clock.advance(25 * 60_000);
      await t.call('GET', `/api/appointments/${c.id}`);
      clock.advance(20 * 60_000);
      try {
        const noShow = await t.call<AppointmentView>('POST', `/api/appointments/${c.id}/no-show`, {});
        assert.equal(noShow.body.status, 'noshow', noShow.raw.body);
        const timeline = await t.call<{ items: Array<{ kind: string }> }>('GET', `/api/patients/${t.clinic.patientIds[2]}/timeline`);
        assert.ok(timeline.body.items.some((e) => e.kind === 'appointment.noshow'));
      } finally {
        clock.advance(-45 * 60_000);
      }
      const notFound = await t.call<ErrorBody>('POST', '/api/appointments/00000000-0000-4000-8000-000000000000/cancel', { reason: 'x' });
      assert.equal(notFound.status, 404);
    });

    test('buffers keep time clear around a visit; rooms are never double booked', async () => {
      const t = await setUp({ service: { durationMinutes: 30, bufferAfterMinutes: 10, slotIntervalMinutes: 10, requiresRoom: true }, rooms: 1, practitioners: 2 });
      const first = await t.book(0, '2026-11-23T09:00:00-05:00');
      assert.equal(first.status, 201, first.raw.body);
      assert.equal(first.body.room?.name, 'Room 1');
      const slots = (await t.call<Slots>('GET', `/api/scheduling/slots?serviceId=${t.clinic.serviceId}&from=${MONDAY}&to=${MONDAY}&practitionerId=${t.clinic.practitionerIds[0]}`)).body.slots;
      // 09:00 visit + 10 minutes after: the next start is 09:40.
      assert.equal(slots[0]!.startsAt, '2026-11-23T14:40:00.000Z');
      // The other practitioner is free at 09:10, but the only room is not.
      const noRoom = await t.book(1, '2026-11-23T09:10:00-05:00', { practitionerId: t.clinic.practitionerIds[1] });
      assert.equal(noRoom.status, 409);
      assert.equal(noRoom.body.error.code, 'no_room');
      const ok = await t.book(1, '2026-11-23T09:40:00-05:00', { practitionerId: t.clinic.practitionerIds[1] });
      assert.equal(ok.status, 201, ok.raw.body);
    });

    test('booking rules per service hold on every path: notice, advance, future bookings, new patients only', async () => {
      const t = await setUp({ service: { minNoticeMinutes: 48 * 60, maxAdvanceDays: 30, maxFutureBookings: 1, eligibility: 'new' } });
      const soon = await t.book(0, '2026-11-23T10:00:00-05:00');
      assert.equal(soon.status, 400);
      assert.equal(soon.body.error.code, 'booking_rule');
      assert.match(soon.body.error.message, /needs at least 48 hour\(s\) notice/);
      const far = await t.book(0, '2027-01-05T10:00:00-05:00');
      assert.equal(far.status, 400);
      assert.match(far.body.error.message, /at most 30 days ahead/);
      assert.equal((await t.book(0, '2026-11-25T10:00:00-05:00')).status, 201);
      const second = await t.book(0, '2026-11-26T10:00:00-05:00');
      assert.equal(second.status, 400);
      assert.match(second.body.error.message, /at most 1 future booking/);
      // A patient with a completed visit is not new.
      await withTenant(database.db, t.system, (s) =>
        s.tx
          .insertInto('appointment')
          .values({ tenant_id: t.tenant.id, patient_id: t.clinic.patientIds[1]!, practitioner_id: t.clinic.practitionerIds[0]!, location_id: t.clinic.locationId, service_id: t.clinic.serviceId, starts_at: '2026-10-01T14:00:00Z', ends_at: '2026-10-01T14:30:00Z', time_zone: t.clinic.timeZone, status: 'fulfilled' })
          .execute(),
      );
      const established = await t.book(1, '2026-11-27T10:00:00-05:00');
      assert.equal(established.status, 400);
      assert.match(established.body.error.message, /for new patients only/);
      // The slot search honours notice and advance too.
      const slots = (await t.call<Slots>('GET', `/api/scheduling/slots?serviceId=${t.clinic.serviceId}&from=${MONDAY}&to=2026-12-31`)).body.slots;
      assert.ok(slots[0]!.startsAt >= '2026-11-23T14:00:00.000Z' && Date.parse(slots[0]!.startsAt) >= NOW.getTime() + 2 * 86_400_000);
      assert.ok(slots.every((s) => Date.parse(s.startsAt) <= NOW.getTime() + 30 * 86_400_000));
    });

    test('holidays, time off and extra hours shape availability', async () => {
      const t = await setUp();
      await withTenant(database.db, t.system, async (s) => {
        await s.tx.insertInto('holiday').values({ tenant_id: t.tenant.id, date: '2026-11-26', name: 'Thanksgiving' }).execute();
        await s.tx
          .insertInto('availability_exception')
          .values([
            { tenant_id: t.tenant.id, practitioner_id: t.clinic.practitionerIds[0]!, kind: 'time_off', starts_at: '2026-11-24T14:00:00Z', ends_at: '2026-11-24T18:00:00Z', reason: 'Training' },
            { tenant_id: t.tenant.id, practitioner_id: t.clinic.practitionerIds[0]!, location_id: t.clinic.locationId, kind: 'extra', starts_at: '2026-11-28T14:00:00Z', ends_at: '2026-11-28T16:00:00Z' },
          ])
          .execute();
      });
      const slots = (await t.call<Slots>('GET', `/api/scheduling/slots?serviceId=${t.clinic.serviceId}&from=2026-11-24&to=2026-11-28`)).body.slots;
      const perDay = new Map<string, number>();
      for (const s of slots) {
        const day = new Date(Date.parse(s.startsAt) - 5 * 3600_000).toISOString().slice(0, 10);
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
      }
      assert.deepEqual(Object.fromEntries(perDay), { '2026-11-24': 8, '2026-11-25': 16, '2026-11-27': 16, '2026-11-28': 4 });
      const holiday = await t.book(0, '2026-11-26T10:00:00-05:00');
      assert.equal(holiday.status, 400);
      assert.equal(holiday.body.error.code, 'outside_availability');
      assert.equal((await t.book(0, '2026-11-28T09:30:00-05:00')).status, 201, 'extra hours are bookable');
    });

    test('a weekly series books every occurrence, or none with a report per occurrence', async () => {
      const t = await setUp();
      const blocker = await t.book(1, '2026-12-07T10:00:00-05:00');
      assert.equal(blocker.status, 201);
      const body = { patientId: t.clinic.patientIds[0], serviceId: t.clinic.serviceId, practitionerId: t.clinic.practitionerIds[0], locationId: t.clinic.locationId, startsAt: '2026-11-23T10:00:00-05:00', rrule: 'FREQ=WEEKLY;COUNT=6' };
      const refused = await t.call<ErrorBody>('POST', '/api/appointments/series', body);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'series_conflicts');
      const report = (refused.body.error.details as { occurrences: Array<{ startsAt: string; ok: boolean; code: string | null }> }).occurrences;
      assert.equal(report.length, 6);
      assert.deepEqual(report.filter((o) => !o.ok).map((o) => [o.startsAt, o.code]), [['2026-12-07T15:00:00.000Z', 'slot_taken']]);
      assert.equal((await t.appointments()).length, 1, 'nothing of the series stored');

      const ok = await t.call<{ seriesId: string; appointments: AppointmentView[] }>('POST', '/api/appointments/series', { ...body, startsAt: '2026-11-23T11:00:00-05:00' });
      assert.equal(ok.status, 201, ok.raw.body);
      assert.equal(ok.body.appointments.length, 6);
      assert.ok(ok.body.appointments.every((a) => a.seriesId === ok.body.seriesId));
      assert.deepEqual(ok.body.appointments.map((a) => a.startsAt.slice(0, 10)), ['2026-11-23', '2026-11-30', '2026-12-07', '2026-12-14', '2026-12-21', '2026-12-28']);

      for (const [rrule, message] of [
        ['FREQ=WEEKLY', /must end/],
        ['FREQ=WEEKLY;COUNT=100', /at most 52/],
        ['FREQ=HOURLY;COUNT=3', /DAILY, WEEKLY or MONTHLY/],
        ['banana', /is not an RRULE/],
      ] as const) {
        const res = await t.call<ErrorBody>('POST', '/api/appointments/series', { ...body, rrule });
        assert.equal(res.status, 400, rrule);
        assert.match(res.body.error.message, message, rrule);
      }
    });

    test('the calendar lists a range; patients\' appointments are closed to marketing and other tenants', async () => {
      const t = await setUp();
      const a = (await t.book(0, '2026-11-23T10:00:00-05:00')).body;
      const list = await t.call<{ items: AppointmentView[] }>('GET', `/api/appointments?from=2026-11-23T00:00:00-05:00&to=2026-11-24T00:00:00-05:00&practitionerId=${t.clinic.practitionerIds[0]}`);
      assert.deepEqual(list.body.items.map((x) => x.id), [a.id]);
      const byPatient = await t.call<{ items: AppointmentView[] }>('GET', `/api/appointments?patientId=${t.clinic.patientIds[0]}`);
      assert.equal(byPatient.body.items.length, 1);
      const badStatus = await t.call<ErrorBody>('GET', '/api/appointments?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z&status=booked,lost');
      assert.equal(badStatus.status, 400);
      assert.match(badStatus.body.error.message, /"lost" is not a status/);
      assert.equal((await t.call('GET', '/api/appointments')).status, 400);

      const marketing = await signedInTenant(app, database, 'marketing');
      assert.equal((await marketing.call('GET', `/api/appointments?patientId=${t.clinic.patientIds[0]}`)).status, 403);
      const other = await setUp();
      assert.equal((await other.call('GET', `/api/appointments/${a.id}`)).status, 404);
      assert.equal((await other.call('POST', `/api/appointments/${a.id}/cancel`, { reason: 'x' })).status, 404);
      assert.equal((await other.call<{ items: unknown[] }>('GET', `/api/appointments?patientId=${t.clinic.patientIds[0]}`)).body.items.length, 0);
    });
  });
}
