import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { buildTestApp, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';
import { scheduleRelativeRuns } from './engine.ts';
import { planScheduledTriggers } from './scheduled-triggers.ts';
import type { JourneyView } from './service.ts';

/**
 * Journey triggers the shipped journeys do not use: a time after a visit, a cancellation, and a
 * date reached (a birthday, a date custom field). Each message must be scheduled for its intended
 * instant, in the zone it is meant in, and only once, however often the planner and the worker run.
 */

const HOUR = 3600_000;
const NY = 'America/New_York';
const LA = 'America/Los_Angeles';
const localIn = (zone: string) => (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-LL-dd'T'HH:mmZZ");

for (const engine of engines()) {
  describe(`journey triggers (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock();
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    /** A clinic in `zone` with its own SMS template and journey, calls that sign in again as days pass, and a clock runner. */
    async function setUp(start: string, zone: string, journey: { trigger: Record<string, unknown>; steps?: Array<Record<string, unknown>>; body: string; customField?: string }) {
      clock.set(new Date(start));
      const t = await signedInTenant(app, database, 'admin');
      let cookie = t.cookie;
      const call = async <T,>(method: 'GET' | 'POST', url: string, payload?: object) => {
        const send = () => app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
        let res = await send();
        if (res.statusCode === 401) {
          cookie = await signInCookie(app, t.user.email, t.user.password);
          res = await send();
        }
        return { status: res.statusCode, body: json<T>(res) };
      };
      const clinic = await createClinic(database, t.tenant.id, { timeZone: zone, patients: 3 });
      if (journey.customField) assert.equal((await call('POST', '/api/custom-fields', { key: journey.customField, label: 'Surgery date', type: 'date' })).status, 201);
      const template = await call('POST', '/api/templates', { key: 'test.trigger', name: 'Trigger test', channel: 'sms', purpose: 'care', body: journey.body });
      assert.equal(template.status, 201, JSON.stringify(template.body));
      const saved = await call<JourneyView>('POST', '/api/journeys', {
        name: 'Under test',
        trigger: journey.trigger,
        steps: journey.steps ?? [{ type: 'send', channel: 'sms', template: 'test.trigger', purpose: 'care' }],
      });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      const book = async (patient: number, startsAt: string) => {
        const res = await call<AppointmentView>('POST', '/api/appointments', { patientId: clinic.patientIds[patient], serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body;
      };
      const options = outboxOptions(database.db, clock);
      const nextDue = () =>
        withTenant(database.db, t.system, async (scope) => {
          const run = await scope.tx.selectFrom('journey_run').select((eb) => eb.fn.min('next_at').as('at')).where('status', '=', 'waiting').executeTakeFirst();
          const message = await scope.tx.selectFrom('message').select((eb) => eb.fn.min('due_at').as('at')).where('status', '=', 'scheduled').executeTakeFirst();
          const times = [run?.at, message?.at].filter((d): d is Date => d !== null && d !== undefined).map((d) => new Date(d).getTime());
          return times.length ? Math.min(...times) : Infinity;
        });
      /** To `until`, stopping at every due moment and every few hours; the planner runs twice and the outbox is drained twice at each stop. */
      const runUntil = async (until: string, planEvery = 4 * HOUR) => {
        for (;;) {
          for (let i = 0; i < 2; i++) {
            await planScheduledTriggers(database.db, clock());
            await drainOutbox(options);
          }
          const now = clock().getTime();
          if (now >= Date.parse(until)) return;
          clock.advance(Math.min(Date.parse(until), now + planEvery, await nextDue()) - now);
        }
      };
      /** This journey's messages and runs. */
      const mine = async () => ({
        messages: (await messagesOf(database.db, t.tenant.id)).filter((m) => m.journey_id === saved.body.id),
        runs: await withTenant(database.db, t.system, (scope) => scope.tx.selectFrom('journey_run').select(['status', 'reason', 'next_at', 'patient_id']).where('journey_id', '=', saved.body.id).orderBy('next_at').execute()),
      });
      return { ...t, call, clinic, book, runUntil, mine, journeyId: saved.body.id };
    }

    test('appointment.after: two calendar days after the visit ends, in its zone across the end of summer time; not for a no-show, and once', async () => {
      const s = await setUp('2026-10-29T14:00:00Z', NY, { trigger: { type: 'appointment.after', offset: { days: 2 } }, body: '{{clinic.name}}: {{patient.firstName}}, how are you feeling after your visit?' });
      const local = localIn(NY);
      // Friday 30 October, 15:00 and 16:00 in New York (summer time); the clocks go back on Sunday 1 November.
      const seen = await s.book(0, '2026-10-30T19:00:00Z');
      const missed = await s.book(1, '2026-10-30T20:00:00Z');
      let { runs } = await s.mine();
      assert.deepEqual(runs.map((r) => [r.status, local(r.next_at)]), [
        ['waiting', '2026-11-01T15:30-05:00'],
        ['waiting', '2026-11-01T16:30-05:00'],
      ]);

      await s.runUntil('2026-10-30T20:45:00Z');
      assert.equal((await s.call('POST', `/api/appointments/${seen.id}/complete`, {})).status, 200);
      assert.equal((await s.call('POST', `/api/appointments/${missed.id}/no-show`, {})).status, 200);
      await s.runUntil('2026-11-03T14:00:00Z');
      const result = await s.mine();
      assert.deepEqual(result.messages.map((m) => [m.patient_id, m.status, local(m.due_at), local(m.sent_at!)]), [[s.clinic.patientIds[0], 'sandboxed', '2026-11-01T15:30-05:00', '2026-11-01T15:30-05:00']]);
      assert.match(result.messages[0]!.body_text!, /Patient1, how are you feeling after your visit\?/);
      runs = result.runs;
      assert.deepEqual(runs.map((r) => [r.patient_id, r.status, r.reason]), [
        [s.clinic.patientIds[0], 'done', null],
        [s.clinic.patientIds[1], 'cancelled', 'appointment_noshow'],
      ]);
    });

    test('appointment.after: a visit handed over after that moment (an import, a bulk writer) starts no run that would send late', async () => {
      const s = await setUp('2026-10-29T14:00:00Z', NY, { trigger: { type: 'appointment.after', offset: { hours: 1 } }, body: '{{patient.firstName}}, how was your visit?' });
      const visit = await s.book(0, '2026-10-30T19:00:00Z');
      const appointment = await withTenant(database.db, s.system, (scope) =>
        scope.tx.selectFrom('appointment').select(['id', 'patient_id', 'service_id', 'location_id', 'time_zone', 'starts_at', 'ends_at']).where('id', '=', visit.id).executeTakeFirstOrThrow(),
      );
      // As if the visit had come from elsewhere: no run for it yet.
      await withTenant(database.db, s.system, (scope) => scope.tx.deleteFrom('journey_run').where('journey_id', '=', s.journeyId).execute());
      const late = await withTenant(database.db, s.system, (scope) => scheduleRelativeRuns(scope, [appointment], new Date('2026-11-02T14:00:00Z')));
      assert.equal(late, 0);
      assert.equal((await s.mine()).runs.length, 0);
      // Handed over before that moment, it starts the run.
      const inTime = await withTenant(database.db, s.system, (scope) => scheduleRelativeRuns(scope, [appointment], new Date('2026-10-30T19:30:00Z')));
      assert.equal(inTime, 1);
      assert.equal((await s.mine()).runs.length, 1);
    });

    test('appointment.cancelled: a notice at the moment of cancelling and one a calendar day later in the patient\'s zone, though the visit is cancelled; once', async () => {
      const s = await setUp('2026-10-30T17:00:00Z', LA, {
        trigger: { type: 'appointment.cancelled' },
        steps: [
          { type: 'send', channel: 'sms', template: 'test.trigger', purpose: 'care' },
          { type: 'wait', days: 1 },
          { type: 'send', channel: 'sms', template: 'test.trigger', purpose: 'care' },
        ],
        body: '{{patient.firstName}}, your visit on {{appointment.date}} is cancelled. Call us to book another time.',
      });
      const local = localIn(LA);
      const visit = await s.book(0, '2026-11-04T18:00:00Z'); // Wednesday 4 November, 10:00 in Los Angeles
      await s.runUntil('2026-10-31T17:00:00Z'); // Saturday 10:00 (summer time)
      const cancelled = await s.call<AppointmentView>('POST', `/api/appointments/${visit.id}/cancel`, { reason: 'Patient called' });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal((await s.call('POST', `/api/appointments/${visit.id}/cancel`, { reason: 'Twice' })).status, 409);
      await s.runUntil('2026-11-05T00:00:00Z');

      const { messages, runs } = await s.mine();
      assert.deepEqual(messages.map((m) => [m.status, local(m.due_at), local(m.sent_at!)]), [
        ['sandboxed', '2026-10-31T10:00-07:00', '2026-10-31T10:00-07:00'],
        ['sandboxed', '2026-11-01T10:00-08:00', '2026-11-01T10:00-08:00'],
      ]);
      assert.match(messages[0]!.body_text!, /Patient1, your visit on .*4 November.* is cancelled/);
      assert.deepEqual(runs.map((r) => r.status), ['done']);
      // The visit's own reminders were stopped with it.
      const reminders = (await messagesOf(database.db, s.tenant.id)).filter((m) => m.template_key === 'appointment.reminder');
      assert.ok(reminders.every((m) => m.status === 'not_sent'), JSON.stringify(reminders.map((m) => [m.status, m.reason])));
    });

    test("date.reached on a birthday: 09:00 on the day in the patient's zone, once a year", async () => {
      const s = await setUp('2026-11-22T14:00:00Z', NY, { trigger: { type: 'date.reached', field: 'patient.birthDate', offsetDays: 0, at: '09:00' }, body: 'Happy birthday, {{patient.firstName}}!' });
      const local = localIn(LA);
      await withTenant(database.db, s.system, async (scope) => {
        await scope.tx.updateTable('patient').set({ birth_date: '1990-11-24', time_zone: LA }).where('id', '=', s.clinic.patientIds[0]!).execute();
        await scope.tx.updateTable('patient').set({ birth_date: '1988-02-29', time_zone: LA }).where('id', '=', s.clinic.patientIds[1]!).execute();
      });
      await s.runUntil('2026-11-27T00:00:00Z');
      let { messages } = await s.mine();
      assert.deepEqual(messages.map((m) => [m.patient_id, m.status, local(m.due_at), local(m.sent_at!)]), [[s.clinic.patientIds[0], 'sandboxed', '2026-11-24T09:00-08:00', '2026-11-24T09:00-08:00']]);
      assert.equal(messages[0]!.body_text, 'Happy birthday, Patient1!');

      // The next year, again; and a 29 February birthday has its day on the 28th when there is no 29th.
      clock.set(new Date('2027-02-26T12:00:00Z'));
      await s.runUntil('2027-03-02T12:00:00Z');
      clock.set(new Date('2027-11-23T12:00:00Z'));
      await s.runUntil('2027-11-25T12:00:00Z');
      ({ messages } = await s.mine());
      assert.deepEqual(messages.map((m) => [m.patient_id, local(m.sent_at!)]), [
        [s.clinic.patientIds[0], '2026-11-24T09:00-08:00'],
        [s.clinic.patientIds[1], '2027-02-28T09:00-08:00'],
        [s.clinic.patientIds[0], '2027-11-24T09:00-08:00'],
      ]);
    });

    test('date.reached on a date custom field: two days before the surgery date, at 18:00 in the patient\'s zone, once', async () => {
      const s = await setUp('2026-11-22T14:00:00Z', NY, {
        customField: 'surgery_date',
        trigger: { type: 'date.reached', field: 'custom.surgery_date', offsetDays: -2, at: '18:00' },
        body: '{{patient.firstName}}, a reminder to stop eating after midnight before your surgery.',
      });
      await withTenant(database.db, s.system, async (scope) => {
        await scope.tx.updateTable('patient').set({ custom_fields: JSON.stringify({ surgery_date: '2026-11-30' }), time_zone: LA }).where('id', '=', s.clinic.patientIds[0]!).execute();
        await scope.tx.updateTable('patient').set({ custom_fields: JSON.stringify({ surgery_date: '2026-12-01' }) }).where('id', '=', s.clinic.patientIds[1]!).execute();
      });
      await s.runUntil('2026-12-01T12:00:00Z');
      const { messages, runs } = await s.mine();
      assert.deepEqual(
        messages.map((m) => [m.patient_id, m.status, m.sent_at!.toISOString()]),
        [
          [s.clinic.patientIds[0], 'sandboxed', '2026-11-29T02:00:00.000Z'], // 28 November, 18:00 in Los Angeles
          [s.clinic.patientIds[1], 'sandboxed', '2026-11-29T23:00:00.000Z'], // 29 November, 18:00 in New York
        ],
      );
      assert.deepEqual(runs.map((r) => r.status), ['done', 'done']);
    });

    test('date.reached: a date corrected after its run was planned does not fire on the old date; the new date fires', async () => {
      const s = await setUp('2026-11-22T14:00:00Z', NY, {
        customField: 'surgery_date',
        trigger: { type: 'date.reached', field: 'custom.surgery_date', offsetDays: -1, at: '18:00' },
        body: '{{patient.firstName}}, your surgery is tomorrow.',
      });
      const setDate = (date: string) =>
        withTenant(database.db, s.system, (scope) => scope.tx.updateTable('patient').set({ custom_fields: JSON.stringify({ surgery_date: date }) }).where('id', '=', s.clinic.patientIds[0]!).execute());
      await setDate('2026-11-24');
      await s.runUntil('2026-11-23T14:00:00Z'); // planned: the run waits for 23 November, 18:00
      assert.deepEqual((await s.mine()).runs.map((r) => r.status), ['waiting']);
      await setDate('2026-11-27'); // the surgery moved
      await s.runUntil('2026-11-27T12:00:00Z');
      const { messages, runs } = await s.mine();
      assert.deepEqual(runs.map((r) => [r.status, r.reason]), [['cancelled', 'date_changed'], ['done', null]]);
      assert.deepEqual(messages.map((m) => m.sent_at!.toISOString()), ['2026-11-26T23:00:00.000Z']); // 26 November, 18:00 in New York
    });
  });
}
