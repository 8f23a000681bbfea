import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestTenant, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant, type TenantContext } from '../../server/db/scope.ts';
import { registerJourneys } from '../journeys/register.ts';
import { bookAppointment, changeAppointmentStatus } from '../scheduling/booking.ts';
import type { AdapterRegistry } from './adapters.ts';
import { recordConsent } from './consent.ts';
import { claimDueMessages, deliverMessage, type DispatchDeps } from './dispatch.ts';
import { scheduleMessage } from './outbox.ts';
import type { ChannelAdapter, OutgoingMessage } from './types.ts';

/**
 * Withdrawal race: consent withdrawn, or the appointment cancelled, while a worker has the
 * reminder claimed. The worker holds the message's row lock from its last checks until the
 * outcome is recorded, and the withdrawal (or cancellation) updates the same row, so:
 * - provider first: the withdrawal waits for the send to be recorded, and commits after it;
 * - withdrawal first: the worker finds the message stopped and never calls the provider.
 * Either way nothing reaches the provider after the withdrawal commits. The provider here is an
 * adapter whose send() waits until the test releases it. On PostgreSQL the two transactions run
 * on separate connections and the wait is a real row lock (seen in pg_stat_activity); on PGlite
 * one session serialises them, and the same order must still hold.
 */

const NOW = new Date('2026-11-23T15:00:00Z');
/** What waits on PostgreSQL: the withdrawal's (or cancellation's) update of the message, or the worker's locking read. */
const STOPPING = /^update "message" set "status" = \$1, "reason" = \$2/;
const LOCKING = /^select \* from "message" where "id" in \(\$1\) order by "id" for update$/;

type Event = { what: string; at: number };

/** A provider whose send() blocks until released, recording when it was called and returned. */
function gatedProvider(events: Event[]) {
  const calls: OutgoingMessage[] = [];
  let entered!: () => void;
  const enteredP = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const adapter: ChannelAdapter = {
    provider: 'gated',
    async send(message) {
      calls.push(message);
      events.push({ what: 'provider.called', at: performance.now() });
      entered();
      await gate;
      events.push({ what: 'provider.answered', at: performance.now() });
      return { outcome: 'sent', providerMessageId: `gated-${message.id}` };
    },
  };
  const registry: AdapterRegistry = { adapterFor: () => adapter, close: async () => {} };
  return { registry, calls, entered: enteredP, release };
}

/** Resolves with a flag the test reads to tell whether a promise has settled yet. */
function track<T>(promise: Promise<T>, events: Event[], what: string) {
  const state = { settled: false };
  const done = promise.then(
    (value) => {
      state.settled = true;
      events.push({ what, at: performance.now() });
      return value;
    },
    (error: unknown) => {
      state.settled = true;
      throw error;
    },
  );
  return { state, done };
}

const at = (events: Event[], what: string) => {
  const e = events.find((x) => x.what === what);
  assert.ok(e, `event ${what} happened (${events.map((x) => x.what).join(', ')})`);
  return e.at;
};

