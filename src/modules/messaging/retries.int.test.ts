import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { startFakeSmsProvider, type FakeSmsProvider } from '../../../test/helpers/fake-sms-provider.ts';
import { drainOutbox, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AdapterRegistry } from './adapters.ts';
import { applyDeliveryReport, retryDelaySeconds } from './dispatch.ts';
import type { MessageDetail, MessageView } from './schema.ts';

/**
 * Retries through the worker against a provider that speaks HTTP (the fake Twilio): a transient
 * refusal backs off and goes on a later pass, repeated ones end failed; a staff retry is a new
 * request to the provider (a new idempotency key), while a claim taken over after a worker died
 * repeats the old one (the same key, which the provider deduplicates).
 */

// Sunday 22 November 2026, 09:00 in New York: hours before quiet hours there.
const NOW = new Date('2026-11-22T14:00:00Z');
const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'twilio-secret-token-0123456789';
const SECRET = 'webhook-shared-secret-0123456789';
const LEASE_SECONDS = 60;

for (const engine of engines()) {
  describe(`outbox retries (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let fake: FakeSmsProvider;
    const clock = manualClock(NOW);
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
      fake = await startFakeSmsProvider({ accountSid: SID, authToken: TOKEN, webhookSecret: SECRET, clock });
    });
    after(async () => {
      await fake.close();
      await app.close();
      await database.dispose();
    });

    /** A clinic texting through the fake Twilio, a patient with a mobile, and calls that sign in again as the clock runs on. */
    async function setUp() {
      clock.set(NOW);
      const t = await signedInTenant(app, database, 'admin');
      let cookie = t.cookie;
      const call = async <T,>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
        const send = () => app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
        let res = await send();
        if (res.statusCode === 401) {
          cookie = await signInCookie(app, t.user.email, t.user.password);
          res = await send();
        }
        return { status: res.statusCode, body: json<T>(res) };
      };
      const saved = await call('PATCH', '/api/settings/messaging', { smsProvider: 'twilio', twilioAccountSid: SID, twilioAuthToken: TOKEN, twilioBaseUrl: fake.baseUrl, smsFrom: '+14135550100' });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      const patientId = await withTenant(database.db, t.system, async (s) =>
        (await s.tx.insertInto('patient').values({ tenant_id: t.tenant.id, given_name: 'Rory', family_name: 'Retry', birth_date: '1980-02-03', phone: '+14135550161', time_zone: 'America/New_York' }).returning('id').executeTakeFirstOrThrow()).id,
      );
      const text = async (body: string) => {
        const res = await call<MessageView>('POST', `/api/patients/${patientId}/messages`, { channel: 'sms', body });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        return res.body.id;
      };
      const detail = async (id: string) => (await call<MessageDetail>('GET', `/api/messages/${id}`)).body;
      const dueAt = async (id: string) => new Date((await detail(id)).dueAt);
      /** The idempotency key of each request the provider received for a message's text, in order. */
      const keysSeen = (body: string) => fake.attempts.filter((a) => new URLSearchParams(a.body).get('Body')?.includes(body)).map((a) => String(a.headers['i-twilio-idempotency-token']));
      /** The texts the provider accepted (once each, however often it was asked) with that text. */
      const delivered = (body: string) => [...fake.deliveries.values()].filter((d) => d.body.includes(body));
      return { ...t, call, text, detail, dueAt, keysSeen, delivered };
    }

    test('a 503 backs the message off by the retry delay; the next pass at that time sends it, with the same key', async () => {
      const t = await setUp();
      const options = outboxOptions(database.db, clock);
      const id = await t.text('Back-off check one.');
      fake.failNext(1, 503);
      await drainOutbox(options);
      let m = await t.detail(id);
      assert.deepEqual([m.status, m.dueAt], ['scheduled', new Date(NOW.getTime() + retryDelaySeconds(1) * 1000).toISOString()]);
      assert.deepEqual(m.attemptLog.map((a) => a.outcome), ['retry']);

      clock.advance(retryDelaySeconds(1) * 1000 - 1000);
      await drainOutbox(options);
      assert.equal((await t.detail(id)).status, 'scheduled', 'not due a second early');
      clock.advance(1000);
      await drainOutbox(options);
      m = await t.detail(id);
      assert.deepEqual([m.status, m.provider, m.sentAt], ['sent', 'twilio', clock().toISOString()]);
      assert.deepEqual(m.attemptLog.map((a) => [a.attempt, a.outcome]), [[1, 'retry'], [2, 'sent']]);
      const keys = t.keysSeen('Back-off check one.');
      assert.deepEqual(keys, [`${t.tenant.id}:${id}`, `${t.tenant.id}:${id}`]);

      // A Retry-After longer than the outbox's own delay is honoured.
      const later = await t.text('Back-off check two.');
      fake.failNext(1, 429, '300');
      await drainOutbox(options);
      assert.equal((await t.dueAt(later)).getTime(), clock().getTime() + 300_000);
      clock.advance(300_000);
      await drainOutbox(options);
      assert.equal((await t.detail(later)).status, 'sent');
    });

    test('a provider that keeps failing: backed off 30 s, 2, 8, 32 and 128 min, then failed after six attempts, each recorded', async () => {
      const t = await setUp();
      const options = outboxOptions(database.db, clock);
      const id = await t.text('Persistent trouble.');
      fake.failNext(6, 503);
      const delays: number[] = [];
      await drainOutbox(options);
      for (;;) {
        const m = await t.detail(id);
        if (m.status !== 'scheduled') break;
        const due = new Date(m.dueAt).getTime();
        delays.push((due - clock().getTime()) / 1000);
        clock.set(new Date(due));
        await drainOutbox(options);
      }
      assert.deepEqual(delays, [1, 2, 3, 4, 5].map(retryDelaySeconds));
      assert.deepEqual(delays, [30, 120, 480, 1920, 7680]);
      const m = await t.detail(id);
      assert.equal(m.status, 'failed');
      assert.equal(m.reason, 'gave up after 6 attempts: Twilio: HTTP 503');
      assert.equal(m.reasonText, m.reason);
      assert.deepEqual(m.attemptLog.map((a) => [a.attempt, a.outcome]), [[1, 'retry'], [2, 'retry'], [3, 'retry'], [4, 'retry'], [5, 'retry'], [6, 'failed']]);
      assert.ok(m.attemptLog.every((a) => a.provider === 'twilio' && /failing on purpose|internal server error/.test(a.detail ?? '')), JSON.stringify(m.attemptLog));
      assert.deepEqual(t.delivered('Persistent trouble.'), []);
      const keys = t.keysSeen('Persistent trouble.');
      assert.equal(keys.length, 6);
      assert.deepEqual(new Set(keys), new Set([`${t.tenant.id}:${id}`]), 'one key for every attempt of one generation');
      assert.equal(m.retryable, true);
    });

    test('a staff retry gets a new idempotency key; a claim taken over after a worker died keeps the one it had', async () => {
      const t = await setUp();
      const id = await t.text('Your repeat prescription is ready.');
      const first = `${t.tenant.id}:${id}`;
      fake.failNext(1, 400);
      await drainOutbox(outboxOptions(database.db, clock));
      assert.equal((await t.detail(id)).status, 'failed');

      const retried = await t.call<MessageDetail>('POST', `/api/messages/${id}/retry`);
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      // This worker dies the moment the provider has taken the message, before recording it.
      const dying = dyingWorker(outboxOptions(database.db, clock).adapters, clock);
      const died = await drainOutbox({ ...outboxOptions(database.db, dying.clock, { adapters: dying.adapters }), leaseSeconds: LEASE_SECONDS });
      assert.deepEqual(died.outcomes, { error: 1 });
      assert.equal((await t.detail(id)).status, 'sending');
      assert.equal(t.delivered('Your repeat prescription is ready.').length, 1);

      // Its lease runs out; another worker takes the claim over and sends again, with the same key.
      clock.advance((LEASE_SECONDS + 1) * 1000);
      await drainOutbox(outboxOptions(database.db, clock, { worker: 'second-worker' }));
      const sent = await t.detail(id);
      const keys = t.keysSeen('Your repeat prescription is ready.');
      assert.deepEqual(keys, [first, `${first}:retry-1`, `${first}:retry-1`]);
      assert.equal(t.delivered('Your repeat prescription is ready.').length, 1, 'the provider took the repeat for what it was');
      const delivery = fake.deliveries.get(`${first}:retry-1`)!;
      assert.deepEqual([sent.status, sent.provider, sent.attemptLog.map((a) => a.outcome)], ['sent', 'twilio', ['failed', 'sent']]);
      assert.equal((await messageRow(id)).provider_message_id, delivery.id);

      // Failed later, by the provider's report; a second retry is a third generation.
      await withTenant(database.db, t.system, (scope) => applyDeliveryReport(scope, { provider: 'twilio', providerMessageId: delivery.id, status: 'failed', reason: 'Twilio 30003: Unreachable destination handset' }, clock()));
      assert.equal((await t.call('POST', `/api/messages/${id}/retry`)).status, 200);
      await drainOutbox(outboxOptions(database.db, clock));
      assert.deepEqual(t.keysSeen('Your repeat prescription is ready.').slice(3), [`${first}:retry-2`]);
      assert.equal(t.delivered('Your repeat prescription is ready.').length, 2);
      assert.equal((await t.detail(id)).status, 'sent');

      async function messageRow(messageId: string) {
        return withTenant(database.db, t.system, (scope) => scope.tx.selectFrom('message').select('provider_message_id').where('id', '=', messageId).executeTakeFirstOrThrow());
      }
    });
  });
}

/**
 * A worker that dies right after a provider accepted a message: its clock, read next to note when
 * the send finished, throws, so the batch's transaction rolls back with the claim still leased.
 */
function dyingWorker(adapters: AdapterRegistry, clock: () => Date): { adapters: AdapterRegistry; clock: () => Date } {
  let dead = false;
  return {
    clock: () => {
      if (dead) throw new Error('the worker died');
      return clock();
    },
    adapters: {
      adapterFor(tenantId, channel, settings) {
        const adapter = adapters.adapterFor(tenantId, channel, settings);
        return {
          provider: adapter.provider,
          async send(message) {
            const result = await adapter.send(message);
            dead = true;
            return result;
          },
        };
      },
      close: () => adapters.close(),
    },
  };
}
