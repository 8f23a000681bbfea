import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import type { PatientRecord } from '../patients/schema.ts';
import type { Lead } from './service.ts';

type Board = { stages: Record<string, Lead[]> };

for (const engine of engines()) {
  describe(`leads and the public enquiry form (${engine})`, () => {
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

    test('a lead moves across the board and converts into a patient that keeps its source and timeline', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const created = await t.call<Lead>('POST', '/api/leads', {
        givenName: 'Priya',
        familyName: 'Shah',
        phone: '413-555-0142',
        interest: 'Invisalign consultation',
        source: { channel: 'instagram', campaign: 'smile-2026', utmSource: 'instagram', utmMedium: 'social' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.phone, '+14135550142');
      assert.equal(created.body.origin, 'staff');
      const lead = created.body;
      clock.advance(60_000);
      assert.equal((await t.call('PATCH', `/api/leads/${lead.id}`, { stage: 'contacted' })).status, 200);
      const board = await t.call<Board>('GET', '/api/leads');
      assert.deepEqual(board.body.stages.contacted?.map((l) => l.id), [lead.id]);

      const converted = await t.call<{ lead: Lead; patientId: string; created: boolean }>('POST', `/api/leads/${lead.id}/convert`, {});
      assert.equal(converted.status, 200, JSON.stringify(converted.body));
      assert.equal(converted.body.created, true);
      assert.equal(converted.body.lead.stage, 'converted');
      const patient = (await t.call<PatientRecord>('GET', `/api/patients/${converted.body.patientId}`)).body;
      assert.equal(patient.source.channel, 'instagram');
      assert.equal(patient.source.campaign, 'smile-2026');
      assert.deepEqual(patient.phones.map((p) => p.value), ['+14135550142']);
      const timeline = await t.call<{ items: Array<{ kind: string }> }>('GET', `/api/patients/${patient.id}/timeline?kind=lead`);
      assert.deepEqual(timeline.body.items.map((i) => i.kind), ['lead.converted', 'lead.stage_changed', 'lead.created']);
      assert.equal((await t.call<ErrorBody>('POST', `/api/leads/${lead.id}/convert`, {})).status, 409);
      assert.equal((await t.call<ErrorBody>('PATCH', `/api/leads/${lead.id}`, { stage: 'new' })).status, 409);
    });

    test('converting into an existing patient links it and fills a missing source', async () => {
      const t = await signedInTenant(app, database);
      const p = (await t.call<PatientRecord>('POST', '/api/patients', { givenName: 'Omar', familyName: 'Haddad' })).body;
      const lead = (await t.call<Lead>('POST', '/api/leads', { givenName: 'Omar', familyName: 'Haddad', email: 'omar@example.org', source: { channel: 'referral', referrer: 'Dr. Lee' } })).body;
      const res = await t.call<{ patientId: string; created: boolean }>('POST', `/api/leads/${lead.id}/convert`, { patientId: p.id });
      assert.deepEqual([res.body.patientId, res.body.created], [p.id, false]);
      const after = (await t.call<PatientRecord>('GET', `/api/patients/${p.id}`)).body;
      assert.equal(after.source.channel, 'referral');
      assert.equal(after.source.referrer, 'Dr. Lee');
    });

    test('bad leads and moves are refused by name', async () => {
      const t = await signedInTenant(app, database);
      const bad = await t.call<ErrorBody>('POST', '/api/leads', { givenName: 'No', familyName: 'Contact', phone: '12', email: 'nope' });
      assert.deepEqual(bad.body.error.fields?.map((f) => f.path).sort(), ['email', 'phone']);
      const none = await t.call<ErrorBody>('POST', '/api/leads', { givenName: 'No', familyName: 'Contact' });
      assert.equal(none.body.error.fields?.[0]?.path, 'phone');
      const lead = (await t.call<Lead>('POST', '/api/leads', { givenName: 'A', familyName: 'B', email: 'ab@example.org' })).body;
      const lost = await t.call<ErrorBody>('PATCH', `/api/leads/${lead.id}`, { stage: 'lost' });
      assert.equal(lost.body.error.fields?.[0]?.path, 'lostReason');
      const sneaky = await t.call<ErrorBody>('PATCH', `/api/leads/${lead.id}`, { stage: 'converted' });
      assert.equal(sneaky.status, 400);
      assert.equal((await t.call<ErrorBody>('GET', `/api/leads/${'a'.repeat(36)}`)).status, 404, 'a non-UUID id is not found, not a SQL error');
      assert.equal(await t.count('lead'), 1);
    });

    test('the public JSON form creates a web lead with its UTM source; the honeypot stores nothing; bursts are limited', async () => {
      const t = await signedInTenant(app, database);
      const url = `/api/public/leads/${t.tenant.slug}`;
      const post = (payload: object, ip = '198.51.100.7') => app.inject({ method: 'POST', url, payload, remoteAddress: ip, headers: { origin: 'https://clinic.example.org' } });
      const ok = await post({ givenName: 'Lena', familyName: 'Ortiz', email: 'lena@example.org', utmSource: 'newsletter', utmCampaign: 'flu-2026', referrer: 'https://clinic.example.org/flu' });
      assert.equal(ok.statusCode, 202, ok.body);
      assert.equal(ok.headers['access-control-allow-origin'], '*');
      const board = (await t.call<Board>('GET', '/api/leads')).body;
      const lead = board.stages.new?.[0];
      assert.equal(lead?.origin, 'web_form');
      assert.equal(lead?.source.utmCampaign, 'flu-2026');
      assert.equal(lead?.source.referrer, 'https://clinic.example.org/flu');

      const bot = await post({ givenName: 'Buy', familyName: 'Pills', email: 'bot@example.org', website: 'http://spam.example' }, '203.0.113.9');
      assert.equal(bot.statusCode, 202, 'a bot is not told it was caught');
      assert.equal(await t.count('lead'), 1);

      const bad = await post({ givenName: 'X', familyName: 'Y', email: 'not-an-email' }, '203.0.113.10');
      assert.equal(bad.statusCode, 400);
      assert.equal((JSON.parse(bad.body) as ErrorBody).error.fields?.[0]?.path, 'email');
      const unknown = await app.inject({ method: 'POST', url: '/api/public/leads/no-such-clinic', payload: { givenName: 'A', familyName: 'B', email: 'a@example.org' } });
      assert.equal(unknown.statusCode, 404);

      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await post({ givenName: `N${i}`, familyName: 'Burst', email: `n${i}@example.org` }, '192.0.2.50')).statusCode);
      assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
      const limited = await post({ givenName: 'Late', familyName: 'Burst', email: 'late@example.org' }, '192.0.2.50');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      clock.advance(11 * 60_000);
      assert.equal((await post({ givenName: 'Later', familyName: 'Burst', email: 'later@example.org' }, '192.0.2.50')).statusCode, 202);
    });

    test('the hosted form page can be framed, carries the UTM tags, and shows problems in place', async () => {
      const t = await signedInTenant(app, database);
      const page = await app.inject({ url: `/forms/${t.tenant.slug}/contact?utm_source=facebook&utm_campaign=open-day` });
      assert.equal(page.statusCode, 200);
      assert.match(String(page.headers['content-type']), /text\/html/);
      assert.match(String(page.headers['content-security-policy']), /frame-ancestors \*/);
      assert.equal(page.headers['x-frame-options'], undefined);
      assert.match(page.body, /name="utmSource" value="facebook"/);
      assert.doesNotMatch(page.body, /<script/);

      const form = (fields: Record<string, string>) =>
        app.inject({ method: 'POST', url: `/forms/${t.tenant.slug}/contact`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(), remoteAddress: '198.51.100.77' });
      const wrong = await form({ givenName: 'Sam', familyName: '<b>Lee</b>', phone: '12', utmSource: 'facebook' });
      assert.equal(wrong.statusCode, 400);
      assert.match(wrong.body, /Phone: must be a valid phone number/);
      assert.match(wrong.body, /value="&lt;b&gt;Lee&lt;\/b&gt;"/, 'what was typed comes back, escaped');
      const sent = await form({ givenName: 'Sam', familyName: 'Lee', phone: '(413) 555-0177', utmSource: 'facebook', utmCampaign: 'open-day' });
      assert.equal(sent.statusCode, 200);
      assert.match(sent.body, /Thank you/);
      const lead = (await t.call<Board>('GET', '/api/leads')).body.stages.new?.[0];
      assert.equal(lead?.source.utmSource, 'facebook');
      assert.equal(lead?.phone, '+14135550177');
    });
  });
}
