import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestTenant, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import type { ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import { messageIdFor } from '../messaging/email.ts';
import { PURPOSES } from '../messaging/types.ts';
import type { BounceResult } from './schema.ts';

// Sunday 22 November 2026, 09:00 in New York.
const NOW = new Date('2026-11-22T14:00:00Z');
const SECRET = 'bounce-secret-for-tests-0123456789';

for (const engine of engines()) {
  describe(`email bounce webhook (${engine})`, () => {
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

    /** A clinic with a webhook secret, a patient, and an email to them that the relay accepted. */
    async function setUp(options: { secret?: string | null } = {}) {
      const tenant = await createTestTenant(database);
      const system = { tenantId: tenant.id, actor: { type: 'system' as const, id: null } };
      const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, system, work);
      const secret = options.secret === undefined ? SECRET : options.secret;
      if (secret) await inTenant((s) => s.tx.insertInto('messaging_settings').values({ tenant_id: tenant.id, webhook_secret: secret }).execute());
      const patient = await inTenant((s) =>
        s.tx
          .insertInto('patient')
          .values({ tenant_id: tenant.id, given_name: 'Tomasz', family_name: 'Wierzbicki', birth_date: '1975-09-30', email: 'tomasz.w@example.net', phone: '+14135550163' })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
      const message = async (status: 'sent' | 'scheduled', extra: { to?: string; channel?: 'email' | 'sms' } = {}) => {
        const row = await inTenant((s) =>
          s.tx
            .insertInto('message')
            .values({
              tenant_id: tenant.id,
              patient_id: patient.id,
              channel: extra.channel ?? 'email',
              purpose: 'care',
              status,
              idempotency_key: `test-${Math.random()}`,
              to_address: extra.to ?? 'tomasz.w@example.net',
              subject: 'Your appointment',
              body_text: 'See you soon.',
              due_at: status === 'sent' ? NOW : new Date(NOW.getTime() + 86_400_000),
              created_by_type: 'system',
              ...(status === 'sent' ? { sent_at: NOW } : {}),
            })
            .returning('id')
            .executeTakeFirstOrThrow(),
        );
        if (status === 'sent') {
          // As the SMTP adapter records it: the Message-ID derived from the idempotency key.
          await inTenant((s) => s.tx.updateTable('message').set({ provider: 'smtp', provider_message_id: messageIdFor(`${tenant.id}:${row.id}`) }).where('id', '=', row.id).execute());
        }
        return row.id;
      };
      const sentId = await message('sent');
      const post = async <T = BounceResult & ErrorBody>(body: unknown, options: { secret?: string; timestamp?: number; signature?: string | null; raw?: string; slug?: string } = {}) => {
        const raw = options.raw ?? JSON.stringify(body);
        const timestamp = String(options.timestamp ?? Math.floor(clock().getTime() / 1000));
        const signature = `v1=${createHmac('sha256', options.secret ?? SECRET).update(`${timestamp}.${raw}`).digest('hex')}`;
        const res = await app.inject({
          method: 'POST',
          url: `/api/webhooks/email/${options.slug ?? tenant.slug}/bounce`,
          headers: {
            'content-type': 'application/json',
            'x-rapport-timestamp': timestamp,
            ...(options.signature === null ? {} : { 'x-rapport-signature': options.signature ?? signature }),
          },
          payload: raw,
        });
        return { status: res.statusCode, body: JSON.parse(res.body) as T };
      };
      const messageRow = (id: string) => inTenant((s) => s.tx.selectFrom('message').select(['status', 'reason']).where('id', '=', id).executeTakeFirstOrThrow());
      const ledger = () => inTenant((s) => s.tx.selectFrom('consent_event').select(['channel', 'purpose', 'status', 'source', 'note']).orderBy('purpose').execute());
      const audit = () => inTenant((s) => s.tx.selectFrom('audit_event').select(['action', 'outcome', 'actor_type']).orderBy('occurred_at').execute());
      return { tenant, inTenant, patientId: patient.id, sentId, message, post, messageRow, ledger, audit };
    }

    test('unsigned, wrongly signed, stale, unconfigured and malformed reports are refused and change nothing', async () => {
      const t = await setUp();
      const report = { messageId: t.sentId, type: 'hard', reason: '550 5.1.1 mailbox unknown' };
      const refusals: Array<[{ status: number; body: ErrorBody }, number, RegExp]> = [
        [await t.post(report, { signature: null }), 401, /Signature is missing/],
        [await t.post(report, { secret: 'not-the-secret' }), 403, /does not match/],
        [await t.post(report, { signature: 'sha256=abc' }), 403, /v1=/],
        [await t.post(report, { timestamp: Math.floor(NOW.getTime() / 1000) - 3600 }), 403, /more than 300 s/],
        [await t.post(null, { raw: '{"messageId": ' }), 400, /not valid JSON/],
        [await t.post({ ...report, type: 'bouncy' }), 400, /type must be hard or soft/],
        [await t.post({ type: 'hard' }), 400, /messageId/],
        [await t.post({ ...report, extra: 1 }), 400, /extra/],
        [await t.post({ ...report, messageId: '00000000-0000-4000-8000-00000000000a' }), 404, /messageId/],
        [await t.post(report, { slug: 'no-such-clinic' }), 404, /Clinic/],
      ];
      for (const [res, status, message] of refusals) {
        assert.equal(res.status, status, JSON.stringify(res.body));
        assert.match(res.body.error.message, message);
      }
      assert.deepEqual(await t.messageRow(t.sentId), { status: 'sent', reason: null });
      assert.deepEqual(await t.ledger(), []);
      const denied = (await t.audit()).filter((a) => a.outcome === 'denied');
      assert.equal(denied.length, 4);
      assert.ok(denied.every((a) => a.action === 'webhook.email_bounce' && a.actor_type === 'public'));

      const unconfigured = await setUp({ secret: null });
      const res = await unconfigured.post({ messageId: unconfigured.sentId, type: 'hard' });
      assert.equal(res.status, 404);
      assert.match(res.body.error.message, /does not take bounce reports/);
      assert.deepEqual(await unconfigured.messageRow(unconfigured.sentId), { status: 'sent', reason: null });

      // Another clinic's message is not found through this clinic's webhook.
      const other = await setUp();
      assert.equal((await t.post({ messageId: other.sentId, type: 'hard' })).status, 404);
      assert.deepEqual(await other.messageRow(other.sentId), { status: 'sent', reason: null });
    });

    test('a soft bounce only records why; the message stays sent and consent is untouched', async () => {
      const t = await setUp();
      const res = await t.post({ messageId: t.sentId, type: 'soft', reason: '452 mailbox full' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { messageId: t.sentId, status: 'sent', consentWithdrawn: false });
      assert.deepEqual(await t.messageRow(t.sentId), { status: 'sent', reason: 'Soft bounce: 452 mailbox full' });
      assert.deepEqual(await t.ledger(), []);
    });

    test('a hard bounce, named by its Message-ID, fails the message and withdraws email for every purpose; waiting emails stop', async () => {
      const t = await setUp();
      const waiting = await t.message('scheduled');
      const sms = await t.message('scheduled', { channel: 'sms', to: '+14135550163' });
      const res = await t.post({ messageId: messageIdFor(`${t.tenant.id}:${t.sentId}`), type: 'hard', reason: '550 5.1.1 user unknown' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { messageId: t.sentId, status: 'failed', consentWithdrawn: true });
      assert.deepEqual(await t.messageRow(t.sentId), { status: 'failed', reason: 'Hard bounce: 550 5.1.1 user unknown' });
      assert.deepEqual(await t.messageRow(waiting), { status: 'not_sent', reason: 'email_bounced' });
      assert.deepEqual(await t.messageRow(sms), { status: 'scheduled', reason: null }, 'texts still go');
      const ledger = await t.ledger();
      assert.deepEqual(ledger.map((r) => [r.channel, r.purpose, r.status, r.source]), [...PURPOSES].sort().map((p) => ['email', p, 'withdrawn', 'bounce']));
      assert.match(ledger[0]!.note!, /tomasz\.w@example\.net bounced/);
      const actions = (await t.audit()).map((a) => a.action);
      assert.ok(actions.includes('message.failed') && actions.includes('consent.withdraw'));

      // The same report again (processors retry) adds nothing.
      const again = await t.post({ messageId: t.sentId, type: 'hard', reason: '550 5.1.1 user unknown' });
      assert.equal(again.status, 200);
      assert.equal(again.body.consentWithdrawn, false);
      assert.equal((await t.ledger()).length, PURPOSES.length);
    });

    test('a hard bounce of an address no longer on file fails the message but leaves consent alone', async () => {
      const t = await setUp();
      await t.inTenant((s) => s.tx.updateTable('patient').set({ email: 'tomasz.new@example.net' }).where('id', '=', t.patientId).execute());
      const res = await t.post({ messageId: t.sentId, type: 'hard' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { messageId: t.sentId, status: 'failed', consentWithdrawn: false });
      assert.deepEqual(await t.messageRow(t.sentId), { status: 'failed', reason: 'Hard bounce' });
      assert.deepEqual(await t.ledger(), []);
    });
  });
}
