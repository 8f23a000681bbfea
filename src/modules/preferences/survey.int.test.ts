import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';
import { ensureTenantLinkKey, signLink, type LinkPurpose } from '../scheduling/links.ts';
import type { SurveyView } from './schema.ts';

// Monday 23 November 2026, 12:00 in New York: the visit was this morning at 10:00, booked on Sunday.
const NOW = new Date('2026-11-23T17:00:00Z');
const SUNDAY = new Date('2026-11-22T14:00:00Z');
const VISIT = '2026-11-23T15:00:00Z';

let address = 0;
const nextIp = () => `198.51.100.${(address = (address % 250) + 1)}`;

for (const engine of engines()) {
  describe(`visit survey (${engine})`, () => {
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

    async function setUp(options: { complete?: boolean } = {}) {
      // Booked (and, for the test's sake, marked completed) on Sunday; the patient answers on Monday.
      clock.set(SUNDAY);
      const t = await signedInTenant(app, database, 'front_desk');
      const clinic = await createClinic(database, t.tenant.id);
      const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, t.system, work);
      const booked = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId: clinic.patientIds[0],
        serviceId: clinic.serviceId,
        practitionerId: clinic.practitionerIds[0],
        locationId: clinic.locationId,
        startsAt: VISIT,
      });
      assert.equal(booked.status, 201, booked.raw.body);
      if (options.complete !== false) {
        const done = await t.call('POST', `/api/appointments/${booked.body.id}/complete`, {});
        assert.equal(done.status, 200, done.raw.body);
      }
      clock.set(NOW);
      const key = await ensureTenantLinkKey(database.db, t.tenant.id);
      const sign = (purpose: LinkPurpose = 'survey', claims: { appointmentId?: string; patientId?: string; expiresAt?: number } = {}) =>
        signLink(key, {
          tenantId: t.tenant.id,
          appointmentId: claims.appointmentId ?? booked.body.id,
          patientId: claims.patientId ?? clinic.patientIds[0]!,
          purpose,
          expiresAt: claims.expiresAt ?? Math.floor(NOW.getTime() / 1000) + 30 * 86_400,
        });
      const ip = nextIp();
      const send = async <T = SurveyView & ErrorBody>(method: 'GET' | 'POST', token: string, payload?: object) => {
        const res = await app.inject({ method, url: `/api/public/survey/${token}`, remoteAddress: ip, ...(payload ? { payload } : {}) });
        return { status: res.statusCode, body: JSON.parse(res.body) as T };
      };
      const responses = () => inTenant((s) => s.tx.selectFrom('survey_response').select(['patient_id', 'appointment_id', 'score', 'comment']).execute());
      return { ...t, clinic, inTenant, appointmentId: booked.body.id, token: sign(), sign, send, responses };
    }

    test('the survey names the visit; an answer is stored once, on the timeline and audited as the public', async () => {
      const t = await setUp();
      const view = await t.send('GET', t.token);
      assert.equal(view.status, 200, JSON.stringify(view.body));
      assert.equal(view.body.clinic.name, t.tenant.name);
      assert.match(view.body.question, new RegExp(`recommend ${t.tenant.name}`));
      assert.deepEqual(view.body.visit, {
        status: 'fulfilled',
        startsAt: '2026-11-23T15:00:00.000Z',
        timeZone: 'America/New_York',
        service: 'Follow-up visit',
        practitioner: 'Dr. Test1 Practitioner',
        location: 'Clinic America/New_York',
      });
      assert.equal(view.body.canAnswer, true);
      assert.equal(view.body.answer, null);

      const answered = await t.send('POST', t.token, { score: 9, comment: '  Kind and on time.  ' });
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      assert.equal(answered.body.canAnswer, false);
      assert.deepEqual(answered.body.answer, { score: 9, answeredAt: NOW.toISOString() });
      assert.deepEqual(await t.responses(), [{ patient_id: t.clinic.patientIds[0], appointment_id: t.appointmentId, score: 9, comment: 'Kind and on time.' }]);

      const again = await t.send('POST', t.token, { score: 2 });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'already_answered');
      assert.equal((await t.responses()).length, 1);
      assert.equal((await t.send('GET', t.token)).body.answer?.score, 9);

      const timeline = await t.inTenant((s) => s.tx.selectFrom('timeline_event').select(['kind', 'summary', 'actor_type']).where('kind', '=', 'survey.answered').execute());
      assert.equal(timeline.length, 1);
      assert.match(timeline[0]!.summary, /9\/10, with a comment/);
      assert.equal(timeline[0]!.actor_type, 'public');
      const audit = await t.inTenant((s) => s.tx.selectFrom('audit_event').select(['action', 'outcome']).where('actor_type', '=', 'public').orderBy('occurred_at').execute());
      assert.deepEqual(audit.map((a) => `${a.action}:${a.outcome}`), ['survey.read:success', 'survey.answer:success', 'survey.answer:failure', 'survey.read:success']);
    });

    test('two answers at the same moment: one is stored, the other is told it was already answered', async () => {
      const t = await setUp();
      const [a, b] = await Promise.all([t.send('POST', t.token, { score: 10 }), t.send('POST', t.token, { score: 0 })]);
      assert.deepEqual([a.status, b.status].sort(), [200, 409]);
      assert.equal((await t.responses()).length, 1);
    });

    test('bad answers are refused naming the field; a visit not yet over cannot be answered', async () => {
      const t = await setUp();
      for (const [payload, path] of [
        [{ score: 11 }, 'score'],
        [{ score: -1 }, 'score'],
        [{ score: 7.5 }, 'score'],
        [{ score: '7' }, 'score'],
        [{}, 'score'],
        [{ score: 7, comment: 'x'.repeat(2001) }, 'comment'],
        [{ score: 7, rating: 3 }, 'rating'],
      ] as const) {
        const res = await t.send('POST', t.token, payload);
        assert.equal(res.status, 400, JSON.stringify(payload));
        assert.equal(res.body.error.fields?.[0]?.path, path, JSON.stringify(res.body));
      }
      assert.deepEqual(await t.responses(), []);

      const upcoming = await setUp({ complete: false });
      const view = await upcoming.send('GET', upcoming.token);
      assert.equal(view.body.canAnswer, false);
      const early = await upcoming.send('POST', upcoming.token, { score: 8 });
      assert.equal(early.status, 409);
      assert.equal(early.body.error.code, 'visit_not_completed');
      assert.deepEqual(await upcoming.responses(), []);
    });

    test('other-purpose, tampered, expired links and links whose visit is not the patient\'s are refused', async () => {
      const t = await setUp();
      assert.equal((await t.send('GET', t.sign('manage'))).status, 404);
      assert.equal((await t.send('GET', t.sign('preferences'))).status, 404);
      assert.equal((await t.send('GET', `${t.token.slice(0, -2)}AA`)).status, 404);
      const expired = await t.send('GET', t.sign('survey', { expiresAt: Math.floor(NOW.getTime() / 1000) - 1 }));
      assert.equal(expired.status, 410);
      const otherPatient = await t.send('POST', t.sign('survey', { patientId: t.clinic.patientIds[1] }), { score: 5 });
      assert.equal(otherPatient.status, 404);
      assert.deepEqual(await t.responses(), []);
    });
  });
}
