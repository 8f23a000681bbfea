import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestTenant, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import { scheduleMessage } from '../messaging/outbox.ts';
import { ensureTenantLinkKey, signLink, type LinkPurpose } from '../scheduling/links.ts';
import type { PreferencesView, Unsubscribed } from './schema.ts';

// Sunday 22 November 2026, 09:00 in New York (14:00 in London).
const NOW = new Date('2026-11-22T14:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

let address = 0;
/** A fresh client address per test, so one test's requests do not count against another's rate limit. */
const nextIp = () => `203.0.113.${(address = (address % 250) + 1)}`;

for (const engine of engines()) {
  describe(`preference centre and unsubscribe (${engine})`, () => {
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

    async function setUp() {
      const t = await signedInTenant(app, database);
      const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, t.system, work);
      const patient = await inTenant((s) =>
        s.tx
          .insertInto('patient')
          .values({ tenant_id: t.tenant.id, given_name: 'Ines', family_name: 'Marchetti', birth_date: '1987-02-03', email: 'ines.marchetti@example.org', phone: '+14135550142', time_zone: 'America/New_York' })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
      const key = await ensureTenantLinkKey(database.db, t.tenant.id);
      const sign = (purpose: LinkPurpose = 'preferences', claims: { subject?: string; patientId?: string; expiresAt?: number } = {}) =>
        signLink(key, {
          tenantId: t.tenant.id,
          appointmentId: claims.subject ?? patient.id,
          patientId: claims.patientId ?? patient.id,
          purpose,
          expiresAt: claims.expiresAt ?? Math.floor((clock().getTime() + 365 * DAY) / 1000),
        });
      const token = sign();
      const ip = nextIp();
      const send = async <T>(method: 'GET' | 'POST' | 'HEAD', url: string, options: { payload?: string | object; contentType?: string } = {}) => {
        const res = await app.inject({
          method,
          url,
          remoteAddress: ip,
          ...(options.payload !== undefined ? { payload: options.payload } : {}),
          ...(options.contentType ? { headers: { 'content-type': options.contentType } } : {}),
        });
        return { status: res.statusCode, body: (res.body && String(res.headers['content-type']).includes('json') ? JSON.parse(res.body) : res.body) as T, raw: res };
      };
      const ledger = () =>
        inTenant((s) => s.tx.selectFrom('consent_event').select(['channel', 'purpose', 'status', 'source', 'recorded_by']).where('patient_id', '=', patient.id).orderBy('recorded_at').orderBy('channel').orderBy('purpose').execute());
      const publicAudit = () =>
        inTenant((s) => s.tx.selectFrom('audit_event').select(['action', 'outcome', 'patient_id']).where('actor_type', '=', 'public').orderBy('occurred_at').execute());
      return { ...t, inTenant, patientId: patient.id, key, sign, token, send, ledger, publicAudit, ip };
    }

    const oneClick = (t: Awaited<ReturnType<typeof setUp>>, purpose: string, token = t.token) =>
      t.send<Unsubscribed & ErrorBody>('POST', `/api/public/preferences/${token}/unsubscribe?channel=email&purpose=${purpose}`, {
        payload: 'List-Unsubscribe=One-Click',
        contentType: 'application/x-www-form-urlencoded',
      });

    test('the page shows the clinic, the first name only and every answer; in-app is read-only; the read is audited as the public', async () => {
      const t = await setUp();
      const res = await t.send<PreferencesView>('GET', `/api/public/preferences/${t.token}`);
      assert.equal(res.status, 200, res.raw.body);
      assert.equal(res.body.clinic.name, t.tenant.name);
      assert.deepEqual(res.body.patient, { firstName: 'Ines' });
      assert.doesNotMatch(res.raw.body, /Marchetti|example\.org|555|1987/, 'nothing but the first name');
      assert.deepEqual(res.body.reachable, { email: true, sms: true });
      assert.equal(res.body.consent.length, 15);
      const care = res.body.consent.find((c) => c.channel === 'email' && c.purpose === 'care')!;
      assert.deepEqual([care.status, care.allowed, care.optIn, care.editable], ['default', true, false, true]);
      const marketing = res.body.consent.find((c) => c.channel === 'sms' && c.purpose === 'marketing')!;
      assert.deepEqual([marketing.status, marketing.allowed, marketing.optIn], ['default', false, true]);
      assert.ok(res.body.consent.filter((c) => c.channel === 'in_app').every((c) => !c.editable));
      assert.deepEqual(await t.publicAudit(), [{ action: 'consent.read', outcome: 'success', patient_id: t.patientId }]);
    });

    test('malformed, tampered, other-purpose, other-clinic and expired links are refused; a merged patient is not found', async () => {
      const t = await setUp();
      const get = async (token: string) => (await t.send<ErrorBody>('GET', `/api/public/preferences/${token}`)).status;
      assert.equal(await get('not-a-link'), 404);
      const last = t.token.at(-1) === 'A' ? 'B' : 'A';
      assert.equal(await get(`${t.token.slice(0, -1)}${last}`), 404, 'tampered signature');
      const [payload, signature] = t.token.split('.');
      const forged = Buffer.from(Buffer.from(payload!, 'base64url').toString().replace(/"e":\d+/, '"e":9999999999')).toString('base64url');
      assert.equal(await get(`${forged}.${signature}`), 404, 'altered claims');
      assert.equal(await get(t.sign('survey')), 404, 'a survey link is not a preferences link');
      assert.equal(await get(t.sign('manage')), 404);
      const expired = await t.send<ErrorBody>('GET', `/api/public/preferences/${t.sign('preferences', { expiresAt: Math.floor(NOW.getTime() / 1000) - 1 })}`);
      assert.equal(expired.status, 410);
      assert.equal(expired.body.error.code, 'link_expired');

      // Signed with another clinic's key: the claims name this clinic, the signature does not fit.
      const other = await createTestTenant(database);
      const otherKey = await ensureTenantLinkKey(database.db, other.id);
      const foreign = signLink(otherKey, { tenantId: t.tenant.id, appointmentId: t.patientId, patientId: t.patientId, purpose: 'preferences', expiresAt: Math.floor(NOW.getTime() / 1000) + 3600 });
      assert.equal(await get(foreign), 404);
      // A well-signed link whose subject is not the patient it names.
      assert.equal(await get(t.sign('preferences', { subject: '00000000-0000-4000-8000-000000000001' })), 404);

      const survivor = await t.inTenant((s) =>
        s.tx.insertInto('patient').values({ tenant_id: t.tenant.id, given_name: 'Ines', family_name: 'Marchetti', birth_date: '1987-02-03' }).returning('id').executeTakeFirstOrThrow(),
      );
      await t.inTenant((s) => s.tx.updateTable('patient').set({ merged_into_id: survivor.id }).where('id', '=', t.patientId).execute());
      assert.equal(await get(t.token), 404);
      assert.equal((await oneClick(t, 'care')).status, 404);
      assert.deepEqual(await t.ledger(), [], 'nothing recorded for a merged patient');
      const denied = (await t.publicAudit()).filter((a) => a.outcome === 'denied');
      assert.ok(denied.some((a) => a.action === 'preferences_link.use'));
    });

    test('changes are recorded in the ledger with the preference centre as source; the same answer again adds nothing', async () => {
      const t = await setUp();
      const url = `/api/public/preferences/${t.token}`;
      const res = await t.send<PreferencesView>('POST', url, {
        payload: { changes: [{ channel: 'email', purpose: 'marketing', status: 'granted' }, { channel: 'sms', purpose: 'care', status: 'withdrawn' }, { channel: 'email', purpose: 'education', status: 'granted' }] },
      });
      assert.equal(res.status, 200, res.raw.body);
      assert.equal(res.body.changed, 3);
      const answer = (channel: string, purpose: string) => res.body.consent.find((c) => c.channel === channel && c.purpose === purpose)!;
      assert.deepEqual([answer('email', 'marketing').status, answer('email', 'marketing').allowed], ['granted', true]);
      assert.deepEqual([answer('sms', 'care').status, answer('sms', 'care').allowed], ['withdrawn', false]);
      assert.deepEqual(
        (await t.ledger()).map((r) => [r.channel, r.purpose, r.status, r.source, r.recorded_by]),
        [
          ['email', 'education', 'granted', 'preference_centre', null],
          ['email', 'marketing', 'granted', 'preference_centre', null],
          ['sms', 'care', 'withdrawn', 'preference_centre', null],
        ],
      );
      const actions = (await t.publicAudit()).map((a) => a.action);
      assert.ok(actions.includes('consent.grant') && actions.includes('consent.withdraw'));

      clock.advance(MINUTE);
      const again = await t.send<PreferencesView>('POST', url, { payload: { changes: [{ channel: 'email', purpose: 'marketing', status: 'granted' }, { channel: 'sms', purpose: 'care', status: 'granted' }] } });
      assert.equal(again.status, 200);
      assert.equal(again.body.changed, 1, 'only the answer that differs is recorded');
      assert.equal((await t.ledger()).length, 4);
      const timeline = await t.inTenant((s) => s.tx.selectFrom('timeline_event').select(['kind', 'actor_type']).where('patient_id', '=', t.patientId).where('kind', 'like', 'consent.%').execute());
      assert.equal(timeline.length, 3);
      assert.ok(timeline.every((e) => e.actor_type === 'public'));
    });

    test('a bad change is refused naming the entry, and nothing of the request is stored', async () => {
      const t = await setUp();
      const url = `/api/public/preferences/${t.token}`;
      const refused = async (changes: unknown, path: string) => {
        const res = await t.send<ErrorBody>('POST', url, { payload: { changes } });
        assert.equal(res.status, 400, res.raw.body);
        assert.equal(res.body.error.code, 'validation_failed');
        assert.ok(res.body.error.fields?.some((f) => f.path === path), `${path} in ${JSON.stringify(res.body.error.fields)}`);
        assert.match(res.body.error.message, new RegExp(path.replace(/\./g, '\\.')));
      };
      const good = { channel: 'email', purpose: 'marketing', status: 'granted' };
      await refused([good, { channel: 'in_app', purpose: 'care', status: 'withdrawn' }], 'changes.1.channel');
      await refused([good, { channel: 'sms', purpose: 'spam', status: 'withdrawn' }], 'changes.1.purpose');
      await refused([{ channel: 'sms', purpose: 'care', status: 'maybe' }], 'changes.0.status');
      await refused([good, good], 'changes.1');
      await refused([], 'changes');
      await refused([{ ...good, extra: true }], 'changes.0.extra');
      assert.deepEqual(await t.ledger(), []);
    });

    test('one-click unsubscribe withdraws at once and stops the emails waiting; using it again changes nothing', async () => {
      const t = await setUp();
      // The patient opted in to marketing; a care email and a newsletter wait for tomorrow.
      await t.send('POST', `/api/public/preferences/${t.token}`, { payload: { changes: [{ channel: 'email', purpose: 'marketing', status: 'granted' }] } });
      clock.advance(MINUTE);
      const due = new Date(clock().getTime() + DAY);
      const scheduled = await t.inTenant(async (s) => ({
        care: await scheduleMessage(s, { patientId: t.patientId, channel: 'email', purpose: 'care', idempotencyKey: `care-${t.patientId}`, dueAt: due, subject: 'Your results', body: 'Call us.' }, clock()),
        news: await scheduleMessage(s, { patientId: t.patientId, channel: 'email', purpose: 'marketing', idempotencyKey: `news-${t.patientId}`, dueAt: due, subject: 'News', body: 'Winter hours.' }, clock()),
        sms: await scheduleMessage(s, { patientId: t.patientId, channel: 'sms', purpose: 'marketing', idempotencyKey: `sms-${t.patientId}`, dueAt: due, body: 'Winter hours.' }, clock()),
      }));
      assert.deepEqual([scheduled.care.status, scheduled.news.status, scheduled.sms.status], ['scheduled', 'scheduled', 'not_sent']);

      const first = await oneClick(t, 'marketing');
      assert.equal(first.status, 200, first.raw.body);
      assert.deepEqual(first.body, { unsubscribed: true, channel: 'email', purpose: 'marketing', changed: true });
      const ledger = await t.ledger();
      assert.deepEqual(ledger.at(-1), { channel: 'email', purpose: 'marketing', status: 'withdrawn', source: 'unsubscribe', recorded_by: null });
      clock.advance(MINUTE);
      const care = await oneClick(t, 'care');
      assert.equal(care.status, 200);

      const second = await oneClick(t, 'marketing');
      assert.equal(second.status, 200);
      assert.equal(second.body.changed, false);
      assert.equal((await t.ledger()).length, ledger.length + 1, 'only the care withdrawal was added');

      // When their time comes, neither email goes.
      clock.advance(DAY + MINUTE);
      await drainOutbox(outboxOptions(database.db, clock));
      const messages = await messagesOf(database.db, t.tenant.id);
      for (const id of [scheduled.care.id, scheduled.news.id]) {
        const m = messages.find((x) => x.id === id)!;
        assert.deepEqual([m.status, m.reason], ['not_sent', 'consent_withdrawn']);
        assert.equal(m.sent_at, null);
      }
      clock.advance(-(DAY + 3 * MINUTE));
    });

    test('the unsubscribe link opened in a browser withdraws and redirects to the page; a HEAD does nothing; a dead link goes to the page', async () => {
      const t = await setUp();
      const url = `/api/public/preferences/${t.token}/unsubscribe?channel=email&purpose=billing`;
      const head = await t.send('HEAD', url);
      assert.notEqual(head.status, 303);
      assert.deepEqual(await t.ledger(), [], 'a link scanner fetching HEAD unsubscribes nobody');

      const res = await t.send('GET', url);
      assert.equal(res.status, 303);
      assert.equal(res.raw.headers.location, `/preferences/${t.token}?unsubscribed=billing`);
      assert.deepEqual(await t.ledger(), [{ channel: 'email', purpose: 'billing', status: 'withdrawn', source: 'unsubscribe', recorded_by: null }]);
      const again = await t.send('GET', url);
      assert.equal(again.status, 303);
      assert.equal((await t.ledger()).length, 1);

      const expired = t.sign('preferences', { expiresAt: Math.floor(NOW.getTime() / 1000) - 60 });
      const dead = await t.send('GET', `/api/public/preferences/${expired}/unsubscribe?channel=email&purpose=care`);
      assert.equal(dead.status, 303);
      assert.equal(dead.raw.headers.location, `/preferences/${expired}`);
      const bad = await t.send<ErrorBody>('GET', `/api/public/preferences/${t.token}/unsubscribe?channel=email&purpose=everything`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.fields?.[0]?.path, 'querystring.purpose');
      const inApp = await t.send<ErrorBody>('POST', `/api/public/preferences/${t.token}/unsubscribe?channel=in_app&purpose=care`, { payload: 'List-Unsubscribe=One-Click', contentType: 'application/x-www-form-urlencoded' });
      assert.equal(inApp.status, 400);
      assert.equal((await t.ledger()).length, 1);
    });

    test('links are rate-limited per address before they are read', async () => {
      const t = await setUp();
      for (let i = 0; i < 60; i++) assert.equal((await t.send('GET', '/api/public/preferences/nonsense')).status, 404);
      const limited = await t.send<ErrorBody>('GET', `/api/public/preferences/${t.token}`);
      assert.equal(limited.status, 429);
      assert.ok(limited.raw.headers['retry-after']);
    });
  });
}
