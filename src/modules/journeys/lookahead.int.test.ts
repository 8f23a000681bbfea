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

/**
 * Reminders woken ahead of their instant (the worker's look-ahead): the message is in the outbox
 * early, due at the intended instant, sent then and not before; a reschedule or a cancellation in
 * between stops it; other journeys are not woken early.
 */

// Sunday 22 November 2026, 09:00 in New York.
const NOW = new Date('2026-11-22T14:00:00Z');
const MINUTE = 60_000;

for (const engine of engines()) {
  describe(`reminders woken ahead of their instant (${engine})`, () => {
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

    async function clinic() {
      const signedIn = await signedInTenant(app, database, 'front_desk');
      const c = await createClinic(database, signedIn.tenant.id);
      const call = async <T,>(url: string, payload: object) => {
        const cookie = await signInCookie(app, signedIn.user.email, signedIn.user.password);
        const res = await app.inject({ method: 'POST', url, headers: { cookie }, payload });
        return { status: res.statusCode, body: JSON.parse(res.body) as T };
      };
      const book = async (startsAt: string) => {
        const res = await call<AppointmentView>('/api/appointments', {
          patientId: c.patientIds[0],
          serviceId: c.serviceId,
          practitionerId: c.practitionerIds[0],
          locationId: c.locationId,
          startsAt,
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body;
      };
      const reminders = async () =>
        (await messagesOf(database.db, signedIn.tenant.id))
          .filter((m) => m.template_key === 'appointment.reminder' && m.channel === 'sms')
          .map((m) => ({ due: m.due_at.toISOString(), status: m.status, reason: m.reason, sentAt: m.sent_at?.toISOString() ?? null }));
      const runs = (key: string) =>
        withTenant(database.db, signedIn.system, (scope) =>
          scope.tx
            .selectFrom('journey_run')
            .innerJoin('journey', 'journey.id', 'journey_run.journey_id')
            .select(['journey_run.status', 'journey_run.reason'])
            .where('journey.key', '=', key)
            .orderBy('journey_run.created_at')
            .execute(),
        );
      return { ...signedIn, call, book, reminders, runs };
    }

    const lookahead = () => ({ ...outboxOptions(database.db, clock), runLookaheadSeconds: 30 * 60 });

    test('the two-hour SMS is in the outbox 20 minutes early, due at its instant, and sent then', async () => {
      clock.set(NOW);
      const t = await clinic();
      await t.book('2026-11-24T15:00:00Z'); // Tuesday 10:00 New York: the SMS is due at 08:00 (13:00Z).
      clock.set(new Date(Date.parse('2026-11-24T13:00:00Z') - 20 * MINUTE));
      await drainOutbox(lookahead());
      assert.deepEqual(await t.reminders(), [{ due: '2026-11-24T13:00:00.000Z', status: 'scheduled', reason: null, sentAt: null }]);
      assert.deepEqual((await t.runs('default.reminder-two-hours')).map((r) => r.status), ['done']);

      clock.advance(19 * MINUTE);
      await drainOutbox(lookahead());
      assert.equal((await t.reminders())[0]!.status, 'scheduled', 'not sent before its instant');
      clock.advance(MINUTE);
      await drainOutbox(lookahead());
      assert.deepEqual(await t.reminders(), [{ due: '2026-11-24T13:00:00.000Z', status: 'sandboxed', reason: null, sentAt: '2026-11-24T13:00:00.000Z' }]);
    });

    test('without a look-ahead nothing is woken early', async () => {
      clock.set(NOW);
      const t = await clinic();
      await t.book('2026-11-24T15:00:00Z');
      clock.set(new Date(Date.parse('2026-11-24T13:00:00Z') - MINUTE));
      await drainOutbox(outboxOptions(database.db, clock));
      assert.deepEqual(await t.reminders(), []);
      assert.deepEqual((await t.runs('default.reminder-two-hours')).map((r) => r.status), ['waiting']);
    });

    test('a reschedule after the early wake stops the early message; the new time gets its own', async () => {
      clock.set(NOW);
      const t = await clinic();
      const visit = await t.book('2026-11-24T15:00:00Z');
      clock.set(new Date(Date.parse('2026-11-24T13:00:00Z') - 10 * MINUTE));
      await drainOutbox(lookahead());
      assert.equal((await t.reminders()).length, 1);
      const moved = await t.call<AppointmentView>(`/api/appointments/${visit.id}/reschedule`, { startsAt: '2026-11-24T19:00:00Z', version: visit.version });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      clock.set(new Date('2026-11-24T17:00:00Z'));
      await drainOutbox(lookahead());
      assert.deepEqual(await t.reminders(), [
        { due: '2026-11-24T13:00:00.000Z', status: 'not_sent', reason: 'appointment_changed', sentAt: null },
        { due: '2026-11-24T17:00:00.000Z', status: 'sandboxed', reason: null, sentAt: '2026-11-24T17:00:00.000Z' },
      ]);
    });

    test('a cancellation after the early wake stops the early message', async () => {
      clock.set(NOW);
      const t = await clinic();
      const visit = await t.book('2026-11-24T15:00:00Z');
      clock.set(new Date(Date.parse('2026-11-24T13:00:00Z') - 10 * MINUTE));
      await drainOutbox(lookahead());
      const res = await t.call<AppointmentView>(`/api/appointments/${visit.id}/cancel`, { reason: 'Patient called' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      clock.set(new Date('2026-11-24T13:30:00Z'));
      await drainOutbox(lookahead());
      assert.deepEqual(await t.reminders(), [{ due: '2026-11-24T13:00:00.000Z', status: 'not_sent', reason: 'appointment_cancelled', sentAt: null }]);
    });

    test('a follow-up after the visit is not woken early', async () => {
      clock.set(NOW);
      const t = await clinic();
      const visit = await t.book('2026-11-23T15:00:00Z');
      clock.set(new Date('2026-11-23T15:05:00Z'));
      assert.equal((await t.call(`/api/appointments/${visit.id}/check-in`, {})).status, 200);
      assert.equal((await t.call(`/api/appointments/${visit.id}/complete`, {})).status, 200);
      assert.deepEqual((await t.runs('default.followup')).map((r) => r.status), ['waiting']);
      // Ten minutes before the follow-up's instant (a day after completion), inside the look-ahead.
      clock.set(new Date('2026-11-24T14:55:00Z'));
      await drainOutbox(lookahead());
      assert.deepEqual((await t.runs('default.followup')).map((r) => r.status), ['waiting']);
      clock.set(new Date('2026-11-24T15:05:00Z'));
      await drainOutbox(lookahead());
      assert.deepEqual((await t.runs('default.followup')).map((r) => r.status), ['done']);
    });
  });
}
