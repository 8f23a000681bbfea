import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestTenant, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic, type ClinicOptions } from '../../../test/helpers/scheduling.ts';
import { withSystem, withTenant } from '../../server/db/scope.ts';
import { ensureTenantLinkKey, readLinkClaims, signLink } from '../scheduling/links.ts';
import type { Booked, Catalog, ManageView, PublicSlots } from './schema.ts';

// Sunday 22 November 2026, 09:00 in New York; the test clinic works Monday to Friday 09:00-17:00.
const NOW = new Date('2026-11-22T14:00:00Z');
const MONDAY = '2026-11-23';
const MON_10 = '2026-11-23T10:00:00-05:00';
const MON_11 = '2026-11-23T11:00:00-05:00';

let address = 0;
/** A fresh client address, so one test's bookings do not count against another's rate limit. */
const nextIp = () => `198.51.100.${(address = (address % 250) + 1)}`;

for (const engine of engines()) {
  describe(`public booking page (${engine})`, () => {
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

    async function setUp(options: ClinicOptions = {}) {
      const t = await signedInTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id, options);
      const ip = nextIp();
      const base = `/api/public/booking/${t.tenant.slug}`;
      const send = async <T>(method: 'GET' | 'POST', url: string, payload?: object, remoteAddress = ip) => {
        const res = await app.inject({ method, url, remoteAddress, ...(payload ? { payload } : {}) });
        return { status: res.statusCode, body: (res.body && res.headers['content-type']?.toString().includes('json') ? JSON.parse(res.body) : res.body) as T, raw: res };
      };
      const details = { givenName: 'Nadia', familyName: 'Okafor', birthDate: '1991-04-12', phone: '413-555-0177' };
      const book = (startsAt: string, extra: Record<string, unknown> = {}, remoteAddress = ip) =>
        send<Booked & ErrorBody>('POST', `${base}/appointments`, {
          serviceId: clinic.serviceId,
          practitionerId: clinic.practitionerIds[0],
          locationId: clinic.locationId,
          startsAt,
          ...details,
          ...extra,
        }, remoteAddress);
      const slots = async (day = MONDAY) => (await send<PublicSlots>('GET', `${base}/slots?serviceId=${clinic.serviceId}&from=${day}&to=${day}`)).body.slots;
      const manage = <T = ManageView & ErrorBody>(manageUrl: string, action?: 'confirm' | 'cancel' | 'reschedule', payload?: object) =>
        send<T>(action ? 'POST' : 'GET', `/api/public/booking/manage/${manageUrl.split('/').at(-1)}${action ? `/${action}` : ''}`, action ? (payload ?? {}) : undefined);
      const rows = <T extends 'appointment' | 'patient' | 'duplicate_candidate'>(table: T) =>
        withTenant(database.db, t.system, (s) => s.tx.selectFrom(table as 'appointment').selectAll().execute()) as unknown as Promise<Array<Record<string, unknown>>>;
      return { ...t, clinic, base, send, book, slots, manage, rows, ip };
    }

    test('the catalog lists public services with who offers them where; a closed page or unknown clinic is 404', async () => {
      const t = await setUp();
      const hidden = await withTenant(database.db, t.system, (s) =>
        s.tx.insertInto('service').values({ tenant_id: t.tenant.id, name: 'Staff only', duration_minutes: 30, public_booking: false }).returning('id').executeTakeFirstOrThrow(),
      );
      await withTenant(database.db, t.system, async (s) => {
        await s.tx.insertInto('service_practitioner').values({ tenant_id: t.tenant.id, service_id: hidden.id, practitioner_id: t.clinic.practitionerIds[0]! }).execute();
        await s.tx.insertInto('service_location').values({ tenant_id: t.tenant.id, service_id: hidden.id, location_id: t.clinic.locationId }).execute();
      });
      const res = await t.send<Catalog>('GET', t.base);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.clinic.name, t.tenant.name);
      assert.deepEqual(res.body.services.map((s) => s.name), ['Follow-up visit']);
      assert.deepEqual(res.body.services[0]!.practitionerIds, t.clinic.practitionerIds);
      assert.deepEqual(res.body.practitioners.map((p) => p.name), ['Dr. Test1 Practitioner']);
      assert.equal(res.body.locations[0]!.timeZone, 'America/New_York');

      // The hidden service has no public slots and cannot be booked online.
      const hiddenSlots = await t.send<ErrorBody>('GET', `${t.base}/slots?serviceId=${hidden.id}&from=${MONDAY}&to=${MONDAY}`);
      assert.equal(hiddenSlots.status, 404);
      const hiddenBooking = await t.book(MON_10, { serviceId: hidden.id });
      assert.equal(hiddenBooking.status, 404);

      const slots = await t.send<PublicSlots>('GET', `${t.base}/slots?serviceId=${t.clinic.serviceId}&from=2026-11-22&to=${MONDAY}`);
      assert.equal(slots.body.slots.length, 16);
      assert.deepEqual(slots.body.practitioners.map((p) => p.name), ['Dr. Test1 Practitioner']);
      assert.equal(Object.hasOwn(slots.body.slots[0]!, 'roomId'), false);
      const long = await t.send<ErrorBody>('GET', `${t.base}/slots?serviceId=${t.clinic.serviceId}&from=2026-11-23&to=2026-12-24`);
      assert.equal(long.status, 400);
      assert.equal(long.body.error.fields?.[0]?.path, 'to');

      await withSystem(database.db, (tx) => tx.updateTable('tenant').set({ booking_page_enabled: false }).where('id', '=', t.tenant.id).execute());
      assert.equal((await t.send<ErrorBody>('GET', t.base)).status, 404);
      assert.equal((await t.send<ErrorBody>('GET', `${t.base}/slots?serviceId=${t.clinic.serviceId}&from=${MONDAY}&to=${MONDAY}`)).status, 404);
      assert.equal((await t.book(MON_10)).status, 404);
      assert.equal((await t.send<ErrorBody>('GET', '/api/public/booking/no-such-clinic')).status, 404);
      assert.equal((await t.rows('appointment')).length, 0);
    });

    test('a new patient is registered with the online-booking source and campaign tags, and booked', async () => {
      const t = await setUp();
      const before = (await t.rows('patient')).length;
      const res = await t.book(MON_10, { email: 'Nadia.Okafor@Example.org', utmSource: 'google', utmMedium: 'cpc', utmCampaign: 'winter-checkups', referrer: 'https://clinic.example.org/book' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.appointment.startsAt, '2026-11-23T15:00:00.000Z');
      assert.equal(res.body.appointment.timeZone, 'America/New_York');
      assert.equal(res.body.appointment.practitioner.name, 'Dr. Test1 Practitioner');
      assert.match(res.body.manageUrl, /^\/book\/manage\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
      assert.equal(res.body.icsUrl, `/api/public/booking/manage/${res.body.manageUrl.split('/').at(-1)}/ics`);
      assert.doesNotMatch(res.raw.body, /Nadia|Okafor|1991|patient/i, 'no patient data in the answer');

      const patients = await t.rows('patient');
      assert.equal(patients.length, before + 1);
      const created = patients.find((p) => p.given_name === 'Nadia')!;
      assert.equal(created.source_channel, 'online booking');
      assert.equal(created.utm_source, 'google');
      assert.equal(created.utm_medium, 'cpc');
      assert.equal(created.utm_campaign, 'winter-checkups');
      assert.equal(created.source_campaign, 'winter-checkups');
      assert.equal(created.source_referrer, 'https://clinic.example.org/book');
      assert.equal(created.phone, '+14135550177');
      assert.equal(created.email, 'nadia.okafor@example.org');
      assert.equal(created.lifecycle_status, 'active');
      const [appointment] = await t.rows('appointment');
      assert.equal(appointment!.patient_id, created.id);
      assert.equal(appointment!.booked_via, 'public');

      const audit = await withTenant(database.db, t.system, (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'actor_type', 'outcome']).where('actor_type', '=', 'public').execute(),
      );
      const actions = audit.map((a) => a.action);
      for (const action of ['patient.identify', 'patient.create', 'appointment.booked']) assert.ok(actions.includes(action), action);
      // The booked time is gone from the page.
      assert.ok(!(await t.slots()).some((s) => s.startsAt === '2026-11-23T15:00:00.000Z'));
    });

    test('an existing patient is recognised by date of birth and phone, or by date of birth and email; the answer looks the same', async () => {
      const t = await setUp();
      const [first, second] = t.clinic.patientIds as [string, string];
      await withTenant(database.db, t.system, (s) => s.tx.updateTable('patient').set({ email: 'second.patient@example.org' }).where('id', '=', second).execute());
      const before = (await t.rows('patient')).length;
      const who = { givenName: 'Patient1', familyName: 'Scheduling', birthDate: '1980-01-01' };
      const byPhone = await t.book(MON_10, { ...who, phone: '(413) 555-1000' });
      assert.equal(byPhone.status, 201, JSON.stringify(byPhone.body));
      const byEmail = await t.book(MON_11, { ...who, givenName: 'Pat', phone: undefined, email: ' Second.Patient@EXAMPLE.org ' });
      assert.equal(byEmail.status, 201, JSON.stringify(byEmail.body));
      assert.equal((await t.rows('patient')).length, before, 'no new patient');
      const appointments = await t.rows('appointment');
      assert.deepEqual(appointments.map((a) => a.patient_id).sort(), [first, second].sort());
      const fresh = await t.book('2026-11-23T12:00:00-05:00', { email: 'someone.new@example.org' });
      assert.deepEqual(Object.keys(fresh.body).sort(), Object.keys(byPhone.body).sort());
      assert.deepEqual(Object.keys(fresh.body.appointment).sort(), Object.keys(byPhone.body.appointment).sort());
      // The right date of birth with nobody's phone, or a phone with the wrong date of birth: someone new.
      const wrongBirth = await t.book('2026-11-23T13:00:00-05:00', { ...who, birthDate: '1980-01-02', phone: '413-555-1000' });
      assert.equal(wrongBirth.status, 201);
      assert.equal((await t.rows('patient')).length, before + 2);
    });

    test('several matching patients are not guessed between; a likely duplicate goes to the review queue', async () => {
      const t = await setUp();
      const [first, second] = t.clinic.patientIds as [string, string];
      // Two records share a date of birth and a phone (a family line, say).
      await withTenant(database.db, t.system, (s) => s.tx.updateTable('patient').set({ phone: '+14135551000' }).where('id', '=', second).execute());
      const before = (await t.rows('patient')).length;
      const ambiguous = await t.book(MON_10, { givenName: 'Patient1', familyName: 'Scheduling', birthDate: '1980-01-01', phone: '413-555-1000' });
      assert.equal(ambiguous.status, 201, JSON.stringify(ambiguous.body));
      const patients = await t.rows('patient');
      assert.equal(patients.length, before + 1);
      const created = patients.find((p) => ![first, second].includes(p.id as string))!;
      assert.equal(created.source_channel, 'online booking');
      const candidates = await t.rows('duplicate_candidate');
      assert.ok(
        candidates.some((c) => [c.patient_a, c.patient_b].includes(created.id) && [c.patient_a, c.patient_b].includes(first) && c.status === 'open'),
        'the new record is queued for review against the existing one',
      );

      // Same name and birth date, new contact details: a new record, queued for review.
      const t2 = await setUp();
      const likely = await t2.book(MON_10, { givenName: 'Patient1', familyName: 'Scheduling', birthDate: '1980-01-01', phone: '413-555-0188' });
      assert.equal(likely.status, 201, JSON.stringify(likely.body));
      const newcomer = (await t2.rows('patient')).find((p) => p.phone === '+14135550188')!;
      const queued = await t2.rows('duplicate_candidate');
      assert.ok(queued.some((c) => [c.patient_a, c.patient_b].includes(newcomer.id)), JSON.stringify(queued));
    });

    test('a filled honeypot is answered like a booking, stores nothing, and is audited as denied', async () => {
      const t = await setUp();
      const patients = (await t.rows('patient')).length;
      const bot = await t.book(MON_10, { website: 'http://spam.example' });
      assert.equal(bot.status, 201);
      assert.equal(bot.body.appointment.service.name, 'Follow-up visit');
      assert.equal((await t.rows('patient')).length, patients);
      assert.equal((await t.rows('appointment')).length, 0);
      assert.equal((await t.manage(bot.body.manageUrl)).status, 404, 'the decoy link leads nowhere');
      const denied = await withTenant(database.db, t.system, (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'outcome', 'detail']).where('action', '=', 'booking_page.book').execute(),
      );
      assert.equal(denied.length, 1);
      assert.equal(denied[0]!.outcome, 'denied');
    });

    test('bookings are rate-limited per address (429 with Retry-After); another address goes on', async () => {
      const t = await setUp();
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await t.book(MON_10, { website: 'bot' })).status);
      assert.deepEqual(statuses, [...Array(10).fill(201), 429]);
      const limited = await t.book(MON_10, { website: 'bot' });
      assert.ok(Number(limited.raw.headers['retry-after']) > 0);
      assert.equal((await t.book(MON_10, {}, nextIp())).status, 201);
    });

    test('bad input is refused by name and nothing is stored: past, outside hours, taken, missing contact, bad dates', async () => {
      const t = await setUp();
      const patients = (await t.rows('patient')).length;
      const expect = async (res: Promise<{ status: number; body: ErrorBody }>, status: number, field?: string, code?: string) => {
        const r = await res;
        assert.equal(r.status, status, JSON.stringify(r.body));
        if (field) assert.equal(r.body.error.fields?.[0]?.path, field, JSON.stringify(r.body));
        if (code) assert.equal(r.body.error.code, code);
        return r.body;
      };
      await expect(t.book('2026-11-20T10:00:00-05:00'), 400, 'startsAt', 'in_the_past');
      await expect(t.book('2026-11-23T20:00:00-05:00'), 400, 'startsAt', 'outside_availability');
      await expect(t.book('2026-11-22T12:00:00-05:00'), 400, 'startsAt', 'outside_availability');
      await expect(t.book('2026-11-23T10:00:00'), 400, 'startsAt');
      await expect(t.book(MON_10, { phone: undefined }), 400, 'phone');
      await expect(t.book(MON_10, { phone: '12' }), 400, 'phone');
      await expect(t.book(MON_10, { phone: undefined, email: 'not-an-email' }), 400, 'email');
      await expect(t.book(MON_10, { birthDate: '2030-01-01' }), 400, 'birthDate');
      await expect(t.book(MON_10, { birthDate: '1991-02-30' }), 400, 'birthDate');
      await expect(t.book(MON_10, { givenName: ' ' }), 400, 'givenName');
      await expect(t.book(MON_10, { serviceId: 'nope' }), 400, 'serviceId');
      await expect(t.book(MON_10, { practitionerId: t.clinic.locationId }), 400, 'practitionerId');
      await expect(t.book(MON_10, { patientId: t.clinic.patientIds[0] }), 400, 'patientId');
      assert.equal((await t.rows('patient')).length, patients);
      assert.equal((await t.rows('appointment')).length, 0);

      assert.equal((await t.book(MON_10)).status, 201);
      const taken = await expect(t.book(MON_10, { givenName: 'Other', familyName: 'Person', birthDate: '1970-05-05', phone: '413-555-0199' }), 409, 'startsAt', 'slot_taken');
      assert.match(taken.error.message, /no longer available/);
      assert.equal(taken.error.details, undefined, 'no other appointment is described');
      assert.equal((await t.rows('patient')).length, patients + 1, 'the refused newcomer was not kept');
      assert.equal((await t.rows('appointment')).length, 1);
    });

    test('booking rules hold on the public page, in patient-friendly words', async () => {
      const t = await setUp({ service: { eligibility: 'established' } });
      const patients = (await t.rows('patient')).length;
      const res = await t.book(MON_10);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'booking_rule');
      assert.match(res.body.error.message, /patients the clinic has seen before/);
      assert.equal((await t.rows('patient')).length, patients, 'nothing stored');
      const notice = await setUp({ service: { minNoticeMinutes: 48 * 60 } });
      const soon = await notice.book(MON_10);
      assert.equal(soon.status, 400);
      assert.equal(soon.body.error.fields?.[0]?.path, 'startsAt');
    });

    test('the signed link shows the booking; confirm; the .ics; cancel frees the slot', async () => {
      const t = await setUp();
      const booked = (await t.book(MON_10)).body;
      const view = await t.manage(booked.manageUrl);
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.equal(view.body.clinic.slug, t.tenant.slug);
      assert.equal(view.body.appointment.status, 'booked');
      assert.deepEqual(view.body.actions, { confirm: true, cancel: true, reschedule: true });
      assert.doesNotMatch(view.raw.body, /Nadia|Okafor/);

      const confirmed = await t.manage(booked.manageUrl, 'confirm');
      assert.equal(confirmed.status, 200);
      assert.equal(confirmed.body.appointment.confirmed, true);
      assert.equal(confirmed.body.actions.confirm, false);

      const ics = await t.send<string>('GET', booked.icsUrl);
      assert.equal(ics.status, 200);
      assert.match(String(ics.raw.headers['content-type']), /text\/calendar/);
      assert.match(ics.raw.body, /BEGIN:VCALENDAR[\s\S]*Follow-up visit with Dr\. Test1 Practitioner/);

      assert.ok(!(await t.slots()).some((s) => s.startsAt === '2026-11-23T15:00:00.000Z'));
      const cancelled = await t.manage(booked.manageUrl, 'cancel', { reason: 'Feeling better' });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.appointment.status, 'cancelled');
      assert.deepEqual(cancelled.body.actions, { confirm: false, cancel: false, reschedule: false });
      assert.ok((await t.slots()).some((s) => s.startsAt === '2026-11-23T15:00:00.000Z'), 'the slot is free again');
      const [row] = await t.rows('appointment');
      assert.equal(row!.cancel_reason, 'Patient (online): Feeling better');
      assert.equal((await t.manage(booked.manageUrl, 'cancel')).status, 409);
      const events = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('appointment_event').select(['action', 'actor_type', 'via']).orderBy('occurred_at').execute());
      assert.deepEqual(events.map((e) => [e.action, e.actor_type, e.via]), [
        ['booked', 'public', 'public'],
        ['confirmed', 'public', 'public'],
        ['cancelled', 'public', 'public'],
      ]);
    });

    test('reschedule through the link moves the booking, frees the old time and gives a fresh link', async () => {
      const t = await setUp();
      const booked = (await t.book(MON_10)).body;
      await t.book(MON_11, { givenName: 'Other', familyName: 'Person', birthDate: '1970-05-05', phone: '413-555-0199' });
      const taken = await t.manage<ErrorBody>(booked.manageUrl, 'reschedule', { startsAt: MON_11 });
      assert.equal(taken.status, 409);
      assert.match(taken.body.error.message, /no longer available/);
      const outside = await t.manage<ErrorBody>(booked.manageUrl, 'reschedule', { startsAt: '2026-11-23T18:00:00-05:00' });
      assert.equal(outside.status, 400);
      assert.equal((await t.manage<ErrorBody>(booked.manageUrl, 'reschedule', { startsAt: 'tomorrow' })).status, 400);

      const moved = await t.manage(booked.manageUrl, 'reschedule', { startsAt: '2026-11-24T14:30:00-05:00' });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.appointment.startsAt, '2026-11-24T19:30:00.000Z');
      assert.notEqual(moved.body.manageUrl, booked.manageUrl);
      assert.equal((await t.manage(moved.body.manageUrl)).body.appointment.startsAt, '2026-11-24T19:30:00.000Z');
      assert.ok((await t.slots()).some((s) => s.startsAt === '2026-11-23T15:00:00.000Z'), 'the old time is free');
      const rows = await t.rows('appointment');
      assert.equal(rows.length, 2, 'moved, not copied');
    });

    test('links refused: tampered, expired (410), another clinic, another patient', async () => {
      const t = await setUp();
      const booked = (await t.book(MON_10)).body;
      const token = booked.manageUrl.split('/').at(-1)!;
      const [payload, signature] = token.split('.') as [string, string];
      const claims = readLinkClaims(token)!;
      const key = await ensureTenantLinkKey(database.db, t.tenant.id);

      const otherPatient = signLink(key, { ...claims, patientId: t.clinic.patientIds[0]! }).split('.')[0];
      for (const bad of [`${otherPatient}.${signature}`, `${payload}.${signature.slice(0, -2)}AA`, `${payload}x.${signature}`, 'garbage', `${payload}`]) {
        const res = await t.send<ErrorBody>('GET', `/api/public/booking/manage/${bad}`);
        assert.equal(res.status, 404, bad);
        assert.match(res.body.error.message, /link is not valid/);
      }
      const expired = signLink(key, { ...claims, expiresAt: Math.floor(NOW.getTime() / 1000) - 60 });
      const gone = await t.send<ErrorBody>('GET', `/api/public/booking/manage/${expired}`);
      assert.equal(gone.status, 410);
      assert.equal(gone.body.error.code, 'link_expired');
      assert.equal((await t.send<ErrorBody>('POST', `/api/public/booking/manage/${expired}/cancel`, {})).status, 410);

      // Another clinic: its key does not verify this link, and its own link cannot reach this appointment.
      const other = await createTestTenant(database);
      // The key is made on first use, once, even when two requests need it at the same moment.
      const [otherKey, sameKey] = await Promise.all([ensureTenantLinkKey(database.db, other.id), ensureTenantLinkKey(database.db, other.id)]);
      assert.equal(otherKey.length, 32);
      assert.deepEqual(sameKey, otherKey);
      assert.notDeepEqual(otherKey, key);
      assert.deepEqual(await ensureTenantLinkKey(database.db, t.tenant.id), key);
      assert.equal((await t.send<ErrorBody>('GET', `/api/public/booking/manage/${signLink(key, { ...claims, tenantId: other.id })}`)).status, 404);
      assert.equal((await t.send<ErrorBody>('GET', `/api/public/booking/manage/${signLink(otherKey, { ...claims, tenantId: other.id })}`)).status, 404);

      // The appointment moved to another patient record (a merge): the old link no longer opens it.
      await withTenant(database.db, t.system, (s) => s.tx.updateTable('appointment').set({ patient_id: t.clinic.patientIds[0]! }).execute());
      assert.equal((await t.manage(booked.manageUrl)).status, 404);
      assert.equal((await t.manage(booked.manageUrl, 'cancel')).status, 404);
      assert.equal((await t.rows('appointment'))[0]!.status, 'booked');
      const denied = await withTenant(database.db, t.system, (s) =>
        s.tx.selectFrom('audit_event').select(['outcome']).where('action', '=', 'booking_link.use').execute(),
      );
      assert.ok(denied.length >= 1 && denied.every((d) => d.outcome === 'denied'));

      // Clearing the clinic's key revokes every link it sent.
      await withSystem(database.db, (tx) => tx.updateTable('tenant').set({ link_key: null }).where('id', '=', t.tenant.id).execute());
      assert.equal((await t.send<ErrorBody>('GET', `/api/public/booking/manage/${token}`)).status, 404);
    });
  });
}
