import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';
import type { WaitlistEntry } from './entries.ts';
import type { WaitlistOffer } from './offers.ts';
import type { WaitlistStats } from './stats.ts';
import { sweepWaitlist } from './sweep.ts';

type Offers = { items: WaitlistOffer[] };
type Accepted = { offer: WaitlistOffer; appointment: AppointmentView };

// Sunday 22 November 2026, 09:00 in New York. The freed slot is Tuesday 24 November, 10:00 EST.
const NOW = new Date('2026-11-22T14:00:00Z');
const SLOT = '2026-11-24T10:00:00-05:00';
const SLOT_UTC = '2026-11-24T15:00:00.000Z';

for (const engine of engines()) {
  describe(`waitlist (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(NOW);
    before(async () => {
      database = await openTestDatabase(engine, { poolMax: 10 });
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    /** Runs a test's steps with the clock moved, then puts it back for the next test. */
    async function later<T>(ms: number, work: () => Promise<T>): Promise<T> {
      clock.advance(ms);
      try {
        return await work();
      } finally {
        clock.advance(-ms);
      }
    }

    async function setUp(patients = 8) {
      const signedIn = await signedInTenant(app, database, 'front_desk');
      // Sessions end when idle, and some tests move the clock hours on: sign in again then.
      let cookie = signedIn.cookie;
      const signInAgain = async () => {
        cookie = await signInCookie(app, signedIn.user.email, signedIn.user.password);
      };
      const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
        const res = await app.inject({ method, url, headers: { cookie }, ...(payload !== undefined ? { payload: payload as object } : {}) });
        return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as T) : (undefined as T), raw: res };
      };
      const t = { ...signedIn, call, signInAgain };
      const clinic = await createClinic(database, t.tenant.id, { practitioners: 2, patients });
      const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, t.system, work);
      const book = async (patient: number, startsAt: string, practitioner = 0) => {
        const res = await t.call<AppointmentView & ErrorBody>('POST', '/api/appointments', {
          patientId: clinic.patientIds[patient],
          serviceId: clinic.serviceId,
          practitionerId: clinic.practitionerIds[practitioner],
          locationId: clinic.locationId,
          startsAt,
        });
        assert.equal(res.status, 201, res.raw.body);
        return res.body;
      };
      const cancel = async (id: string) => {
        const res = await t.call('POST', `/api/appointments/${id}/cancel`, { reason: 'Patient is travelling' });
        assert.equal(res.status, 200, res.raw.body);
      };
      let joined = 0;
      const join = async (patient: number, extra: Record<string, unknown> = {}) => {
        // Entries a second apart, so "longest waiting" has an order to find.
        joined += 1;
        const res = await later(joined * 1000, () =>
          t.call<WaitlistEntry & ErrorBody>('POST', '/api/waitlist', { patientId: clinic.patientIds[patient], serviceId: clinic.serviceId, ...extra }),
        );
        assert.equal(res.status, 201, res.raw.body);
        return res.body;
      };
      const offers = async (status = 'pending') => {
        const res = await t.call<Offers>('GET', `/api/waitlist/offers?status=${status}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body.items;
      };
      const releases = () => inTenant((s) => s.tx.selectFrom('waitlist_release').selectAll().orderBy('released_at').orderBy('starts_at').execute());
      const entryStatus = async (id: string) => (await inTenant((s) => s.tx.selectFrom('waitlist_entry').select('status').where('id', '=', id).executeTakeFirstOrThrow())).status;
      const timeline = async (patient: number) =>
        (await t.call<{ items: Array<{ kind: string; summary: string }> }>('GET', `/api/patients/${clinic.patientIds[patient]}/timeline`)).body.items;
      const patientOf = (offer: WaitlistOffer) => clinic.patientIds.indexOf(offer.patient.id);
      return { ...t, clinic, inTenant, book, cancel, join, offers, releases, entryStatus, timeline, patientOf };
    }

    test('a cancellation is offered to the best three matching patients, not recently offered first; non-matching entries are not offered', async () => {
      const t = await setUp();
      const source = await t.book(0, SLOT);
      const recent = await t.join(1);
      await t.join(2);
      await t.join(3, { weekdays: [2], earliestTime: '09:30', latestTime: '12:00', notBefore: '2026-11-23', notAfter: '2026-11-30' });
      await t.join(4, { locationId: t.clinic.locationId, practitionerId: t.clinic.practitionerIds[0] });
      await t.join(5, { weekdays: [1, 3, 4, 5] });
      await t.join(6, { earliestTime: '11:00' });
      await t.join(7, { practitionerId: t.clinic.practitionerIds[1] });
      // Patient 1 waited longest but was offered a slot an hour ago: the others go first.
      await t.inTenant((s) => s.tx.updateTable('waitlist_entry').set({ last_offered_at: new Date(NOW.getTime() - 3600_000) }).where('id', '=', recent.id).execute());

      assert.deepEqual(await t.offers(), [], 'nothing offered before a slot frees');
      await t.cancel(source.id);

      const offers = await t.offers();
      assert.deepEqual(offers.map(t.patientOf).sort(), [2, 3, 4]);
      const first = offers[0]!;
      assert.equal(first.slot.startsAt, SLOT_UTC);
      assert.equal(first.slot.timeZone, 'America/New_York');
      assert.match(first.slot.local, /Tue 24 Nov 2026, 10:00 EST/);
      assert.equal(first.expiresAt, new Date(NOW.getTime() + 2 * 3600_000).toISOString());
      assert.equal(first.batch, 1);
      assert.ok(first.patient.phone);
      const [release] = await t.releases();
      assert.equal(release!.status, 'open');
      assert.equal(release!.batches, 1);
      assert.equal(release!.source_appointment_id, source.id);
      const lines = await t.timeline(2);
      assert.ok(lines.some((e) => e.kind === 'waitlist.joined'));
      const offered = lines.find((e) => e.kind === 'waitlist.offered');
      assert.match(offered!.summary, /Follow-up visit with Dr\. Test1 Practitioner, Tue 24 Nov 2026, 10:00 EST/);
      const waiting = await t.call<{ items: WaitlistEntry[] }>('GET', '/api/waitlist');
      assert.equal(waiting.body.items.length, 7);
      assert.equal(waiting.body.items.at(-1)!.patient.id, t.clinic.patientIds[4], 'just offered: last in the queue');
      assert.ok((await t.audit()).some((a) => a.action === 'waitlist.list'));
      assert.ok((await t.audit()).some((a) => a.action === 'waitlist.offer' && a.patient_id === t.clinic.patientIds[2]));
    });

    test('nobody matching (wrong day, or already booked at that time): the release is unmatched', async () => {
      const t = await setUp();
      const source = await t.book(0, SLOT);
      await t.join(1, { weekdays: [1] });
      await t.join(2);
      await t.book(2, SLOT, 1);
      await t.cancel(source.id);
      const [release] = await t.releases();
      assert.equal(release!.status, 'unmatched');
      assert.ok(release!.closed_at);
      assert.deepEqual(await t.offers(), []);
    });

    test('a new-patients-only service is not offered to a patient seen before', async () => {
      const t = await setUp();
      await t.inTenant((s) => s.tx.updateTable('service').set({ eligibility: 'new' }).where('id', '=', t.clinic.serviceId).execute());
      const source = await t.book(0, SLOT);
      await t.join(1);
      await t.join(2);
      // Patient 1 has had a visit.
      await t.inTenant((s) =>
        s.tx
          .insertInto('appointment')
          .values({ tenant_id: t.tenant.id, patient_id: t.clinic.patientIds[1]!, practitioner_id: t.clinic.practitionerIds[1]!, location_id: t.clinic.locationId, service_id: t.clinic.serviceId, starts_at: '2026-10-01T14:00:00Z', ends_at: '2026-10-01T14:30:00Z', time_zone: t.clinic.timeZone, status: 'fulfilled' })
          .execute(),
      );
      await t.cancel(source.id);
      assert.deepEqual((await t.offers()).map(t.patientOf), [2]);
    });

    test('the first acceptance books the slot; a second is 409 "this slot has gone" and its offer is gone', async () => {
      const t = await setUp();
      const source = await t.book(0, SLOT);
      const a = await t.join(1);
      const b = await t.join(2);
      await t.cancel(source.id);
      const offers = await t.offers();
      const offerOf = (entry: WaitlistEntry) => offers.find((o) => o.entryId === entry.id)!;

      const won = await t.call<Accepted>('POST', `/api/waitlist/offers/${offerOf(a).id}/accept`);
      assert.equal(won.status, 200, won.raw.body);
      assert.equal(won.body.offer.status, 'accepted');
      assert.equal(won.body.appointment.startsAt, SLOT_UTC);
      assert.equal(won.body.appointment.bookedVia, 'waitlist');
      assert.equal(won.body.appointment.patient.id, t.clinic.patientIds[1]);
      assert.equal(won.body.offer.appointmentId, won.body.appointment.id);

      const lost = await t.call<ErrorBody>('POST', `/api/waitlist/offers/${offerOf(b).id}/accept`);
      assert.equal(lost.status, 409);
      assert.equal(lost.body.error.code, 'slot_gone');
      assert.match(lost.body.error.message, /this slot has gone/i);
      assert.deepEqual((await t.offers('gone')).map((o) => o.id), [offerOf(b).id]);
      assert.ok((await t.timeline(2)).some((e) => e.kind === 'waitlist.offer_gone' && /the slot has gone/.test(e.summary)));
      const [release] = await t.releases();
      assert.equal(release!.status, 'filled');
      assert.equal(release!.filled_appointment_id, won.body.appointment.id);
      assert.equal(await t.entryStatus(a.id), 'booked');
      assert.equal(await t.entryStatus(b.id), 'waiting');
      const declined = await t.call<ErrorBody>('POST', `/api/waitlist/offers/${offerOf(b).id}/decline`);
      assert.equal(declined.status, 409);
      const audit = await t.audit();
      assert.ok(audit.some((e) => e.action === 'waitlist.offer_accept' && e.outcome === 'failure' && e.patient_id === t.clinic.patientIds[2]));
    });

    test('a slot booked another way meanwhile: the acceptance is 409 and every offer of it is gone', async () => {
      const t = await setUp();
      const source = await t.book(0, SLOT);
      await t.join(1);
      await t.join(2);
      await t.cancel(source.id);
      await t.book(3, SLOT);
      const [offer] = await t.offers();
      const res = await t.call<ErrorBody>('POST', `/api/waitlist/offers/${offer!.id}/accept`);
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, 'slot_gone');
      assert.equal((await t.offers('gone')).length, 2);
      assert.equal((await t.releases())[0]!.status, 'expired');
    });

    test('an entry holding a later booking gets it moved earlier, and the slot it leaves goes to the waitlist', async () => {
      const t = await setUp();
      const source = await t.book(0, SLOT);
      const held = await t.book(1, '2026-11-26T10:00:00-05:00');
      const earlier = await t.book(3, '2026-11-23T09:00:00-05:00');
      const mover = await t.join(1, { appointmentId: held.id });
      await t.join(3, { appointmentId: earlier.id });
      const other = await t.join(2);
      assert.equal(mover.appointment!.id, held.id);
      await t.cancel(source.id);
      const offers = await t.offers();
      assert.deepEqual(offers.map(t.patientOf).sort(), [1, 2], 'the patient holding an earlier booking is not offered');

      const moved = await t.call<Accepted>('POST', `/api/waitlist/offers/${offers.find((o) => o.entryId === mover.id)!.id}/accept`);
      assert.equal(moved.status, 200, moved.raw.body);
      assert.equal(moved.body.appointment.id, held.id, 'the same booking, moved');
      assert.equal(moved.body.appointment.startsAt, SLOT_UTC);
      assert.equal(moved.body.appointment.version, 2);
      const detail = await t.call<{ history: Array<{ action: string; via: string }> }>('GET', `/api/appointments/${held.id}`);
      assert.deepEqual(detail.body.history.map((h) => [h.action, h.via]), [['booked', 'staff'], ['rescheduled', 'waitlist']]);

      // Thursday's slot came free: offered to the patient still waiting.
      const next = await t.offers();
      assert.equal(next.length, 1);
      assert.equal(next[0]!.entryId, other.id);
      assert.equal(next[0]!.slot.startsAt, '2026-11-26T15:00:00.000Z');
      const releases = await t.releases();
      assert.deepEqual(releases.map((r) => r.status).sort(), ['filled', 'open']);
    });

    test('the sweep expires unanswered offers and sends the next batch; declines move it on; a started slot expires', async () => {
      const t = await setUp(8);
      const source = await t.book(0, SLOT);
      for (const p of [1, 2, 3, 4, 5]) await t.join(p);
      await t.cancel(source.id);
      const firstBatch = await t.offers();
      assert.deepEqual(firstBatch.map(t.patientOf).sort(), [1, 2, 3]);

      const quiet = await sweepWaitlist(database.db, clock());
      assert.equal((await t.offers()).length, 3, 'nothing changes before the offers expire');
      assert.ok(quiet.offersSent >= 0);

      await later(2 * 3600_000 + 60_000, async () => {
        await t.signInAgain();
        const swept = await sweepWaitlist(database.db, clock());
        assert.ok(swept.offersExpired >= 3 && swept.offersSent >= 2);
        assert.deepEqual((await t.offers('expired')).map(t.patientOf).sort(), [1, 2, 3]);
        const second = await t.offers();
        assert.deepEqual(second.map(t.patientOf).sort(), [4, 5]);
        assert.ok(second.every((o) => o.batch === 2));
        assert.ok((await t.timeline(1)).some((e) => e.kind === 'waitlist.offer_expired'));
        // Both decline: nobody is left to ask, and the release closes.
        for (const offer of second) {
          const res = await t.call<WaitlistOffer>('POST', `/api/waitlist/offers/${offer.id}/decline`);
          assert.equal(res.status, 200, res.raw.body);
          assert.equal(res.body.status, 'declined');
        }
        const [release] = await t.releases();
        assert.equal(release!.status, 'expired');
        assert.equal(release!.batches, 2);
      });
      await t.signInAgain();

      // Monday 08:00: a 09:00 slot frees, its offers end when it starts, and then it expires.
      await later(23 * 3600_000, async () => {
        await t.signInAgain();
        const late = await t.book(0, '2026-11-23T09:00:00-05:00');
        await t.cancel(late.id);
        const pending = await t.offers();
        assert.equal(pending.length, 3);
        assert.equal(pending[0]!.expiresAt, '2026-11-23T14:00:00.000Z', 'an offer never outlives the slot');
        await later(3600_000 + 60_000, async () => {
          await sweepWaitlist(database.db, clock());
          await t.signInAgain();
          assert.equal((await t.offers()).length, 0);
          assert.deepEqual((await t.releases()).map((r) => r.status), ['expired', 'expired']);
        });
      });
      await t.signInAgain();
    });

    test('fill rate: filled over releases that were offered, with the median time to fill', async () => {
      const t = await setUp();
      const filledSlot = await t.book(0, SLOT);
      const openSlot = await t.book(0, '2026-11-25T10:00:00-05:00');
      const lonelySlot = await t.book(0, '2026-11-27T10:00:00-05:00');
      await t.join(1, { weekdays: [2, 3] });
      await t.join(2, { weekdays: [2, 3] });
      await t.cancel(filledSlot.id);
      await t.cancel(openSlot.id);
      await t.cancel(lonelySlot.id);
      const tuesday = (await t.offers()).find((o) => o.slot.startsAt === SLOT_UTC)!;
      await later(30 * 60_000, async () => {
        await t.signInAgain();
        const res = await t.call('POST', `/api/waitlist/offers/${tuesday.id}/accept`);
        assert.equal(res.status, 200, res.raw.body);
      });
      await t.signInAgain();
      const stats = await t.call<WaitlistStats>('GET', '/api/waitlist/stats?from=2026-11-22&to=2026-11-22');
      assert.equal(stats.status, 200, stats.raw.body);
      assert.deepEqual(
        { releases: stats.body.releases, offered: stats.body.offered, unmatched: stats.body.unmatched, open: stats.body.open, filled: stats.body.filled, offers: stats.body.offers },
        { releases: 3, offered: 2, unmatched: 1, open: 1, filled: 1, offers: 4 },
      );
      assert.equal(stats.body.fillRate, 0.5);
      assert.equal(stats.body.medianMinutesToFill, 30);
      assert.equal(stats.body.timeZone, 'America/New_York');
      const none = await t.call<WaitlistStats>('GET', '/api/waitlist/stats?from=2026-10-01&to=2026-10-31');
      assert.equal(none.body.releases, 0);
      assert.equal(none.body.fillRate, null);
      const bad = await t.call<ErrorBody>('GET', '/api/waitlist/stats?from=2026-11-30&to=2026-11-01');
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /to must not be before from/);
    });

    test('change preferences and withdraw: on the timeline, and a withdrawn entry is not offered', async () => {
      const t = await setUp();
      const entry = await t.join(1);
      const changed = await t.call<WaitlistEntry>('PATCH', `/api/waitlist/${entry.id}`, { weekdays: [5, 1], earliestTime: '08:00', latestTime: '12:30', notes: 'Mornings only' });
      assert.equal(changed.status, 200, changed.raw.body);
      assert.deepEqual(changed.body.weekdays, [1, 5]);
      assert.equal(changed.body.earliestTime, '08:00');
      assert.equal(changed.body.latestTime, '12:30');
      assert.equal(changed.body.notes, 'Mornings only');
      const unordered = await t.call<ErrorBody>('PATCH', `/api/waitlist/${entry.id}`, { earliestTime: '13:00' });
      assert.equal(unordered.status, 400);
      assert.match(unordered.body.error.message, /latestTime must be after earliestTime/);
      const withdrawn = await t.call<WaitlistEntry>('PATCH', `/api/waitlist/${entry.id}`, { status: 'withdrawn' });
      assert.equal(withdrawn.body.status, 'withdrawn');
      assert.ok((await t.timeline(1)).some((e) => e.kind === 'waitlist.withdrawn'));
      const source = await t.book(0, '2026-11-27T10:00:00-05:00');
      await t.cancel(source.id);
      assert.deepEqual(await t.offers(), []);
      const list = await t.call<{ items: WaitlistEntry[] }>('GET', `/api/waitlist?status=withdrawn&serviceId=${t.clinic.serviceId}&patientId=${t.clinic.patientIds[1]}`);
      assert.deepEqual(list.body.items.map((e) => e.id), [entry.id]);
      assert.deepEqual((await t.call<{ items: WaitlistEntry[] }>('GET', '/api/waitlist')).body.items, []);
    });

    test('bad input is 400 naming the field; another tenant is 404; marketing may not see the list', async () => {
      const t = await setUp();
      const other = await setUp();
      const theirs = await other.join(0);
      const appointment = await t.book(0, SLOT);
      const stranger = await t.inTenant(async (s) =>
        s.tx.insertInto('practitioner').values({ tenant_id: t.tenant.id, given_name: 'Not', family_name: 'Offering' }).returning('id').executeTakeFirstOrThrow(),
      );
      const post = (extra: Record<string, unknown>, patient = 1) =>
        t.call<ErrorBody>('POST', '/api/waitlist', { patientId: t.clinic.patientIds[patient], serviceId: t.clinic.serviceId, ...extra });
      const cases: Array<[string, Awaited<ReturnType<typeof post>>, number, RegExp]> = [
        ['bad time', await post({ earliestTime: '25:00' }), 400, /earliestTime must be a time as HH:MM/],
        ['latest before earliest', await post({ earliestTime: '14:00', latestTime: '09:00' }), 400, /latestTime must be after earliestTime/],
        ['weekday 0', await post({ weekdays: [0] }), 400, /weekdays\.0 must be an ISO weekday/],
        ['weekday 8', await post({ weekdays: [1, 8] }), 400, /weekdays\.1 must be an ISO weekday/],
        ['no weekdays', await post({ weekdays: [] }), 400, /weekdays must name at least one weekday/],
        ['bad date', await post({ notBefore: '2026-02-30' }), 400, /notBefore must be a date/],
        ['dates reversed', await post({ notBefore: '2026-12-10', notAfter: '2026-12-01' }), 400, /notAfter must not be before notBefore/],
        ['practitioner not offering', await post({ practitionerId: stranger.id }), 400, /practitionerId does not offer Follow-up visit/],
        ['other tenant practitioner', await post({ practitionerId: other.clinic.practitionerIds[0] }), 400, /practitionerId is not a practitioner of this clinic/],
        ["someone else's appointment", await post({ appointmentId: appointment.id }), 400, /appointmentId is not one of this patient's appointments/],
        ['unknown field', await post({ colour: 'red' }), 400, /colour/],
        ['other tenant patient', await post({ patientId: other.clinic.patientIds[0] }), 404, /Patient was not found/],
        ['other tenant service', await post({ serviceId: other.clinic.serviceId }), 404, /Service was not found/],
      ];
      for (const [name, res, status, message] of cases) {
        assert.equal(res.status, status, `${name}: ${res.raw.body}`);
        assert.match(res.body.error.message, message, name);
      }
      await t.inTenant((s) => s.tx.updateTable('service').set({ active: false }).where('id', '=', t.clinic.serviceId).execute());
      const inactive = await post({});
      assert.equal(inactive.status, 400);
      assert.equal(inactive.body.error.fields?.[0]?.path, 'serviceId');
      assert.equal((await t.call<{ items: unknown[] }>('GET', '/api/waitlist?status=all')).body.items.length, 0, 'nothing stored');

      assert.equal((await t.call('GET', `/api/waitlist/${theirs.id}`)).status, 404);
      assert.equal((await t.call('PATCH', `/api/waitlist/${theirs.id}`, { status: 'withdrawn' })).status, 404);
      assert.equal((await t.call('GET', '/api/waitlist/not-an-id')).status, 404);
      const source = await other.book(1, SLOT);
      await other.cancel(source.id);
      const [theirOffer] = await other.offers();
      assert.ok(theirOffer);
      assert.equal((await t.call('POST', `/api/waitlist/offers/${theirOffer.id}/accept`)).status, 404);
      assert.equal((await t.call('POST', `/api/waitlist/offers/${theirOffer.id}/decline`)).status, 404);
      assert.deepEqual(await t.offers(), []);

      const marketing = await signedInTenant(app, database, 'marketing');
      assert.equal((await marketing.call('GET', '/api/waitlist')).status, 403);
      assert.equal((await marketing.call('GET', '/api/waitlist/offers')).status, 403);
      assert.equal((await marketing.call('GET', '/api/waitlist/stats?from=2026-11-01&to=2026-11-30')).status, 200);
    });

    test('several acceptances of one slot at once: exactly one booking', async () => {
      const t = await setUp();
      const source = await t.book(0, SLOT);
      for (const p of [1, 2, 3]) await t.join(p);
      await t.cancel(source.id);
      const offers = await t.offers();
      assert.equal(offers.length, 3);
      const results = await Promise.all(offers.map((o) => t.call<ErrorBody>('POST', `/api/waitlist/offers/${o.id}/accept`)));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409], results.map((r) => r.raw.body).join('\n'));
      const booked = await t.inTenant((s) =>
        s.tx.selectFrom('appointment').select(['patient_id', 'booked_via']).where('starts_at', '=', new Date(SLOT_UTC)).where('status', '=', 'booked').execute(),
      );
      assert.equal(booked.length, 1);
      assert.equal(booked[0]!.booked_via, 'waitlist');
      assert.equal((await t.offers('accepted')).length, 1);
      assert.equal((await t.offers('gone')).length, 2);
    });
  });
}
