import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { ConsentView, MessageDetail, MessageView } from './schema.ts';

type ConsentResult = ConsentView & { recorded: number; messagesStopped: number };

// Sunday 22 November 2026, 09:00 in New York: outside quiet hours there.
const NOW = new Date('2026-11-22T14:00:00Z');

for (const engine of engines()) {
  describe(`consent ledger (${engine})`, () => {
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

    async function setUp(role: 'front_desk' | 'clinician' = 'front_desk') {
      const t = await signedInTenant(app, database, role);
      const patientId = await withTenant(database.db, t.system, async (s) => {
        const row = await s.tx
          .insertInto('patient')
          .values({ tenant_id: t.tenant.id, given_name: 'Fay', family_name: 'Ledger', birth_date: '1979-06-01', email: 'fay.ledger@example.org', phone: '+14135550121', time_zone: 'America/New_York' })
          .returning('id')
          .executeTakeFirstOrThrow();
        return row.id;
      });
      const consent = (body: Record<string, unknown>) => t.call<ConsentResult & ErrorBody>('POST', `/api/patients/${patientId}/consent`, body);
      const send = (body: Record<string, unknown>) => t.call<MessageView>('POST', `/api/patients/${patientId}/messages`, body);
      return { ...t, patientId, consent, send };
    }

    const cell = (view: ConsentView, channel: string, purpose: string) => view.matrix.find((m) => m.channel === channel && m.purpose === purpose)!;

    test('care and billing go until the patient opts out; education, marketing and research need an opt-in', async () => {
      const t = await setUp();
      const view = await t.call<ConsentView>('GET', `/api/patients/${t.patientId}/consent`);
      assert.equal(view.status, 200);
      assert.equal(view.body.matrix.length, 15);
      assert.deepEqual(view.body.history, []);
      for (const channel of ['email', 'sms', 'in_app']) {
        for (const purpose of ['care', 'billing']) assert.deepEqual([cell(view.body, channel, purpose).status, cell(view.body, channel, purpose).allowed, cell(view.body, channel, purpose).needsOptIn], ['default', true, false]);
        for (const purpose of ['education', 'marketing', 'research']) assert.deepEqual([cell(view.body, channel, purpose).status, cell(view.body, channel, purpose).allowed, cell(view.body, channel, purpose).needsOptIn], ['default', false, true]);
      }
      assert.ok((await t.audit()).some((a) => a.action === 'patient.consent.read' && a.patient_id === t.patientId));

      const care = await t.send({ channel: 'sms', body: 'Your results are in.' });
      assert.equal(care.body.status, 'scheduled');
      for (const purpose of ['marketing', 'education']) {
        const held = await t.send({ channel: 'sms', purpose, body: 'News from the clinic.' });
        assert.equal(held.status, 201);
        assert.deepEqual([held.body.status, held.body.reason], ['not_sent', 'no_opt_in']);
      }
    });

    test('an opt-in is recorded with how, when and by whom, and lets marketing on that channel go', async () => {
      const t = await setUp();
      const granted = await t.consent({ channels: ['sms'], purposes: ['marketing'], status: 'granted', note: 'Asked at the front desk' });
      assert.equal(granted.status, 201, granted.raw.body);
      assert.equal(granted.body.recorded, 1);
      const sms = cell(granted.body, 'sms', 'marketing');
      assert.deepEqual([sms.status, sms.allowed, sms.source, sms.recordedAt], ['granted', true, 'staff', NOW.toISOString()]);
      assert.equal(sms.recordedBy?.id, t.user.id);
      assert.ok(sms.recordedBy?.name);
      assert.equal(cell(granted.body, 'email', 'marketing').allowed, false);
      assert.deepEqual(
        granted.body.history.map((h) => [h.channel, h.purpose, h.status, h.source, h.note, h.recordedBy?.id]),
        [['sms', 'marketing', 'granted', 'staff', 'Asked at the front desk', t.user.id]],
      );
      assert.ok((await t.audit()).some((a) => a.action === 'consent.grant' && a.patient_id === t.patientId));

      assert.equal((await t.send({ channel: 'sms', purpose: 'marketing', body: 'Flu shots are in.' })).body.status, 'scheduled');
      assert.equal((await t.send({ channel: 'email', purpose: 'marketing', subject: 'Flu shots', body: 'Flu shots are in.' })).body.reason, 'no_opt_in');

      // Withdrawn at the same instant it was granted: the later answer still wins.
      const withdrawn = await t.consent({ channels: ['sms'], purposes: ['marketing'], status: 'withdrawn', source: 'form' });
      assert.equal(cell(withdrawn.body, 'sms', 'marketing').status, 'withdrawn');
      assert.equal(withdrawn.body.messagesStopped, 1);
      assert.deepEqual(withdrawn.body.history.map((h) => [h.status, h.source]), [['withdrawn', 'form'], ['granted', 'staff']]);
    });

    test('a withdrawal stops a message still waiting to go, and only on that channel and purpose', async () => {
      const t = await setUp('clinician');
      const sms = await t.send({ channel: 'sms', body: 'Please call us about your results.' });
      const inApp = await t.send({ channel: 'in_app', body: 'Please call us about your results.' });
      assert.equal(sms.body.status, 'scheduled');
      const withdrawn = await t.consent({ channels: ['sms', 'sms'], purposes: ['care'], status: 'withdrawn', source: 'keyword' });
      assert.equal(withdrawn.status, 201, withdrawn.raw.body);
      assert.deepEqual([withdrawn.body.recorded, withdrawn.body.messagesStopped], [1, 1]);

      await drainOutbox(outboxOptions(database.db, clock));
      const stopped = await t.call<MessageDetail>('GET', `/api/messages/${sms.body.id}`);
      assert.deepEqual([stopped.body.status, stopped.body.reason, stopped.body.reasonText], ['not_sent', 'consent_withdrawn', 'the patient withdrew consent']);
      assert.deepEqual(stopped.body.attemptLog, []);
      assert.equal((await t.call<MessageDetail>('GET', `/api/messages/${inApp.body.id}`)).body.status, 'delivered');

      // A retry is checked again before it goes: still withdrawn, still not sent.
      assert.equal((await t.call('POST', `/api/messages/${sms.body.id}/retry`)).status, 200);
      await drainOutbox(outboxOptions(database.db, clock));
      const again = await t.call<MessageDetail>('GET', `/api/messages/${sms.body.id}`);
      assert.deepEqual([again.body.status, again.body.reason], ['not_sent', 'consent_withdrawn']);
      assert.deepEqual(again.body.attemptLog.map((a) => a.outcome), ['not_sent']);
    });

    test('bad answers are refused naming the field, and nothing is recorded', async () => {
      const t = await setUp();
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ channels: [], purposes: ['care'], status: 'granted' }, 'channels'],
        [{ channels: ['sms'], purposes: ['spam'], status: 'granted' }, 'purposes.0'],
        [{ channels: ['sms'], purposes: ['care'], status: 'maybe' }, 'status'],
        [{ channels: ['sms'], purposes: ['care'], status: 'granted', source: 'unsubscribe' }, 'source'],
        [{ channels: ['sms'], purposes: ['care'], status: 'granted', note: 'x'.repeat(501) }, 'note'],
        [{ channels: ['sms'], purposes: ['care'], status: 'granted', by: 'me' }, 'by'],
      ];
      for (const [body, path] of cases) {
        const res = await t.consent(body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.fields?.[0]?.path, path, JSON.stringify(res.body.error));
      }
      assert.deepEqual((await t.call<ConsentView>('GET', `/api/patients/${t.patientId}/consent`)).body.history, []);

      const marketing = await signedInTenant(app, database, 'marketing');
      assert.equal((await marketing.call('GET', `/api/patients/${t.patientId}/consent`)).status, 403);
    });
  });
}
