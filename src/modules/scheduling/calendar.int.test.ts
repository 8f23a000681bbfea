import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestUser, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withSystem, withTenant } from '../../server/db/scope.ts';
import type { AppointmentStatus } from '../../server/db/types.ts';
import type { CalendarFeed, NewCalendarFeed } from './feeds.ts';
import { parseIcs, prop, value, type Component } from '../../../test/helpers/ics.ts';

// The Sunday the US springs forward is 2026-03-08, the EU's is 2026-03-29.
const START = new Date('2026-03-01T15:00:00Z');

const eventsOf = (cal: Component) => cal.children.filter((c) => c.name === 'VEVENT');
const eventFor = (cal: Component, appointmentId: string) => {
  const event = eventsOf(cal).find((e) => value(e, 'UID') === `${appointmentId}@rapport`);
  assert.ok(event, `an event for appointment ${appointmentId}`);
  return event;
};

for (const engine of engines()) {
  describe(`calendars (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(START);
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    /** A clinic in New York with a second location in Berlin, one practitioner, and appointments. */
    async function clinic(t: Awaited<ReturnType<typeof signedInTenant>>, practitionerUserId: string | null = null) {
      return withTenant(database.db, t.system, async ({ tx, tenantId }) => {
        const location = (name: string, time_zone: string, address_line: string | null, city: string | null) =>
          tx.insertInto('location').values({ tenant_id: tenantId, name, time_zone, address_line, city, postal_code: city ? '10013' : null }).returning('id').executeTakeFirstOrThrow();
        const ny = await location('Hudson Street', 'America/New_York', '12 Hudson St', 'New York');
        const berlin = await location('Berlin Mitte', 'Europe/Berlin', null, null);
        const practitioner = (given_name: string, user_id: string | null) =>
          tx.insertInto('practitioner').values({ tenant_id: tenantId, prefix: 'Dr', given_name, family_name: 'Vale', user_id }).returning('id').executeTakeFirstOrThrow();
        const rosa = await practitioner('Rosa', practitionerUserId);
        const other = await practitioner('Ivo', null);
        const service = await tx.insertInto('service').values({ tenant_id: tenantId, name: 'Physiotherapy', duration_minutes: 30 }).returning('id').executeTakeFirstOrThrow();
        const patient = await tx
          .insertInto('patient')
          .values({ tenant_id: tenantId, given_name: 'Adaline', preferred_name: 'Ada', family_name: 'Moss' })
          .returning('id')
          .executeTakeFirstOrThrow();
        const book = async (at: string, status: AppointmentStatus, where = ny, who = rosa, cancelledAt: Date | null = null) =>
          (
            await tx
              .insertInto('appointment')
              .values({
                tenant_id: tenantId,
                patient_id: patient.id,
                practitioner_id: who.id,
                location_id: where.id,
                service_id: service.id,
                starts_at: at,
                ends_at: new Date(new Date(at).getTime() + 30 * 60_000),
                time_zone: where === ny ? 'America/New_York' : 'Europe/Berlin',
                status,
                cancelled_at: cancelledAt,
              })
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id;
        const day = 86_400_000;
        return {
          practitionerId: rosa.id,
          otherPractitionerId: other.id,
          patientId: patient.id,
          // 10:00 in New York the day after spring-forward (EDT, UTC-4).
          afterSpringForward: await book('2026-03-09T14:00:00Z', 'booked'),
          // 09:00 in Berlin the day after the EU change (CEST, UTC+2).
          berlin: await book('2026-03-30T07:00:00Z', 'booked', berlin),
          cancelledRecently: await book('2026-03-20T16:00:00Z', 'cancelled', ny, rosa, new Date(START.getTime() - day)),
          cancelledLongAgo: await book('2026-04-10T16:00:00Z', 'cancelled', ny, rosa, new Date(START.getTime() - 60 * day)),
          tooOld: await book('2026-01-15T16:00:00Z', 'fulfilled'),
          tooFar: await book('2027-04-15T16:00:00Z', 'booked'),
          someoneElses: await book('2026-03-10T16:00:00Z', 'booked', ny, other),
        };
      });
    }

    const get = (url: string, cookie?: string) => app.inject({ method: 'GET', url, ...(cookie ? { headers: { cookie } } : {}) });
    const feedPath = (url: string) => new URL(url).pathname;

    async function feedAudit(tenantId: string) {
      return withTenant(database.db, { tenantId, actor: { type: 'system', id: null } }, (s) =>
        s.tx
          .selectFrom('audit_event')
          .select(['action', 'actor_type', 'entity_id', 'outcome', 'detail', 'patient_id'])
          .where('action', 'like', 'calendar.feed.%')
          .orderBy('occurred_at')
          .execute(),
      );
    }

    test("a practitioner's feed: their appointments with zones, cancellations, audited public reads", async () => {
      const t = await signedInTenant(app, database);
      const c = await clinic(t);
      const created = await t.call<NewCalendarFeed>('POST', `/api/scheduling/practitioners/${c.practitionerId}/feeds`, { label: 'My phone' });
      assert.equal(created.status, 201);
      assert.equal(created.body.label, 'My phone');
      const token = /\/calendar\/feeds\/([A-Za-z0-9_-]{43})\.ics$/.exec(created.body.url)?.[1];
      assert.ok(token, `a secret URL: ${created.body.url}`);
      assert.match(created.body.url, /^http:\/\/localhost(:80)?\/calendar\//, 'the URL points at the address the request came to');

      const stored = await withSystem(database.db, (tx) => tx.selectFrom('calendar_feed').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow());
      assert.equal(stored.token_hash, createHash('sha256').update(token).digest('hex'), 'only the SHA-256 of the token is stored');
      assert.equal(stored.created_by, t.user.id);
      assert.equal(stored.last_used_at, null);

      clock.advance(60_000);
      const res = await get(feedPath(created.body.url));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'text/calendar; charset=utf-8');
      assert.match(String(res.headers['cache-control']), /no-store/);
      const cal = parseIcs(res.body);
      assert.equal(value(cal, 'VERSION'), '2.0');
      assert.equal(value(cal, 'METHOD'), 'PUBLISH');
      assert.match(value(cal, 'X-WR-CALNAME') ?? '', /^Dr Rosa Vale - Test Clinic/);
      assert.equal(value(cal, 'REFRESH-INTERVAL'), 'PT15M');
      assert.equal(value(cal, 'X-PUBLISHED-TTL'), 'PT15M');
      assert.deepEqual(
        cal.children.filter((x) => x.name === 'VTIMEZONE').map((z) => value(z, 'TZID')).sort(),
        ['America/New_York', 'Europe/Berlin'],
        'a VTIMEZONE for every zone used, once each',
      );

      const uids = eventsOf(cal).map((e) => value(e, 'UID'));
      assert.deepEqual(uids, [c.afterSpringForward, c.cancelledRecently, c.berlin].map((id) => `${id}@rapport`), 'the window, in start order');

      const ny = eventFor(cal, c.afterSpringForward);
      assert.deepEqual(prop(ny, 'DTSTART'), { name: 'DTSTART', params: { TZID: 'America/New_York' }, value: '20260309T100000' });
      assert.deepEqual(prop(ny, 'DTEND'), { name: 'DTEND', params: { TZID: 'America/New_York' }, value: '20260309T103000' });
      assert.equal(value(ny, 'STATUS'), 'CONFIRMED');
      assert.equal(value(ny, 'SEQUENCE'), '1');
      assert.equal(value(ny, 'SUMMARY'), 'Physiotherapy: Ada Moss', "the practitioner's own calendar names the patient");
      assert.equal(value(ny, 'LOCATION'), 'Hudson Street\\, 12 Hudson St\\, 10013 New York');
      assert.equal(value(ny, 'CLASS'), 'PRIVATE');
      assert.equal(value(ny, 'DTSTAMP'), '20260301T150100Z');

      const berlin = eventFor(cal, c.berlin);
      assert.deepEqual(prop(berlin, 'DTSTART'), { name: 'DTSTART', params: { TZID: 'Europe/Berlin' }, value: '20260330T090000' });
      assert.equal(value(berlin, 'LOCATION'), 'Berlin Mitte');

      const cancelled = eventFor(cal, c.cancelledRecently);
      assert.equal(value(cancelled, 'STATUS'), 'CANCELLED');
      assert.equal(value(cancelled, 'TRANSP'), 'TRANSPARENT');

      // Without the .ics suffix too; a later edit raises SEQUENCE so apps replace the event.
      await withTenant(database.db, t.system, (s) => s.tx.updateTable('appointment').set({ version: 4 }).where('id', '=', c.afterSpringForward).execute());
      const bare = await get(feedPath(created.body.url).replace(/\.ics$/, ''));
      assert.equal(bare.statusCode, 200);
      assert.equal(value(eventFor(parseIcs(bare.body), c.afterSpringForward), 'SEQUENCE'), '4');

      const used = await withSystem(database.db, (tx) => tx.selectFrom('calendar_feed').select('last_used_at').where('id', '=', created.body.id).executeTakeFirstOrThrow());
      assert.equal(used.last_used_at?.toISOString(), '2026-03-01T15:01:00.000Z');

      const reads = (await feedAudit(t.tenant.id)).filter((a) => a.action === 'calendar.feed.read');
      assert.equal(reads.length, 2);
      assert.deepEqual(
        { actor: reads[0]!.actor_type, entity: reads[0]!.entity_id, outcome: reads[0]!.outcome },
        { actor: 'public', entity: created.body.id, outcome: 'success' },
      );
      assert.deepEqual({ ...(reads[0]!.detail as Record<string, unknown>), from: undefined, until: undefined }, {
        practitionerId: c.practitionerId, appointments: 3, patients: 1, from: undefined, until: undefined,
      });

      const list = await t.call<{ items: CalendarFeed[] }>('GET', `/api/scheduling/practitioners/${c.practitionerId}/feeds`);
      assert.equal(list.status, 200);
      assert.equal(list.body.items.length, 1);
      assert.equal(list.body.items[0]!.lastUsedAt, '2026-03-01T15:01:00.000Z');
      assert.equal(list.body.items[0]!.createdBy?.id, t.user.id);
      assert.ok(!JSON.stringify(list.body).includes(token), 'the list never shows the token');
    });

    test('revoked, unknown and malformed tokens all answer the same 404; reads are rate-limited per feed', async () => {
      const t = await signedInTenant(app, database);
      const c = await clinic(t);
      const base = `/api/scheduling/practitioners/${c.practitionerId}/feeds`;
      const kept = (await t.call<NewCalendarFeed>('POST', base, {})).body;
      const revoked = (await t.call<NewCalendarFeed>('POST', base)).body;
      assert.equal(revoked.label, null);
      assert.equal((await get(feedPath(revoked.url))).statusCode, 200);

      const del = await t.call('DELETE', `${base}/${revoked.id}`);
      assert.equal(del.status, 204);
      assert.equal((await t.call('DELETE', `${base}/${revoked.id}`)).status, 204, 'revoking twice is harmless');
      const gone = await get(feedPath(revoked.url));
      const unknown = await get(`/calendar/feeds/${randomBytes(32).toString('base64url')}.ics`);
      const malformed = await get('/calendar/feeds/not-a-token.ics');
      for (const res of [gone, unknown, malformed]) {
        assert.equal(res.statusCode, 404);
        assert.deepEqual(json(res), json(gone), 'the same answer, whatever the reason');
      }
      assert.equal((await get(feedPath(kept.url))).statusCode, 200, 'other feeds keep working');

      const feeds = (await t.call<{ items: CalendarFeed[] }>('GET', base)).body.items;
      assert.deepEqual(feeds.map((f) => [f.id, f.revokedAt !== null]).sort(), [[kept.id, false], [revoked.id, true]].sort());
      const audit = await feedAudit(t.tenant.id);
      assert.ok(audit.some((a) => a.action === 'calendar.feed.revoke' && a.entity_id === revoked.id && a.actor_type === 'user'));
      assert.ok(
        audit.some((a) => a.action === 'calendar.feed.read' && a.entity_id === revoked.id && a.outcome === 'denied'),
        'a revoked URL still in use is worth knowing about',
      );
      assert.equal((await t.call('DELETE', `${base}/00000000-0000-4000-8000-000000000000`)).status, 404);
      assert.equal((await t.call('DELETE', `${base}/nope`)).status, 404);

      // Fill this hour's window for the feed, then the next request is refused until the next hour.
      const windowStart = new Date(Math.floor(clock().getTime() / 3_600_000) * 3_600_000);
      await withSystem(database.db, (tx) =>
        tx
          .updateTable('rate_limit_counter')
          .set({ hits: 60 })
          .where('key', '=', `calendar-feed:${kept.id}`)
          .where('window_start', '=', windowStart)
          .execute(),
      );
      const limited = await get(feedPath(kept.url));
      assert.equal(limited.statusCode, 429);
      assert.ok(Number(limited.headers['retry-after']) > 0);
      clock.advance(3_600_000);
      assert.equal((await get(feedPath(kept.url))).statusCode, 200);
    });

    test('a disabled linked user or an inactive practitioner closes the feed', async () => {
      const t = await signedInTenant(app, database);
      const doctor = await createTestUser(database, t.tenant, 'clinician');
      const c = await clinic(t, doctor.id);
      const feed = (await t.call<NewCalendarFeed>('POST', `/api/scheduling/practitioners/${c.practitionerId}/feeds`, {})).body;
      assert.equal((await get(feedPath(feed.url))).statusCode, 200);
      await withTenant(database.db, t.system, (s) => s.tx.updateTable('app_user').set({ disabled_at: clock() }).where('id', '=', doctor.id).execute());
      assert.equal((await get(feedPath(feed.url))).statusCode, 404);
      await withTenant(database.db, t.system, async (s) => {
        await s.tx.updateTable('app_user').set({ disabled_at: null }).where('id', '=', doctor.id).execute();
        await s.tx.updateTable('practitioner').set({ active: false }).where('id', '=', c.practitionerId).execute();
      });
      assert.equal((await get(feedPath(feed.url))).statusCode, 404);
    });

    test('feeds belong to their practitioner: the linked user and administrators only', async () => {
      const t = await signedInTenant(app, database, 'admin');
      const linked = await createTestUser(database, t.tenant, 'clinician');
      const c = await clinic(t, linked.id);
      const stranger = await createTestUser(database, t.tenant, 'clinician');
      const as = (cookie: string) => (method: 'GET' | 'POST', url: string, payload?: object) =>
        app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
      const linkedCall = as(await signInCookie(app, linked.email, linked.password));
      const strangerCall = as(await signInCookie(app, stranger.email, stranger.password));
      const mine = `/api/scheduling/practitioners/${c.practitionerId}/feeds`;
      const theirs = `/api/scheduling/practitioners/${c.otherPractitionerId}/feeds`;

      assert.equal((await linkedCall('POST', mine, { label: 'Laptop' })).statusCode, 201);
      assert.equal((await linkedCall('GET', mine)).statusCode, 200);
      const refused = await linkedCall('POST', theirs, {});
      assert.equal(refused.statusCode, 403);
      assert.equal(json<ErrorBody>(refused).error.code, 'forbidden');
      assert.equal((await strangerCall('POST', mine, {})).statusCode, 403);
      assert.equal((await strangerCall('GET', mine)).statusCode, 403);
      assert.equal((await t.call('POST', theirs, {})).status, 201, 'an administrator may make one for anyone');

      const other = await signedInTenant(app, database);
      const foreign = await clinic(other);
      assert.equal((await t.call('POST', `/api/scheduling/practitioners/${foreign.practitionerId}/feeds`, {})).status, 404);
      assert.equal((await t.call('GET', `/api/scheduling/practitioners/${foreign.practitionerId}/feeds`)).status, 404);
      assert.equal((await t.call('POST', '/api/scheduling/practitioners/not-a-uuid/feeds', {})).status, 404);
      const long = await t.call<ErrorBody>('POST', mine, { label: 'x'.repeat(101) });
      assert.equal(long.status, 400);
      assert.equal(long.body.error.fields?.[0]?.path, 'label');
      assert.equal((await t.call('POST', mine, { token: 'mine' })).status, 400);

      const stored = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('calendar_feed').select(['practitioner_id', 'label']).orderBy('created_at').execute());
      assert.deepEqual(stored.map((f) => f.practitioner_id).sort(), [c.practitionerId, c.otherPractitionerId].sort(), 'refusals stored nothing');
      const denied = (await feedAudit(t.tenant.id)).filter((a) => a.outcome === 'denied');
      assert.deepEqual(denied.map((a) => a.action).sort(), ['calendar.feed.create', 'calendar.feed.create', 'calendar.feed.list']);
    });

    test("one appointment's .ics for the patient: no METHOD, the zone, audited; other clinics and bad ids are 404", async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const c = await clinic(t);
      const res = await get(`/api/appointments/${c.afterSpringForward}/ics`, t.cookie);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['content-type'], 'text/calendar; charset=utf-8');
      assert.match(String(res.headers['content-disposition']), /^attachment; filename="appointment-[0-9a-f]{8}\.ics"$/);
      const cal = parseIcs(res.body);
      assert.equal(prop(cal, 'METHOD'), undefined, 'a plain file, not a meeting request');
      assert.equal(prop(cal, 'X-WR-CALNAME'), undefined);
      assert.deepEqual(cal.children.filter((x) => x.name === 'VTIMEZONE').map((z) => value(z, 'TZID')), ['America/New_York']);
      const [event, ...rest] = eventsOf(cal);
      assert.equal(rest.length, 0);
      assert.equal(value(event!, 'UID'), `${c.afterSpringForward}@rapport`);
      assert.deepEqual(prop(event!, 'DTSTART'), { name: 'DTSTART', params: { TZID: 'America/New_York' }, value: '20260309T100000' });
      assert.equal(value(event!, 'SUMMARY'), 'Physiotherapy with Dr Rosa Vale');
      assert.ok(!res.body.includes('Moss'), "the patient's own file does not need their name");

      const cancelled = parseIcs((await get(`/api/appointments/${c.cancelledRecently}/ics`, t.cookie)).body);
      assert.equal(value(eventsOf(cancelled)[0]!, 'STATUS'), 'CANCELLED');

      const audit = await t.audit();
      assert.ok(audit.some((a) => a.action === 'appointment.ics' && a.entity_id === c.afterSpringForward && a.patient_id === c.patientId));

      const other = await signedInTenant(app, database);
      const foreign = await clinic(other);
      assert.equal((await get(`/api/appointments/${foreign.afterSpringForward}/ics`, t.cookie)).statusCode, 404);
      assert.equal((await get('/api/appointments/00000000-0000-4000-8000-000000000000/ics', t.cookie)).statusCode, 404);
      assert.equal((await get(`/api/appointments/${'-'.repeat(36)}/ics`, t.cookie)).statusCode, 404);
      assert.equal((await get(`/api/appointments/${c.afterSpringForward}/ics`)).statusCode, 401);
      const marketing = await createTestUser(database, t.tenant, 'marketing');
      assert.equal((await get(`/api/appointments/${c.afterSpringForward}/ics`, await signInCookie(app, marketing.email, marketing.password))).statusCode, 403);
    });
  });
}