for (const engine of engines()) {
  describe(`withdrawal race (${engine})`, () => {
    let database: TestDatabase;
    const clock = manualClock(NOW);
    before(async () => {
      database = await openTestDatabase(engine, { poolMax: 8 });
      registerJourneys();
    });
    after(async () => {
      await database.dispose();
    });

    /**
     * Waits until another transaction is queued behind the row lock. On PostgreSQL that is visible:
     * a backend of this database waiting on a Lock. PGlite has one session, where the second
     * transaction queues for the session itself; a short pause lets it get as far as it can.
     */
    async function untilBlocked(waiting: RegExp): Promise<void> {
      if (engine === 'pglite') {
        await new Promise((resolve) => setTimeout(resolve, 150));
        return;
      }
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await sql<{ query: string }>`
          select query from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
        if (rows.length) {
          assert.equal(rows.length, 1);
          assert.match(rows[0]!.query, waiting);
          return;
        }
        if (Date.now() > deadline) throw new Error('no transaction ever waited for the row lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }

    async function setUp(options: { appointment?: boolean } = {}) {
      const tenant = await createTestTenant(database);
      const system: TenantContext = { tenantId: tenant.id, actor: { type: 'system', id: null } };
      const events: Event[] = [];
      const provider = gatedProvider(events);
      const deps: DispatchDeps = { db: database.db, clock, adapters: provider.registry, baseUrl: 'https://rapport.test', worker: `race-${tenant.slug}`, leaseSeconds: 60 };
      let patientId: string;
      let appointmentId: string | null = null;
      if (options.appointment) {
        const clinic = await createClinic(database, tenant.id, { patients: 1 });
        patientId = clinic.patientIds[0]!;
        appointmentId = await withTenant(database.db, system, async (scope) => {
          const a = await bookAppointment(
            scope,
            { patientId, serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0]!, locationId: clinic.locationId, startsAt: new Date('2026-11-24T15:00:00Z') },
            clock(),
          );
          return a.id;
        });
      } else {
        patientId = await withTenant(database.db, system, async (scope) => {
          const p = await scope.tx
            .insertInto('patient')
            .values({ tenant_id: tenant.id, given_name: 'Race', family_name: 'Test', email: 'race@example.com', phone: '+14135550101' })
            .returning('id')
            .executeTakeFirstOrThrow();
          return p.id;
        });
      }
      await withTenant(database.db, system, (scope) =>
        scope.tx.updateTable('patient').set({ email: 'race@example.com', quiet_hours_start: '00:00', quiet_hours_end: '00:00' }).where('id', '=', patientId).execute(),
      );
      const schedule = (key: string) =>
        withTenant(database.db, system, (scope) =>
          scheduleMessage(
            scope,
            {
              patientId,
              channel: 'email',
              purpose: 'care',
              idempotencyKey: key,
              dueAt: clock(),
              subject: 'Your visit tomorrow',
              body: 'See you tomorrow.',
              ...(appointmentId ? { about: { type: 'appointment', id: appointmentId }, expiresAt: new Date('2026-11-24T15:00:00Z') } : {}),
            },
            clock(),
          ),
        );
      const claimOnly = async (id: string) => {
        const claims = await claimDueMessages(deps, 50);
        const claim = claims.find((c) => c.id === id);
        assert.ok(claim, 'the message was claimed');
        return claim;
      };
      const withdraw = () =>
        withTenant(database.db, system, (scope) => recordConsent(scope, { patientId, channels: ['email'], purposes: ['care'], status: 'withdrawn', source: 'staff' }, clock()));
      const cancel = () =>
        withTenant(database.db, system, (scope) => changeAppointmentStatus(scope, appointmentId!, { action: 'cancel', reason: 'Patient called to cancel' }, clock()));
      const message = (id: string) => withTenant(database.db, system, (scope) => scope.tx.selectFrom('message').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
      const attempts = (id: string) =>
        withTenant(database.db, system, (scope) => scope.tx.selectFrom('message_attempt').select(['outcome', 'detail']).where('message_id', '=', id).execute());
      return { tenant, system, events, provider, deps, patientId, appointmentId, schedule, claimOnly, withdraw, cancel, message, attempts };
    }

    test('consent withdrawn while the provider has the message: the withdrawal commits after the send, nothing goes later', async () => {
      const s = await setUp();
      const inFlight = await s.schedule('race:in-flight');
      const waiting = await s.schedule('race:waiting');
      // Claim only the first; the second stays scheduled.
      await withTenant(database.db, s.system, (scope) => scope.tx.updateTable('message').set({ due_at: new Date(NOW.getTime() + 3600_000) }).where('id', '=', waiting.id).execute());
      const claim = await s.claimOnly(inFlight.id);

      const delivering = track(deliverMessage(s.deps, claim), s.events, 'worker.committed');
      await Promise.race([s.provider.entered, delivering.done.then(() => assert.fail('delivered without calling the provider'))]);
      const withdrawing = track(s.withdraw(), s.events, 'withdrawal.committed');
      await untilBlocked(STOPPING);
      assert.equal(withdrawing.state.settled, false, 'the withdrawal waits while the worker holds the message');
      s.provider.release();
      assert.equal(await delivering.done, 'sent');
      const withdrawal = await withdrawing.done;

      // The one message already with the provider went; the other was stopped by the withdrawal.
      assert.equal(withdrawal.messagesStopped, 1);
      assert.ok(at(s.events, 'provider.called') < at(s.events, 'withdrawal.committed'));
      assert.ok(at(s.events, 'provider.answered') < at(s.events, 'withdrawal.committed'));
      assert.ok(at(s.events, 'worker.committed') <= at(s.events, 'withdrawal.committed'));
      assert.equal((await s.message(inFlight.id)).status, 'sent');
      const stopped = await s.message(waiting.id);
      assert.deepEqual([stopped.status, stopped.reason], ['not_sent', 'consent_withdrawn']);

      // Whatever a worker does afterwards, nothing more reaches the provider.
      clock.advance(2 * 3600_000);
      const later = await claimDueMessages(s.deps, 50);
      for (const c of later) await deliverMessage(s.deps, c);
      assert.equal(s.provider.calls.length, 1);
      assert.equal(s.provider.calls[0]!.id, inFlight.id);
    });

    test('consent withdrawn and committed after the claim, before the worker sends: the provider is never called', async () => {
      const s = await setUp();
      const m = await s.schedule('race:withdrawn-first');
      const claim = await s.claimOnly(m.id);
      const withdrawal = await s.withdraw();
      s.events.push({ what: 'withdrawal.committed', at: performance.now() });
      assert.equal(withdrawal.messagesStopped, 1, 'the claimed message is stopped too');
      s.provider.release();
      assert.equal(await deliverMessage(s.deps, claim), 'skipped');
      assert.equal(s.provider.calls.length, 0);
      const row = await s.message(m.id);
      assert.deepEqual([row.status, row.reason, row.sent_at], ['not_sent', 'consent_withdrawn', null]);
      assert.deepEqual(await s.attempts(m.id), []);
    });

    test('withdrawal in progress (row locked, not committed) when the worker starts: the worker waits, then sends nothing', async () => {
      const s = await setUp();
      const m = await s.schedule('race:withdrawal-in-progress');
      const claim = await s.claimOnly(m.id);
      let commit!: () => void;
      const holdOpen = new Promise<void>((resolve) => (commit = resolve));
      let updated!: () => void;
      const rowUpdated = new Promise<void>((resolve) => (updated = resolve));
      const withdrawing = track(
        withTenant(database.db, s.system, async (scope) => {
          const r = await recordConsent(scope, { patientId: s.patientId, channels: ['email'], purposes: ['care'], status: 'withdrawn', source: 'staff' }, clock());
          updated();
          await holdOpen;
          return r;
        }),
        s.events,
        'withdrawal.committed',
      );
      await rowUpdated;
      s.provider.release();
      const delivering = track(deliverMessage(s.deps, claim), s.events, 'worker.done');
      await untilBlocked(LOCKING);
      assert.equal(delivering.state.settled, false, 'the worker waits for the withdrawal');
      assert.equal(s.provider.calls.length, 0);
      commit();
      assert.equal((await withdrawing.done).messagesStopped, 1);
      assert.equal(await delivering.done, 'skipped');
      assert.equal(s.provider.calls.length, 0);
      const row = await s.message(m.id);
      assert.deepEqual([row.status, row.reason], ['not_sent', 'consent_withdrawn']);
    });

    test('appointment cancelled while the provider has its reminder: the cancellation commits after the send', async () => {
      const s = await setUp({ appointment: true });
      const m = await s.schedule('race:cancel-in-flight');
      const claim = await s.claimOnly(m.id);
      const delivering = track(deliverMessage(s.deps, claim), s.events, 'worker.committed');
      await Promise.race([s.provider.entered, delivering.done.then(() => assert.fail('delivered without calling the provider'))]);
      const cancelling = track(s.cancel(), s.events, 'cancellation.committed');
      await untilBlocked(STOPPING);
      assert.equal(cancelling.state.settled, false, 'the cancellation waits while the worker holds the reminder');
      s.provider.release();
      assert.equal(await delivering.done, 'sent');
      assert.equal((await cancelling.done).status, 'cancelled');
      assert.ok(at(s.events, 'provider.answered') < at(s.events, 'cancellation.committed'));
      assert.ok(at(s.events, 'worker.committed') <= at(s.events, 'cancellation.committed'));
      assert.equal((await s.message(m.id)).status, 'sent');
      assert.equal(s.provider.calls.length, 1);
    });

    test('appointment cancelled and committed after the claim: the reminder is not sent (appointment_cancelled)', async () => {
      const s = await setUp({ appointment: true });
      const m = await s.schedule('race:cancel-first');
      const claim = await s.claimOnly(m.id);
      await s.cancel();
      s.provider.release();
      assert.equal(await deliverMessage(s.deps, claim), 'skipped');
      assert.equal(s.provider.calls.length, 0);
      const row = await s.message(m.id);
      assert.deepEqual([row.status, row.reason, row.sent_at], ['not_sent', 'appointment_cancelled', null]);
    });

    test('appointment cancellation in progress when the worker starts: the worker waits, then sends nothing', async () => {
      const s = await setUp({ appointment: true });
      const m = await s.schedule('race:cancel-in-progress');
      const claim = await s.claimOnly(m.id);
      let commit!: () => void;
      const holdOpen = new Promise<void>((resolve) => (commit = resolve));
      let updated!: () => void;
      const rowUpdated = new Promise<void>((resolve) => (updated = resolve));
      const cancelling = track(
        withTenant(database.db, s.system, async (scope) => {
          const r = await changeAppointmentStatus(scope, s.appointmentId!, { action: 'cancel', reason: 'Clinic closed' }, clock());
          updated();
          await holdOpen;
          return r;
        }),
        s.events,
        'cancellation.committed',
      );
      await rowUpdated;
      s.provider.release();
      const delivering = track(deliverMessage(s.deps, claim), s.events, 'worker.done');
      await untilBlocked(LOCKING);
      assert.equal(delivering.state.settled, false, 'the worker waits for the cancellation');
      commit();
      await cancelling.done;
      assert.equal(await delivering.done, 'skipped');
      assert.equal(s.provider.calls.length, 0);
      const row = await s.message(m.id);
      assert.deepEqual([row.status, row.reason], ['not_sent', 'appointment_cancelled']);
    });
  });
}
