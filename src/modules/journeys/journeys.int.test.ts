import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';

// Sunday 22 November 2026, 09:00 in New York.
const NOW = new Date('2026-11-22T14:00:00Z');
const HOUR = 3600_000;

for (const engine of engines()) {
  describe(`journeys (${engine})`, () => {
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

    test('a booking is confirmed at once, reminded the day before and two hours before, in the sandbox', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const clinic = await createClinic(database, t.tenant.id);
      const booked = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId: clinic.patientIds[0],
        serviceId: clinic.serviceId,
        practitionerId: clinic.practitionerIds[0],
        locationId: clinic.locationId,
        startsAt: '2026-11-24T15:00:00Z',
      });
      assert.equal(booked.status, 201);
      const options = outboxOptions(database.db, clock);
      await drainOutbox(options);
      let messages = await messagesOf(database.db, t.tenant.id);
      // No email on file: the confirmation goes by SMS (the journey's branch), into the sandbox.
      assert.deepEqual(messages.map((m) => [m.template_key, m.channel, m.status]), [['appointment.confirmation', 'sms', 'sandboxed']]);
      assert.match(messages[0]!.body_text!, /Patient1, you are booked for Tuesday 24 November at 10:00 AM/);

      clock.advance(25 * HOUR); // Monday 10:00 New York: the day-before email falls due, with no address.
      await drainOutbox(options);
      clock.advance(22 * HOUR); // Tuesday 08:00 New York: the two-hour SMS.
      await drainOutbox(options);
      messages = await messagesOf(database.db, t.tenant.id);
      assert.deepEqual(
        messages.map((m) => [m.template_key, m.channel, m.status, m.reason]),
        [
          ['appointment.confirmation', 'sms', 'sandboxed', null],
          ['appointment.reminder', 'email', 'not_sent', 'no_email_address'],
          ['appointment.reminder', 'sms', 'sandboxed', null],
        ],
      );
      assert.equal(messages[2]!.due_at.toISOString(), '2026-11-24T13:00:00.000Z');
    });

    async function bookedClinic() {
      const signedIn = await signedInTenant(app, database, 'front_desk');
      const clinic = await createClinic(database, signedIn.tenant.id);
      // The test moves the clock by days, past any session: each call signs in afresh.
      const call = async <T,>(method: 'POST' | 'GET', url: string, payload?: object) => {
        const cookie = await signInCookie(app, signedIn.user.email, signedIn.user.password);
        const res = await app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
        return { status: res.statusCode, body: JSON.parse(res.body) as T };
      };
      const t = { ...signedIn, call };
      const book = async (startsAt: string, patient = 0) => {
        const res = await t.call<AppointmentView>('POST', '/api/appointments', {
          patientId: clinic.patientIds[patient],
          serviceId: clinic.serviceId,
          practitionerId: clinic.practitionerIds[0],
          locationId: clinic.locationId,
          startsAt,
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body;
      };
      const runs = () =>
        withTenant(database.db, t.system, (scope) =>
          scope.tx.selectFrom('journey_run').innerJoin('journey', 'journey.id', 'journey_run.journey_id').select(['journey.key', 'journey_run.status', 'journey_run.next_at', 'journey_run.reason']).orderBy('journey_run.next_at').execute(),
        );
      return { ...t, clinic, book, runs };
    }

    test('rescheduling moves the reminders to the new time; the old ones are never sent', async () => {
      clock.set(NOW);
      const t = await bookedClinic();
      const appointment = await t.book('2026-11-25T15:00:00Z'); // Wednesday 10:00 New York
      const moved = await t.call<AppointmentView>('POST', `/api/appointments/${appointment.id}/reschedule`, { startsAt: '2026-11-27T16:00:00Z', version: appointment.version });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      const runs = await t.runs();
      const waiting = runs.filter((r) => r.status === 'waiting' && r.key?.startsWith('default.reminder')).map((r) => [r.key, r.next_at.toISOString()]);
      assert.deepEqual(waiting, [
        ['default.reminder-day-before', '2026-11-26T16:00:00.000Z'],
        ['default.reminder-two-hours', '2026-11-27T14:00:00.000Z'],
      ]);
      assert.deepEqual(runs.filter((r) => r.status === 'cancelled').map((r) => r.reason), ['appointment_changed', 'appointment_changed']);
      const options = outboxOptions(database.db, clock);
      clock.set(new Date('2026-11-27T15:00:00Z'));
      await drainOutbox(options);
      const reminders = (await messagesOf(database.db, t.tenant.id)).filter((m) => m.template_key === 'appointment.reminder');
      // Only the new time's reminders exist: the day-before email (no address) and the SMS.
      assert.deepEqual(reminders.map((m) => [m.channel, m.due_at.toISOString(), m.status]), [
        ['email', '2026-11-26T16:00:00.000Z', 'not_sent'],
        ['sms', '2026-11-27T14:00:00.000Z', 'sandboxed'],
      ]);
      assert.match(reminders[1]!.body_text!, /Friday 27 November at 11:00 AM/);
    });

    test('cancelling stops pending reminders; a reminder whose moment passed is not sent late', async () => {
      clock.set(NOW);
      const t = await bookedClinic();
      const cancelled = await t.book('2026-11-25T15:00:00Z');
      const res = await t.call<AppointmentView>('POST', `/api/appointments/${cancelled.id}/cancel`, { reason: 'Patient called' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok((await t.runs()).filter((r) => r.key?.startsWith('default.reminder')).every((r) => r.status === 'cancelled' && r.reason === 'appointment_cancelled'));

      // Booked 90 minutes ahead: neither the day-before nor the two-hour reminder is due any more.
      clock.set(new Date('2026-11-23T14:00:00Z'));
      await t.book('2026-11-23T15:30:00Z', 1);
      const options = outboxOptions(database.db, clock);
      clock.set(new Date('2026-11-26T00:00:00Z'));
      await drainOutbox(options);
      const messages = await messagesOf(database.db, t.tenant.id);
      assert.deepEqual(messages.filter((m) => m.template_key === 'appointment.reminder'), []);
      // The cancelled visit's confirmation run was stopped too: only the second booking is confirmed.
      assert.equal(messages.filter((m) => m.template_key === 'appointment.confirmation').length, 1);
    });

    test('a reminder claimed after its visit was cancelled is recorded as not sent, with the reason', async () => {
      clock.set(NOW);
      const t = await bookedClinic();
      const appointment = await t.book('2026-11-24T15:00:00Z');
      const options = outboxOptions(database.db, clock);
      clock.set(new Date('2026-11-24T13:00:00Z'));
      // The run turns into a message, but the worker is stopped before it sends.
      const { claimDueRuns, advanceRun } = await import('./engine.ts');
      for (const claim of await claimDueRuns(database.db, 10, clock())) await advanceRun(database.db, claim, clock());
      const res = await t.call<AppointmentView>('POST', `/api/appointments/${appointment.id}/cancel`, { reason: 'Unwell' });
      assert.equal(res.status, 200);
      await drainOutbox(options);
      const sms = (await messagesOf(database.db, t.tenant.id)).filter((m) => m.template_key === 'appointment.reminder' && m.channel === 'sms');
      assert.deepEqual(sms.map((m) => [m.status, m.reason]), [['not_sent', 'appointment_cancelled']]);
      const timeline = await withTenant(database.db, t.system, (scope) =>
        scope.tx.selectFrom('timeline_event').select(['kind', 'summary']).where('kind', 'like', 'message.%').orderBy('recorded_at').execute(),
      );
      assert.ok(timeline.some((e) => e.kind === 'message.not_sent' && /appointment was cancelled/.test(e.summary)), JSON.stringify(timeline));
    });

    test('a no-show gets a rebooking text, and a task two days later when nothing was rebooked', async () => {
      clock.set(NOW);
      const t = await bookedClinic();
      const appointment = await t.book('2026-11-23T15:00:00Z');
      clock.set(new Date('2026-11-23T16:00:00Z'));
      const res = await t.call<AppointmentView>('POST', `/api/appointments/${appointment.id}/no-show`, {});
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const options = outboxOptions(database.db, clock);
      await drainOutbox(options);
      const rebook = (await messagesOf(database.db, t.tenant.id)).filter((m) => m.template_key === 'noshow.rebook');
      assert.deepEqual(rebook.map((m) => [m.channel, m.status]), [['sms', 'sandboxed']]);
      assert.match(rebook[0]!.body_text!, /https:\/\/rapport\.test\/book\//);
      clock.set(new Date('2026-11-25T16:00:01Z'));
      await drainOutbox(options);
      const tasks = await withTenant(database.db, t.system, (scope) => scope.tx.selectFrom('task').select(['title', 'patient_id']).execute());
      assert.deepEqual(tasks, [{ title: 'Call to rebook after a missed appointment', patient_id: t.clinic.patientIds[0] }]);
    });
  });
}
