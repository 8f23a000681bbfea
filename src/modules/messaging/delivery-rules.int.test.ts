import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppError } from '../../server/errors.ts';
import { scheduleMessage } from './outbox.ts';
import type { MessageDetail, MessageView } from './schema.ts';

// 14:00 UTC on Sunday 22 November 2026: 09:00 in New York, 23:00 in Tokyo (quiet hours 21:00-08:00).
const NOW = new Date('2026-11-22T14:00:00Z');
// 08:00 on Monday 23 November in Tokyo.
const TOKYO_MORNING = '2026-11-22T23:00:00.000Z';

for (const engine of engines()) {
  describe(`quiet hours and frequency caps (${engine})`, () => {
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
      const t = await signedInTenant(app, database, 'admin');
      const patient = (given: string, zone: string, phone: string) =>
        withTenant(database.db, t.system, async (s) => {
          const row = await s.tx
            .insertInto('patient')
            .values({ tenant_id: t.tenant.id, given_name: given, family_name: 'Rules', birth_date: '1990-01-02', phone, time_zone: zone })
            .returning('id')
            .executeTakeFirstOrThrow();
          return row.id;
        });
      const send = async (patientId: string, body: Record<string, unknown>) => {
        const res = await t.call<MessageView>('POST', `/api/patients/${patientId}/messages`, body);
        assert.equal(res.status, 201, res.raw.body);
        return res.body;
      };
      const detail = async (id: string) => (await t.call<MessageDetail>('GET', `/api/messages/${id}`)).body;
      return { ...t, patient, send, detail };
    }

    test("a message due in the patient's quiet hours waits for their morning, in their own zone, and is not dropped", async () => {
      const t = await setUp();
      const tokyo = await t.patient('Gin', 'Asia/Tokyo', '+14135550131');
      const newYork = await t.patient('Hal', 'America/New_York', '+14135550132');
      const late = await t.send(tokyo, { channel: 'sms', body: 'Your repeat prescription is ready.' });
      const onTime = await t.send(newYork, { channel: 'sms', body: 'Your repeat prescription is ready.' });
      const urgent = await t.send(tokyo, { channel: 'sms', body: 'Your visit tomorrow moved to 10:00.', urgent: true });

      await drainOutbox(outboxOptions(database.db, clock));
      const deferred = await t.detail(late.id);
      assert.equal(deferred.status, 'scheduled');
      assert.equal(deferred.dueAt, TOKYO_MORNING);
      assert.deepEqual(deferred.attemptLog.map((a) => [a.outcome, a.detail]), [['deferred', `quiet hours until ${TOKYO_MORNING}`]]);
      assert.equal((await t.detail(onTime.id)).status, 'sandboxed'); // 09:00 in New York
      assert.equal((await t.detail(urgent.id)).status, 'sandboxed'); // urgent ignores quiet hours

      // Still night in Tokyo a minute before eight: nothing goes.
      await drainOutbox(outboxOptions(database.db, manualClock(new Date(Date.parse(TOKYO_MORNING) - 60_000))));
      assert.equal((await t.detail(late.id)).status, 'scheduled');
      await drainOutbox(outboxOptions(database.db, manualClock(new Date(TOKYO_MORNING))));
      const sent = await t.detail(late.id);
      assert.equal(sent.status, 'sandboxed');
      assert.equal(sent.sentAt, TOKYO_MORNING);
      assert.deepEqual(sent.attemptLog.map((a) => a.outcome), ['deferred', 'sandboxed']);
    });

    test('a message whose moment passes before quiet hours end is not sent, with that reason', async () => {
      const t = await setUp();
      const tokyo = await t.patient('Ida', 'Asia/Tokyo', '+14135550133');
      const scheduled = await withTenant(database.db, t.system, (scope) =>
        scheduleMessage(
          scope,
          { patientId: tokyo, channel: 'sms', purpose: 'care', idempotencyKey: `test:expiring:${tokyo}`, dueAt: NOW, expiresAt: new Date('2026-11-22T16:00:00Z'), body: 'Your table is ready.' },
          NOW,
        ),
      );
      assert.equal(scheduled.status, 'scheduled');
      await drainOutbox(outboxOptions(database.db, clock));
      const held = await t.detail(scheduled.id);
      assert.deepEqual([held.status, held.reason, held.reasonText], ['not_sent', 'quiet_hours_expired', 'quiet hours lasted past the time it was useful']);
      assert.deepEqual(held.attemptLog.map((a) => a.outcome), ['not_sent']);
    });

    test('urgent is for care only: an urgent marketing, education, research or billing message is refused naming the field, and nothing is stored', async () => {
      const t = await setUp();
      const patient = await t.patient('Kit', 'Asia/Tokyo', '+14135550135');
      const granted = await t.call('POST', `/api/patients/${patient}/consent`, { channels: ['sms'], purposes: ['marketing', 'education', 'research'], status: 'granted' });
      assert.equal(granted.status, 201);
      for (const purpose of ['marketing', 'education', 'research', 'billing']) {
        const res = await t.call<ErrorBody>('POST', `/api/patients/${patient}/messages`, { channel: 'sms', purpose, body: 'Flu shots are in.', urgent: true });
        assert.equal(res.status, 400, `${purpose}: ${res.raw.body}`);
        assert.deepEqual(res.body.error.fields?.map((f) => f.path), ['urgent']);
        assert.match(res.body.error.fields![0]!.message, /only be true for care/);
      }
      // A journey or any other caller scheduling directly is refused the same way.
      await assert.rejects(
        withTenant(database.db, t.system, (scope) =>
          scheduleMessage(scope, { patientId: patient, channel: 'sms', purpose: 'marketing', idempotencyKey: `test:urgent:${patient}`, dueAt: NOW, urgent: true, body: 'Flu shots are in.' }, NOW),
        ),
        (error: AppError) => error.status === 400 && error.fields?.length === 1 && error.fields[0]!.path === 'urgent',
      );
      const stored = await withTenant(database.db, t.system, (scope) => scope.tx.selectFrom('message').select('id').where('patient_id', '=', patient).execute());
      assert.deepEqual(stored, []);

      // Not urgent, the same marketing text waits for the morning in Tokyo; urgent care still goes at once.
      const marketing = await t.send(patient, { channel: 'sms', purpose: 'marketing', body: 'Flu shots are in.' });
      const care = await t.send(patient, { channel: 'sms', body: 'Your visit tomorrow moved to 10:00.', urgent: true });
      await drainOutbox(outboxOptions(database.db, clock));
      assert.deepEqual([(await t.detail(marketing.id)).status, (await t.detail(marketing.id)).dueAt], ['scheduled', TOKYO_MORNING]);
      assert.equal((await t.detail(care.id)).status, 'sandboxed');
    });

    test('the third marketing message in the window is held back by the cap, and the cap follows the settings', async () => {
      const t = await setUp();
      const patient = await t.patient('Jo', 'America/New_York', '+14135550134');
      const granted = await t.call('POST', `/api/patients/${patient}/consent`, { channels: ['sms'], purposes: ['marketing'], status: 'granted' });
      assert.equal(granted.status, 201);
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        const message = await t.send(patient, { channel: 'sms', purpose: 'marketing', body: `Offer number ${n}` });
        // The third may be held when it is scheduled or just before it goes; either way it ends held.
        if (n < 3) assert.equal(message.status, 'scheduled');
        ids.push(message.id);
        await drainOutbox(outboxOptions(database.db, clock));
        clock.advance(60_000);
      }
      const outcomes = await Promise.all(ids.map(async (id) => t.detail(id)));
      assert.deepEqual(outcomes.map((m) => [m.status, m.reason]), [['sandboxed', null], ['sandboxed', null], ['not_sent', 'frequency_cap']]);
      assert.equal(outcomes[2]!.reasonText, 'the patient already had the most messages of this kind allowed');

      // Care is capped separately: it still goes.
      const care = await t.send(patient, { channel: 'sms', body: 'Your results are in.' });
      await drainOutbox(outboxOptions(database.db, clock));
      assert.equal((await t.detail(care.id)).status, 'sandboxed');

      const raised = await t.call('PATCH', '/api/settings/messaging', { frequencyCaps: { marketing: { count: 3, days: 30 } } });
      assert.equal(raised.status, 200, raised.raw.body);
      assert.equal((await t.call('POST', `/api/messages/${ids[2]}/retry`)).status, 200);
      await drainOutbox(outboxOptions(database.db, clock));
      assert.equal((await t.detail(ids[2]!)).status, 'sandboxed');
    });
  });
}
