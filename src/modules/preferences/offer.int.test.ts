import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';
import { ensureTenantLinkKey, readLinkClaims, signLink, type LinkPurpose } from '../scheduling/links.ts';
import type { OfferView } from './schema.ts';

// Sunday 22 November 2026, 09:00 in New York. The freed slot is Tuesday 24 November, 10:00 EST.
const NOW = new Date('2026-11-22T14:00:00Z');
const SLOT_UTC = '2026-11-24T15:00:00.000Z';
const HOUR = 3600_000;

let address = 0;
const nextIp = () => `192.0.2.${(address = (address % 250) + 1)}`;

for (const engine of engines()) {
  describe(`waitlist offer page (${engine})`, () => {
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

    /** Patients 1 and 2 wait for the service; patient 0 cancels, so both are offered the slot and texted a link. */
    async function setUp() {
      clock.set(NOW);
      const t = await signedInTenant(app, database, 'front_desk');
      const clinic = await createClinic(database, t.tenant.id, { patients: 3 });
      const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, t.system, work);
      const booked = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId: clinic.patientIds[0],
        serviceId: clinic.serviceId,
        practitionerId: clinic.practitionerIds[0],
        locationId: clinic.locationId,
        startsAt: SLOT_UTC,
      });
      assert.equal(booked.status, 201, booked.raw.body);
      for (const patient of [1, 2]) {
        const joined = await t.call('POST', '/api/waitlist', { patientId: clinic.patientIds[patient], serviceId: clinic.serviceId });
        assert.equal(joined.status, 201, joined.raw.body);
      }
      const cancelled = await t.call('POST', `/api/appointments/${booked.body.id}/cancel`, { reason: 'Patient is travelling' });
      assert.equal(cancelled.status, 200, cancelled.raw.body);
      await drainOutbox(outboxOptions(database.db, clock));
      // The link each patient was texted (no SMS provider: kept in the sandbox with its text).
      const texts = (await messagesOf(database.db, t.tenant.id)).filter((m) => m.template_key === 'waitlist.offer' && m.channel === 'sms');
      const linkOf = (patient: number) => {
        const text = texts.find((m) => m.patient_id === clinic.patientIds[patient]);
        assert.ok(text, `patient ${patient} was texted the offer`);
        assert.equal(text.status, 'sandboxed');
        const match = /https:\/\/rapport\.test\/offer\/(\S+)/.exec(text.body_text ?? '');
        assert.ok(match, text.body_text ?? '');
        return match[1]!;
      };
      const key = await ensureTenantLinkKey(database.db, t.tenant.id);
      const sign = (purpose: LinkPurpose, claims: { subject: string; patientId: string; expiresAt?: number }) =>
        signLink(key, { tenantId: t.tenant.id, appointmentId: claims.subject, patientId: claims.patientId, purpose, expiresAt: claims.expiresAt ?? Math.floor(NOW.getTime() / 1000) + HOUR / 1000 });
      const ip = nextIp();
      const send = async <T = OfferView & ErrorBody>(method: 'GET' | 'POST', token: string, action?: 'accept' | 'decline') => {
        const res = await app.inject({ method, url: `/api/public/offers/${token}${action ? `/${action}` : ''}`, remoteAddress: ip, ...(action ? { payload: {} } : {}) });
        return { status: res.statusCode, body: JSON.parse(res.body) as T };
      };
      const appointments = () => inTenant((s) => s.tx.selectFrom('appointment').select(['patient_id', 'starts_at', 'status', 'booked_via']).orderBy('created_at').execute());
      return { ...t, clinic, inTenant, linkOf, sign, send, appointments };
    }

    test('the link in the text shows the slot; the first to accept books it, a second accept and the other patient get 409', async () => {
      const t = await setUp();
      const first = t.linkOf(1);
      const second = t.linkOf(2);
      const view = await t.send('GET', first);
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.equal(view.body.clinic.name, t.tenant.name);
      assert.equal(view.body.offer.status, 'pending');
      assert.equal(view.body.offer.expiresAt, new Date(NOW.getTime() + 2 * HOUR).toISOString());
      assert.equal(readLinkClaims(first)!.expiresAt, (NOW.getTime() + 2 * HOUR) / 1000, 'the link lapses with the offer');
      assert.deepEqual(view.body.offer.slot, {
        startsAt: SLOT_UTC,
        endsAt: '2026-11-24T15:30:00.000Z',
        timeZone: 'America/New_York',
        service: 'Follow-up visit',
        practitioner: 'Dr. Test1 Practitioner',
        location: { name: 'Clinic America/New_York', address: '1 Test Street' },
      });
      assert.deepEqual(view.body.actions, { accept: true, decline: true });
      assert.equal(view.body.manageUrl, null);

      clock.advance(10 * 60_000);
      const accepted = await t.send('POST', first, 'accept');
      assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
      assert.equal(accepted.body.offer.status, 'accepted');
      assert.deepEqual(accepted.body.actions, { accept: false, decline: false });
      assert.match(accepted.body.manageUrl ?? '', /^\/book\/manage\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
      const booked = (await t.appointments()).filter((a) => a.status === 'booked');
      assert.deepEqual(booked.map((a) => [a.patient_id, new Date(a.starts_at).toISOString(), a.booked_via]), [[t.clinic.patientIds[1], SLOT_UTC, 'waitlist']]);

      const twice = await t.send('POST', first, 'accept');
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, 'offer_accepted');

      const gone = await t.send('GET', second);
      assert.equal(gone.body.offer.status, 'gone');
      assert.deepEqual(gone.body.actions, { accept: false, decline: false });
      const late = await t.send('POST', second, 'accept');
      assert.equal(late.status, 409);
      assert.equal(late.body.error.code, 'slot_gone');
      assert.match(late.body.error.message, /still on the waiting list/);
      assert.equal((await t.appointments()).filter((a) => a.status === 'booked').length, 1);

      const audit = await t.inTenant((s) => s.tx.selectFrom('audit_event').select(['action', 'outcome']).where('actor_type', '=', 'public').where('action', '=', 'waitlist.offer_accept').orderBy('occurred_at').execute());
      assert.deepEqual(audit.map((a) => a.outcome), ['success', 'failure', 'failure']);
    });

    test('two patients accepting at the same moment: one books the slot, the other is told it has gone', async () => {
      const t = await setUp();
      const results = await Promise.all([t.send('POST', t.linkOf(1), 'accept'), t.send('POST', t.linkOf(2), 'accept')]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
      assert.equal(results.find((r) => r.status === 409)!.body.error.code, 'slot_gone');
      assert.equal((await t.appointments()).filter((a) => a.status === 'booked').length, 1);
    });

    test('a declined offer cannot be accepted afterwards', async () => {
      const t = await setUp();
      const link = t.linkOf(2);
      const declined = await t.send('POST', link, 'decline');
      assert.equal(declined.status, 200, JSON.stringify(declined.body));
      assert.equal(declined.body.offer.status, 'declined');
      const accept = await t.send('POST', link, 'accept');
      assert.equal(accept.status, 409);
      assert.equal(accept.body.error.code, 'offer_declined');
      assert.equal((await t.send('POST', link, 'decline')).status, 409);
      assert.equal((await t.appointments()).filter((a) => a.status === 'booked').length, 0);
    });

    test('a link for another purpose or patient, tampered or past the offer\'s expiry is refused', async () => {
      const t = await setUp();
      const link = t.linkOf(1);
      const offerId = readLinkClaims(link)!.appointmentId;
      assert.equal((await t.send('GET', t.sign('manage', { subject: offerId, patientId: t.clinic.patientIds[1]! }))).status, 404);
      assert.equal((await t.send('GET', t.sign('survey', { subject: offerId, patientId: t.clinic.patientIds[1]! }))).status, 404);
      // Patient 2's name on patient 1's offer: a well-signed link, but not theirs.
      assert.equal((await t.send('POST', t.sign('offer', { subject: offerId, patientId: t.clinic.patientIds[2]! }), 'accept')).status, 404);
      assert.equal((await t.send('GET', `${link.slice(0, -1)}${link.endsWith('A') ? 'B' : 'A'}`)).status, 404);
      clock.advance(2 * HOUR);
      const expired = await t.send('POST', link, 'accept');
      assert.equal(expired.status, 410);
      assert.equal(expired.body.error.code, 'link_expired');
      assert.equal((await t.appointments()).filter((a) => a.status === 'booked').length, 0);
    });
  });
}
