import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestUser, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { Availability, AvailabilityException, Department, Holiday, Location, Practitioner, Room, Service } from './directory-schema.ts';

type Tenant = Awaited<ReturnType<typeof signedInTenant>>;

for (const engine of engines()) {
  describe(`scheduling directory (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    /** PUT is not among the shared helper's methods. */
    const put = async <T>(t: Tenant, url: string, payload: unknown) => {
      const res = await app.inject({ method: 'PUT', url, headers: { cookie: t.cookie }, payload: payload as object });
      return { status: res.statusCode, body: json<T>(res) };
    };
    const paths = (body: ErrorBody) => body.error.fields?.map((f) => f.path).sort();
    const count = (t: Tenant, table: 'location' | 'room' | 'practitioner' | 'service' | 'availability_rule' | 'availability_exception' | 'holiday' | 'service_location') =>
      withTenant(database.db, t.system, async (s) => Number((await s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));

    /** A location, a department there and one practitioner: the least a test needs. */
    async function basics(t: Tenant) {
      const loc = (await t.call<Location>('POST', '/api/scheduling/locations', { name: 'Harbour Clinic', timeZone: 'Europe/Berlin', phone: '+49 30 5550100' })).body;
      const dept = (await t.call<Department>('POST', '/api/scheduling/departments', { name: 'Physiotherapy', locationId: loc.id })).body;
      const pr = (await t.call<Practitioner>('POST', '/api/scheduling/practitioners', { prefix: 'Dr.', givenName: 'Ines', familyName: 'Vogel', departmentId: dept.id })).body;
      return { loc, dept, pr };
    }

    test('an admin sets up locations, rooms, practitioners, services, weekly hours, exceptions and holidays', async () => {
      const t = await signedInTenant(app, database, 'admin');
      const staff = await createTestUser(database, t.tenant, 'clinician');
      const { loc, dept, pr } = await basics(t);
      assert.equal(loc.timeZone, 'Europe/Berlin');
      assert.equal(loc.phone, '+49305550100', 'phones are stored as E.164');
      assert.equal(pr.name, 'Dr. Ines Vogel');

      const changedLoc = await t.call<Location>('PATCH', `/api/scheduling/locations/${loc.id}`, { timeZone: 'America/Chicago', addressLine: '1 Quay Street', active: false });
      assert.equal(changedLoc.status, 200);
      assert.deepEqual([changedLoc.body.timeZone, changedLoc.body.addressLine, changedLoc.body.active, changedLoc.body.name], ['America/Chicago', '1 Quay Street', false, 'Harbour Clinic']);
      const second = (await t.call<Location>('POST', '/api/scheduling/locations', { name: 'Annex', timeZone: 'America/Chicago' })).body;
      assert.equal((await t.call<{ items: Location[] }>('GET', '/api/scheduling/locations')).body.items.length, 2);
      assert.equal((await t.call<Department>('PATCH', `/api/scheduling/departments/${dept.id}`, { name: 'Physio' })).body.name, 'Physio');

      const room = await t.call<Room>('POST', '/api/scheduling/rooms', { locationId: loc.id, name: 'Room 1' });
      assert.equal(room.status, 201);
      await t.call('POST', '/api/scheduling/rooms', { locationId: second.id, name: 'Room 1' });
      const sameName = await t.call<ErrorBody>('POST', '/api/scheduling/rooms', { locationId: loc.id, name: 'room 1' });
      assert.equal(sameName.status, 409, 'a second "Room 1" at one location');
      const room2 = (await t.call<Room>('POST', '/api/scheduling/rooms', { locationId: loc.id, name: 'Gym' })).body;
      assert.equal((await t.call('PATCH', `/api/scheduling/rooms/${room2.id}`, { name: 'Room 1' })).status, 409);
      assert.equal((await t.call<Room>('PATCH', `/api/scheduling/rooms/${room2.id}`, { active: false })).body.active, false);
      assert.equal((await t.call<{ items: Room[] }>('GET', `/api/scheduling/rooms?locationId=${loc.id}`)).body.items.length, 2);

      const linked = await t.call<Practitioner>('PATCH', `/api/scheduling/practitioners/${pr.id}`, { userId: staff.id, email: 'Ines.Vogel@Clinic.example.org', specialty: 'Physiotherapy' });
      assert.equal(linked.status, 200);
      assert.deepEqual([linked.body.userId, linked.body.email], [staff.id, 'ines.vogel@clinic.example.org']);
      const twice = await t.call<ErrorBody>('POST', '/api/scheduling/practitioners', { givenName: 'Other', familyName: 'Person', userId: staff.id });
      assert.equal(twice.status, 409, 'one staff user, one practitioner');

      const svc = await t.call<Service>('POST', '/api/scheduling/services', {
        name: 'Physio session', durationMinutes: 45, bufferAfterMinutes: 10, slotIntervalMinutes: 15, mode: 'in_person', eligibility: 'established',
        priceCents: 8500, currency: 'EUR', requiresRoom: true, minNoticeMinutes: 120, maxAdvanceDays: 90, maxFutureBookings: 6,
        publicBooking: true, departmentId: dept.id, practitionerIds: [pr.id], locationIds: [loc.id],
      });
      assert.equal(svc.status, 201);
      assert.deepEqual(
        [svc.body.durationMinutes, svc.body.bufferBeforeMinutes, svc.body.bufferAfterMinutes, svc.body.slotIntervalMinutes, svc.body.priceCents, svc.body.currency, svc.body.requiresRoom],
        [45, 0, 10, 15, 8500, 'EUR', true],
      );
      assert.deepEqual([svc.body.practitionerIds, svc.body.locationIds], [[pr.id], [loc.id]]);
      const moved = await t.call<Service>('PATCH', `/api/scheduling/services/${svc.body.id}`, { locationIds: [loc.id, second.id], mode: 'video', slotIntervalMinutes: null });
      assert.deepEqual([moved.body.mode, moved.body.slotIntervalMinutes, moved.body.locationIds.length, moved.body.practitionerIds], ['video', null, 2, [pr.id]]);
      const tele = (await t.call<Service>('POST', '/api/scheduling/services', { name: 'Telehealth follow-up', durationMinutes: 20, mode: 'video' })).body;
      assert.deepEqual([tele.eligibility, tele.minNoticeMinutes, tele.publicBooking, tele.practitionerIds], ['any', 0, true, []]);

      const weekly = [
        { locationId: loc.id, weekday: 1, startTime: '08:00', endTime: '12:00' },
        { locationId: loc.id, weekday: 1, startTime: '13:00', endTime: '17:00' },
        { locationId: second.id, weekday: 2, startTime: '09:00', endTime: '12:30' },
        // One weekday, two periods of validity that do not meet: no overlap.
        { locationId: loc.id, weekday: 3, startTime: '08:00', endTime: '12:00', validUntil: '2026-12-31' },
        { locationId: second.id, weekday: 3, startTime: '10:00', endTime: '14:00', validFrom: '2027-01-01' },
        { locationId: loc.id, weekday: 6, startTime: '09:00', endTime: '12:00' },
      ];
      const saved = await put<Availability>(t, `/api/scheduling/practitioners/${pr.id}/availability/rules`, { rules: weekly });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.deepEqual(
        saved.body.rules.map((r) => [r.weekday, r.startTime, r.endTime, r.validFrom, r.validUntil]),
        [[1, '08:00', '12:00', null, null], [1, '13:00', '17:00', null, null], [2, '09:00', '12:30', null, null], [3, '08:00', '12:00', null, '2026-12-31'], [3, '10:00', '14:00', '2027-01-01', null], [6, '09:00', '12:00', null, null]],
      );
      const replaced = await put<Availability>(t, `/api/scheduling/practitioners/${pr.id}/availability/rules`, { rules: weekly.slice(0, 2) });
      assert.equal(replaced.body.rules.length, 2, 'the whole weekly set is replaced');
      assert.equal(await count(t, 'availability_rule'), 2);

      const off = await t.call<AvailabilityException>('POST', `/api/scheduling/practitioners/${pr.id}/exceptions`, { kind: 'time_off', startsAt: '2026-12-24T00:00:00+01:00', endsAt: '2026-12-28T00:00:00+01:00', reason: 'Holiday leave' });
      assert.equal(off.status, 201, JSON.stringify(off.body));
      assert.equal(off.body.startsAt, '2026-12-23T23:00:00.000Z');
      const extra = await t.call<AvailabilityException>('POST', `/api/scheduling/practitioners/${pr.id}/exceptions`, { kind: 'extra', startsAt: '2026-11-28T09:00:00-06:00', endsAt: '2026-11-28T13:00:00-06:00', locationId: second.id });
      assert.equal(extra.status, 201);
      const past = await t.call<AvailabilityException>('POST', `/api/scheduling/practitioners/${pr.id}/exceptions`, { kind: 'time_off', startsAt: '2026-10-01T08:00:00Z', endsAt: '2026-10-02T08:00:00Z' });
      assert.equal(past.status, 201);
      const availability = await t.call<Availability>('GET', `/api/scheduling/practitioners/${pr.id}/availability`);
      assert.deepEqual(availability.body.exceptions.map((e) => e.kind), ['extra', 'time_off'], 'exceptions already over are left out by default');
      const all = await t.call<Availability>('GET', `/api/scheduling/practitioners/${pr.id}/availability?from=2026-01-01T00:00:00Z`);
      assert.equal(all.body.exceptions.length, 3);
      assert.equal((await t.call('DELETE', `/api/scheduling/practitioners/${pr.id}/exceptions/${extra.body.id}`)).status, 204);
      assert.equal((await t.call('DELETE', `/api/scheduling/practitioners/${pr.id}/exceptions/${extra.body.id}`)).status, 404);

      const listed = (await t.call<{ items: Practitioner[] }>('GET', '/api/scheduling/practitioners')).body.items;
      assert.deepEqual(listed.map((p) => [p.name, p.userId, p.serviceIds, p.locationIds]), [['Dr. Ines Vogel', staff.id, [svc.body.id], [loc.id]]]);

      const xmas = await t.call<Holiday>('POST', '/api/scheduling/holidays', { date: '2026-12-25', name: 'Christmas Day' });
      assert.equal(xmas.status, 201);
      assert.equal((await t.call<ErrorBody>('POST', '/api/scheduling/holidays', { date: '2026-12-25', name: 'Again' })).status, 409);
      assert.equal((await t.call('POST', '/api/scheduling/holidays', { date: '2026-12-25', name: 'Annex closed', locationId: second.id })).status, 201, 'one location closed the same day is another holiday');
      assert.equal((await t.call('POST', '/api/scheduling/holidays', { date: '2026-12-25', name: 'Again', locationId: second.id })).status, 409);
      await t.call('POST', '/api/scheduling/holidays', { date: '2027-01-01', name: "New Year's Day" });
      const holidays = await t.call<{ items: Holiday[] }>('GET', '/api/scheduling/holidays?from=2026-12-26');
      assert.deepEqual(holidays.body.items.map((h) => h.name), ["New Year's Day"]);
      assert.equal((await t.call('DELETE', `/api/scheduling/holidays/${xmas.body.id}`)).status, 204);
      assert.equal((await t.call('DELETE', `/api/scheduling/holidays/${xmas.body.id}`)).status, 404);

      const actions = new Set((await t.audit()).map((a) => a.action));
      for (const action of ['scheduling.location.create', 'scheduling.location.update', 'scheduling.room.create', 'scheduling.practitioner.update', 'scheduling.service.create', 'scheduling.service.update', 'scheduling.availability.replace', 'scheduling.exception.create', 'scheduling.exception.delete', 'scheduling.holiday.create', 'scheduling.holiday.delete']) {
        assert.ok(actions.has(action), `audited: ${action}`);
      }
    });

    test('malformed zones, times and weekdays are refused by name and nothing is stored', async () => {
      const t = await signedInTenant(app, database, 'admin');
      const { loc, pr } = await basics(t);
      const zone = await t.call<ErrorBody>('POST', '/api/scheduling/locations', { name: 'Nowhere', timeZone: 'Mars/Olympus_Mons' });
      assert.equal(zone.status, 400);
      assert.deepEqual(paths(zone.body), ['timeZone']);
      assert.match(zone.body.error.message, /not an IANA time zone/);
      assert.deepEqual(paths((await t.call<ErrorBody>('PATCH', `/api/scheduling/locations/${loc.id}`, { timeZone: 'Europe/Atlantis', phone: '12' })).body), ['phone', 'timeZone']);
      assert.equal((await t.call<{ items: Location[] }>('GET', '/api/scheduling/locations')).body.items.length, 1);

      const rulesUrl = `/api/scheduling/practitioners/${pr.id}/availability/rules`;
      const good = { locationId: loc.id, weekday: 1, startTime: '08:00', endTime: '12:00' };
      await put(t, rulesUrl, { rules: [good] });
      const times = await put<ErrorBody>(t, rulesUrl, { rules: [{ ...good, startTime: '8:00' }, { ...good, weekday: 2, endTime: '24:00' }, { ...good, weekday: 8 }, { ...good, weekday: 0 }, { ...good, weekday: 4, validFrom: '2026-02-30' }] });
      assert.equal(times.status, 400);
      assert.deepEqual(paths(times.body), ['rules.0.startTime', 'rules.1.endTime', 'rules.2.weekday', 'rules.3.weekday', 'rules.4.validFrom']);
      const backwards = await put<ErrorBody>(t, rulesUrl, { rules: [{ ...good, startTime: '12:00', endTime: '08:00' }, { ...good, weekday: 2, validFrom: '2027-01-02', validUntil: '2027-01-01' }] });
      assert.deepEqual(paths(backwards.body), ['rules.0.endTime', 'rules.1.validUntil']);

      const overlapping = await put<ErrorBody>(t, rulesUrl, {
        rules: [good, { ...good, startTime: '13:00', endTime: '17:00' }, { ...good, startTime: '11:30', endTime: '14:00' }, { ...good, weekday: 2 }],
      });
      assert.equal(overlapping.status, 400);
      assert.deepEqual(paths(overlapping.body), ['rules.0', 'rules.1', 'rules.2', 'rules.2']);
      assert.match(overlapping.body.error.message, /rules\.2 overlaps rules\.0 on Monday/);
      const adjacent = await put<Availability>(t, rulesUrl, { rules: [good, { ...good, startTime: '12:00', endTime: '13:00' }] });
      assert.equal(adjacent.status, 200, 'rules that only touch do not overlap');

      const unknownField = await put<ErrorBody>(t, rulesUrl, { rules: [{ ...good, room: 'x' }] });
      assert.deepEqual(paths(unknownField.body), ['rules.0.room']);
      assert.equal(await count(t, 'availability_rule'), 2, 'every refused PUT left the stored set as it was');

      const exceptions = `/api/scheduling/practitioners/${pr.id}/exceptions`;
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', exceptions, { kind: 'extra', startsAt: '2026-12-01T09:00:00Z', endsAt: '2026-12-01T08:00:00Z' })).body), ['endsAt', 'locationId']);
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', exceptions, { kind: 'holiday', startsAt: '2026-12-01T09:00:00', endsAt: 'tomorrow' })).body), ['endsAt', 'kind', 'startsAt']);
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', exceptions, { kind: 'time_off', startsAt: '2026-12-01T09:00:00Z', endsAt: '2026-12-02T09:00:00Z', locationId: loc.id })).body), ['locationId']);
      assert.equal(await count(t, 'availability_exception'), 0);

      const service = await t.call<ErrorBody>('POST', '/api/scheduling/services', { name: 'x', durationMinutes: 3, bufferAfterMinutes: 300, mode: 'phone', eligibility: 'vip', currency: 'usd', minNoticeMinutes: -1 });
      assert.deepEqual(paths(service.body), ['bufferAfterMinutes', 'currency', 'durationMinutes', 'eligibility', 'minNoticeMinutes', 'mode']);
      const noCurrency = await t.call<ErrorBody>('POST', '/api/scheduling/services', { name: 'Priced', durationMinutes: 30, priceCents: 1000 });
      assert.deepEqual(paths(noCurrency.body), ['currency']);
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', '/api/scheduling/holidays', { date: '25/12/2026', name: '' })).body), ['date', 'name']);
      assert.equal(await count(t, 'service'), 0);
      assert.equal(await count(t, 'holiday'), 0);
    });

    test("another clinic's ids are refused by name or not found, and nothing is stored", async () => {
      const t = await signedInTenant(app, database, 'admin');
      const other = await signedInTenant(app, database, 'admin');
      const mine = await basics(t);
      const theirs = await basics(other);
      const strangerUser = other.user.id;

      const rules = await put<ErrorBody>(t, `/api/scheduling/practitioners/${mine.pr.id}/availability/rules`, {
        rules: [{ locationId: mine.loc.id, weekday: 1, startTime: '08:00', endTime: '12:00' }, { locationId: theirs.loc.id, weekday: 2, startTime: '08:00', endTime: '12:00' }],
      });
      assert.equal(rules.status, 400);
      assert.deepEqual(paths(rules.body), ['rules.1.locationId']);
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', '/api/scheduling/rooms', { locationId: theirs.loc.id, name: 'Room 1' })).body), ['locationId']);
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', '/api/scheduling/departments', { locationId: theirs.loc.id, name: 'X' })).body), ['locationId']);
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', '/api/scheduling/holidays', { locationId: theirs.loc.id, name: 'X', date: '2026-12-25' })).body), ['locationId']);
      assert.deepEqual(paths((await t.call<ErrorBody>('POST', '/api/scheduling/practitioners', { givenName: 'A', familyName: 'B', userId: strangerUser, departmentId: theirs.dept.id })).body), ['departmentId', 'userId']);
      assert.deepEqual(
        paths((await t.call<ErrorBody>('POST', '/api/scheduling/services', { name: 'S', durationMinutes: 30, practitionerIds: [mine.pr.id, theirs.pr.id], locationIds: [theirs.loc.id] })).body),
        ['locationIds.0', 'practitionerIds.1'],
      );
      assert.deepEqual(
        paths((await t.call<ErrorBody>('POST', `/api/scheduling/practitioners/${mine.pr.id}/exceptions`, { kind: 'extra', startsAt: '2026-12-01T09:00:00Z', endsAt: '2026-12-01T12:00:00Z', locationId: theirs.loc.id })).body),
        ['locationId'],
      );

      assert.equal((await t.call('PATCH', `/api/scheduling/locations/${theirs.loc.id}`, { name: 'Mine now' })).status, 404);
      assert.equal((await t.call('PATCH', `/api/scheduling/practitioners/${theirs.pr.id}`, { active: false })).status, 404);
      assert.equal((await t.call('GET', `/api/scheduling/practitioners/${theirs.pr.id}/availability`)).status, 404);
      assert.equal((await put(t, `/api/scheduling/practitioners/${theirs.pr.id}/availability/rules`, { rules: [] })).status, 404);
      assert.equal((await t.call('PATCH', '/api/scheduling/services/not-a-uuid', { active: false })).status, 404, 'a malformed id is not found, not a SQL error');
      assert.equal((await t.call('DELETE', `/api/scheduling/holidays/${'-'.repeat(36)}`)).status, 404);

      for (const table of ['room', 'service', 'availability_rule', 'availability_exception', 'holiday'] as const) {
        assert.equal(await count(t, table), 0, `nothing stored in ${table}`);
      }
      assert.equal(await count(t, 'practitioner'), 1);
      assert.equal((await other.call<Location>('PATCH', `/api/scheduling/locations/${theirs.loc.id}`, {})).body.name, 'Harbour Clinic');
    });

    test('staff may read the directory; only an admin may change it', async () => {
      const admin = await signedInTenant(app, database, 'admin');
      const { loc, pr } = await basics(admin);
      for (const role of ['clinician', 'front_desk', 'marketing'] as const) {
        const user = await createTestUser(database, admin.tenant, role);
        const cookie = await signInCookie(app, user.email, user.password);
        const call = (method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, payload?: object) =>
          app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
        for (const url of ['/api/scheduling/locations', '/api/scheduling/departments', '/api/scheduling/rooms', '/api/scheduling/practitioners', '/api/scheduling/services', '/api/scheduling/holidays', `/api/scheduling/practitioners/${pr.id}/availability`]) {
          assert.equal((await call('GET', url)).statusCode, 200, `${role} reads ${url}`);
        }
        const writes: Array<[Parameters<typeof call>[0], string, object | undefined]> = [
          ['POST', '/api/scheduling/locations', { name: 'X', timeZone: 'UTC' }],
          ['PATCH', `/api/scheduling/locations/${loc.id}`, { name: 'X' }],
          ['POST', '/api/scheduling/rooms', { locationId: loc.id, name: 'X' }],
          ['POST', '/api/scheduling/services', { name: 'X', durationMinutes: 30 }],
          ['PATCH', `/api/scheduling/practitioners/${pr.id}`, { active: false }],
          ['PUT', `/api/scheduling/practitioners/${pr.id}/availability/rules`, { rules: [] }],
          ['POST', `/api/scheduling/practitioners/${pr.id}/exceptions`, { kind: 'time_off', startsAt: '2026-12-01T09:00:00Z', endsAt: '2026-12-02T09:00:00Z' }],
          ['POST', '/api/scheduling/holidays', { date: '2026-12-25', name: 'X' }],
          ['DELETE', `/api/scheduling/holidays/${loc.id}`, undefined],
        ];
        for (const [method, url, payload] of writes) {
          assert.equal((await call(method, url, payload)).statusCode, 403, `${role} may not ${method} ${url}`);
        }
      }
      assert.equal((await app.inject({ method: 'GET', url: '/api/scheduling/services' })).statusCode, 401);
      assert.equal(await count(admin, 'location'), 1);
      assert.ok((await admin.audit()).some((a) => a.action === 'access.denied' && a.outcome === 'denied'));
    });
  });
}
