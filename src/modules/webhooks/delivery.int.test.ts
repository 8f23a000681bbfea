import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import { registerPatient } from '../patients/service.ts';
import { emitMessageEvents, emitWebhookEvent } from './events.ts';
import type { DeliveryView, SubscriptionView } from './schema.ts';
import { startTestReceiver, type TestReceiver } from './test-receiver.ts';
import { verifySignature } from './signature.ts';
import { runWebhookPass, type WebhookWorkerOptions } from './worker.ts';

const NOW = new Date('2026-11-22T14:00:00Z');

for (const engine of engines()) {
  describe(`webhook delivery (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(NOW);
    const receivers: TestReceiver[] = [];
    // random 0.5 makes the jitter factor exactly 1: delays are 30 s, 2 min, 8 min ...
    const worker = (extra: Partial<WebhookWorkerOptions> = {}): WebhookWorkerOptions => ({
      db: database.db,
      clock,
      worker: 'test-worker',
      policy: { allowLoopback: true },
      timeoutMs: 400,
      random: () => 0.5,
      ...extra,
    });
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    // Tests that move the clock leave it anywhere; each starts at NOW.
    beforeEach(() => clock.set(NOW));
    after(async () => {
      for (const r of receivers) await r.close();
      await app.close();
      await database.dispose();
    });

    async function setUp(events: string[] = ['patient.created', 'patient.updated']) {
      const signedIn = await signedInTenant(app, database);
      // Tests move the clock by hours, past the session's idle limit: sign in again when it ends.
      let cookie = signedIn.cookie;
      const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
        const send = () => app.inject({ method, url, headers: { cookie }, ...(payload !== undefined ? { payload: payload as object } : {}) });
        let res = await send();
        if (res.statusCode === 401) {
          cookie = await signInCookie(app, signedIn.user.email, signedIn.user.password);
          res = await send();
        }
        return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : undefined) as T, raw: res };
      };
      const t = { ...signedIn, call };
      const receiver = await startTestReceiver({ nowSeconds: () => Math.floor(clock().getTime() / 1000) });
      receivers.push(receiver);
      const created = await t.call<{ subscription: SubscriptionView; secret: string }>('POST', '/api/settings/webhooks', { url: receiver.url, events, description: 'Test receiver' });
      assert.equal(created.status, 201, created.raw.body);
      receiver.secrets.push(created.body.secret);
      const subscription = created.body.subscription;
      const deliveries = async () => (await t.call<{ items: DeliveryView[] }>('GET', `/api/settings/webhooks/${subscription.id}/deliveries`)).body.items;
      const newPatient = (familyName = 'Okafor') => t.call<{ id: string; version: number }>('POST', '/api/patients', { givenName: 'Maya', familyName, birthDate: '1988-04-02' });
      return { ...t, receiver, subscription, secret: created.body.secret, deliveries, newPatient };
    }

    test('a new patient is delivered once, signed, with ids and no personal details', async () => {
      const t = await setUp();
      const patient = await t.newPatient();
      assert.equal(patient.status, 201);
      const [pending] = await t.deliveries();
      assert.equal(pending!.status, 'pending');

      const pass = await runWebhookPass(worker());
      assert.equal(pass.outcomes.delivered, 1);
      assert.equal(t.receiver.received.length, 1);
      const got = t.receiver.received[0]!;
      assert.equal(got.verified, true, 'the signature verifies with the secret shown at creation');
      assert.match(got.headers['rapport-signature'] as string, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(got.headers['rapport-timestamp'], String(Math.floor(NOW.getTime() / 1000)));
      assert.equal(got.headers['rapport-event-type'], 'patient.created');
      assert.equal(got.headers['rapport-event-id'], got.event.id);
      assert.equal(got.headers['content-type'], 'application/json');
      assert.deepEqual(
        { type: got.event.type, tenant: got.event.tenant.id, data: got.event.data },
        { type: 'patient.created', tenant: t.tenant.id, data: { patientId: patient.body.id, version: 1 } },
      );
      assert.ok(!got.body.includes('Okafor') && !got.body.includes('1988'), 'no name or birth date leaves Rapport');
      // A body altered in transit does not verify.
      assert.equal(verifySignature(t.secret, got.headers['rapport-signature'] as string, got.body.replace('patient', 'Patient'), Math.floor(NOW.getTime() / 1000)), false);

      const [done] = await t.deliveries();
      assert.equal(done!.status, 'delivered');
      assert.equal(done!.attemptLog.length, 1);
      assert.deepEqual([done!.attemptLog[0]!.outcome, done!.attemptLog[0]!.statusCode, done!.attemptLog[0]!.responseBody], ['delivered', 200, 'ok']);
      assert.equal((await runWebhookPass(worker())).deliveries, 0, 'nothing is sent twice');

      // An update names the fields that changed, not their values.
      const updated = await t.call('PATCH', `/api/patients/${patient.body.id}`, { preferredName: 'May' });
      assert.equal(updated.status, 200);
      await runWebhookPass(worker());
      assert.deepEqual(t.receiver.received[1]!.event.data, { patientId: patient.body.id, version: 2, changedFields: ['preferredName'] });
      assert.ok(!t.receiver.received[1]!.body.includes('May"'));
    });

    test('a receiver answering 500 is retried after the backoff, and every attempt is logged', async () => {
      const t = await setUp();
      t.receiver.answers.push(500, 503);
      await t.newPatient();
      assert.equal((await runWebhookPass(worker())).outcomes.retry, 1);
      let [d] = await t.deliveries();
      assert.equal(d!.status, 'pending');
      assert.equal(d!.dueAt, new Date(NOW.getTime() + 30_000).toISOString(), 'first retry after 30 s');
      assert.equal((await runWebhookPass(worker())).deliveries, 0, 'not due before the backoff');

      clock.advance(30_000);
      assert.equal((await runWebhookPass(worker())).outcomes.retry, 1);
      [d] = await t.deliveries();
      assert.equal(d!.dueAt, new Date(clock().getTime() + 120_000).toISOString(), 'second retry after 2 min');
      clock.advance(120_000);
      assert.equal((await runWebhookPass(worker())).outcomes.delivered, 1);

      [d] = await t.deliveries();
      assert.equal(d!.status, 'delivered');
      assert.deepEqual(
        d!.attemptLog.map((a) => [a.attempt, a.outcome, a.statusCode, a.error, a.responseBody]),
        [
          [1, 'retry', 500, 'HTTP 500', 'receiver says 500'],
          [2, 'retry', 503, 'HTTP 503', 'receiver says 503'],
          [3, 'delivered', 200, null, 'ok'],
        ],
      );
      assert.equal(new Set(t.receiver.received.map((r) => r.event.id)).size, 1, 'every attempt carries the same event id');
      assert.deepEqual(t.receiver.received.map((r) => r.headers['rapport-attempt']), ['1', '2', '3']);
      assert.ok(t.receiver.received.every((r) => r.verified), 'each attempt is signed afresh with its own timestamp');
    });

    test('a receiver that never answers is cut off at the timeout and the timeout is recorded', async () => {
      const t = await setUp();
      t.receiver.answers.push('hang');
      await t.newPatient();
      const started = Date.now();
      assert.equal((await runWebhookPass(worker({ timeoutMs: 300 }))).outcomes.retry, 1);
      assert.ok(Date.now() - started < 5000);
      const [d] = await t.deliveries();
      const [attempt] = d!.attemptLog;
      assert.equal(attempt!.statusCode, null);
      assert.equal(attempt!.error, 'timeout: no answer within 300 ms');
      assert.ok(attempt!.durationMs >= 250, `duration ${attempt!.durationMs}`);
      assert.equal(d!.lastError, 'timeout: no answer within 300 ms');
    });

    test('after the last attempt a delivery fails; a subscription that keeps failing is turned off and held', async () => {
      const t = await setUp();
      t.receiver.answers.push(...Array.from({ length: 8 }, () => 500));
      await t.newPatient();
      const options = worker({ disableAfterFailures: 1 });
      for (let i = 0; i < 8; i++) {
        await runWebhookPass(options);
        clock.advance(9 * 3600 * 1000);
      }
      const [d] = await t.deliveries();
      assert.equal(d!.status, 'failed');
      assert.equal(d!.attemptLog.length, 8);
      assert.equal(d!.attemptLog.at(-1)!.outcome, 'failed');
      const subscription = (await t.call<{ items: SubscriptionView[] }>('GET', '/api/settings/webhooks')).body.items[0]!;
      assert.deepEqual([subscription.enabled, subscription.disabledReason, subscription.consecutiveFailures], [false, 'failing', 1]);
      assert.ok((await t.audit()).some((a) => a.action === 'webhook.disable'));

      // Turned off: new changes make no events for it.
      await t.newPatient('Other');
      assert.equal((await t.deliveries()).length, 1);

      // Redelivered while off, it waits; turned on again, it goes.
      assert.equal((await t.call('POST', `/api/settings/webhooks/deliveries/${d!.id}/redeliver`)).status, 200);
      assert.equal((await runWebhookPass(options)).deliveries, 0);
      const on = await t.call<SubscriptionView>('PATCH', `/api/settings/webhooks/${t.subscription.id}`, { enabled: true });
      assert.deepEqual([on.body.enabled, on.body.disabledReason, on.body.consecutiveFailures], [true, null, 0]);
      assert.equal((await runWebhookPass(options)).outcomes.delivered, 1);
      const [again] = await t.deliveries();
      assert.equal(again!.status, 'delivered');
      assert.equal(again!.attemptLog.length, 9, 'the log keeps the earlier attempts');
    });

    test('tenant A’s events never reach tenant B’s subscriptions, and B cannot see A’s log', async () => {
      const a = await setUp();
      const b = await setUp();
      await a.newPatient();
      await runWebhookPass(worker());
      assert.equal(a.receiver.received.length, 1);
      assert.equal(b.receiver.received.length, 0);
      assert.equal((await b.deliveries()).length, 0);
      assert.equal(a.receiver.received[0]!.event.tenant.id, a.tenant.id);

      const [delivery] = await a.deliveries();
      assert.equal((await b.call<ErrorBody>('GET', `/api/settings/webhooks/${a.subscription.id}/deliveries`)).status, 404);
      assert.equal((await b.call<ErrorBody>('GET', `/api/settings/webhooks/deliveries/${delivery!.id}`)).status, 404);
      assert.equal((await b.call<ErrorBody>('POST', `/api/settings/webhooks/deliveries/${delivery!.id}/redeliver`)).status, 404);
      assert.equal((await b.call<ErrorBody>('PATCH', `/api/settings/webhooks/${a.subscription.id}`, { enabled: false })).status, 404);
      assert.equal((await b.call<ErrorBody>('DELETE', `/api/settings/webhooks/${a.subscription.id}`)).status, 404);
      assert.equal((await a.call<{ items: SubscriptionView[] }>('GET', '/api/settings/webhooks')).body.items[0]!.enabled, true);
    });

    test('an event exists only when its change commits', async () => {
      const t = await setUp();
      await assert.rejects(
        withTenant(database.db, t.system, async (scope) => {
          await registerPatient(scope, { givenName: 'Rolled', familyName: 'Back' }, { now: clock() });
          throw new Error('the caller fails after the write');
        }),
        /the caller fails/,
      );
      await assert.rejects(
        withTenant(database.db, t.system, async (scope) => {
          assert.equal(await emitWebhookEvent(scope, { type: 'patient.created', data: { patientId: '00000000-0000-4000-8000-000000000001', version: 1 }, occurredAt: clock() }), 1);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      // A refused write (a bad birth date) makes no event either.
      assert.equal((await t.call('POST', '/api/patients', { givenName: 'Bad', familyName: 'Date', birthDate: '1988-02-30' })).status, 400);
      assert.equal((await t.deliveries()).length, 0);
      assert.equal((await runWebhookPass(worker())).deliveries, 0);
      assert.equal(t.receiver.received.length, 0);
    });

    test('appointments: booked, status changes and cancellation become events with ids and times only', async () => {
      const t = await setUp(['appointment.booked', 'appointment.cancelled', 'appointment.status_changed']);
      const clinic = await createClinic(database, t.tenant.id);
      const booked = await t.call<{ id: string }>('POST', '/api/appointments', {
        patientId: clinic.patientIds[0],
        serviceId: clinic.serviceId,
        practitionerId: clinic.practitionerIds[0],
        locationId: clinic.locationId,
        startsAt: '2026-11-23T15:00:00Z',
      });
      assert.equal(booked.status, 201, booked.raw.body);
      assert.equal((await t.call('POST', `/api/appointments/${booked.body.id}/confirm`)).status, 200);
      assert.equal((await t.call('POST', `/api/appointments/${booked.body.id}/cancel`, { reason: 'Feeling unwell with a private detail' })).status, 200);
      await runWebhookPass(worker());
      const events = t.receiver.received.map((r) => r.event);
      assert.deepEqual(events.map((e) => [e.type, e.data.action, e.data.status]).sort(), [
        ['appointment.booked', 'booked', 'booked'],
        ['appointment.cancelled', 'cancelled', 'cancelled'],
        ['appointment.status_changed', 'confirmed', 'booked'],
      ].sort());
      const bookedEvent = events.find((e) => e.type === 'appointment.booked')!;
      assert.deepEqual(bookedEvent.data, {
        appointmentId: booked.body.id,
        patientId: clinic.patientIds[0],
        action: 'booked',
        status: 'booked',
        startsAt: '2026-11-23T15:00:00.000Z',
        endsAt: '2026-11-23T15:30:00.000Z',
        previousStartsAt: null,
        practitionerId: clinic.practitionerIds[0],
        locationId: clinic.locationId,
        serviceId: clinic.serviceId,
        via: 'staff',
      });
      assert.ok(t.receiver.received.every((r) => r.verified && !r.body.includes('private detail')), 'the cancellation reason stays in Rapport');
    });

    test('message outcomes (as the messaging module reports them) become events; the provider text stays in Rapport', async () => {
      const t = await setUp(['message.failed', 'message.not_sent', 'message.delivered']);
      const id = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
      const written = await withTenant(database.db, t.system, (scope) =>
        emitMessageEvents(
          scope,
          [
            { id: id(1), patientId: id(9), channel: 'sms', purpose: 'care', status: 'failed', reason: 'twilio: +14135550123 is not a mobile number' },
            { id: id(2), patientId: id(9), channel: 'email', purpose: 'care', status: 'not_sent', reason: 'consent_withdrawn' },
            { id: id(3), patientId: null, channel: 'sms', purpose: 'care', status: 'sent', reason: null },
            { id: id(4), patientId: id(9), channel: 'sms', purpose: 'care', status: 'sandboxed', reason: null },
            { id: id(5), patientId: id(9), channel: 'sms', purpose: 'billing', status: 'delivered', reason: null },
          ],
          clock(),
        ),
      );
      assert.equal(written, 3, 'message.sent is not subscribed to, and sandboxed is no event');
      await runWebhookPass(worker());
      const byType = new Map(t.receiver.received.map((r) => [r.event.type, r]));
      assert.deepEqual(byType.get('message.failed')!.event.data, { messageId: id(1), patientId: id(9), channel: 'sms', purpose: 'care', status: 'failed', reason: null });
      assert.equal(byType.get('message.not_sent')!.event.data.reason, 'consent_withdrawn');
      assert.equal(byType.get('message.delivered')!.event.data.purpose, 'billing');
      assert.ok(t.receiver.received.every((r) => r.verified && !r.body.includes('555')));
      assert.equal(new Set(t.receiver.received.map((r) => r.event.id)).size, 3, 'one event id per message outcome');
    });

    test('test events, redelivery and secret rotation', async () => {
      const t = await setUp();
      const sent = await t.call<DeliveryView>('POST', `/api/settings/webhooks/${t.subscription.id}/test`);
      assert.equal(sent.status, 202);
      assert.deepEqual([sent.body.eventType, sent.body.status], ['webhook.test', 'pending']);
      await runWebhookPass(worker());
      assert.equal(t.receiver.received[0]!.event.type, 'webhook.test');
      assert.equal(t.receiver.received[0]!.verified, true);

      // Redelivered: the same event id and body, a new attempt in the log.
      const again = await t.call<DeliveryView>('POST', `/api/settings/webhooks/deliveries/${sent.body.id}/redeliver`);
      assert.deepEqual([again.status, again.body.status, again.body.attempts], [200, 'pending', 0]);
      assert.equal((await t.call<ErrorBody>('POST', `/api/settings/webhooks/deliveries/${sent.body.id}/redeliver`)).body.error.code, 'not_redeliverable');
      await runWebhookPass(worker());
      assert.equal(t.receiver.received[1]!.body, t.receiver.received[0]!.body);
      const [logged] = await t.deliveries();
      assert.deepEqual(logged!.attemptLog.map((a) => a.attempt), [1, 2]);

      // Rotated: for a day both secrets sign, so a receiver still on the old one keeps working.
      const rotated = await t.call<{ secret: string; subscription: SubscriptionView }>('POST', `/api/settings/webhooks/${t.subscription.id}/rotate-secret`);
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.secret, t.secret);
      await t.newPatient();
      await runWebhookPass(worker());
      const signed = t.receiver.received[2]!;
      const header = signed.headers['rapport-signature'] as string;
      assert.equal(header.split(',').length, 3);
      const at = Math.floor(clock().getTime() / 1000);
      assert.ok(verifySignature(rotated.body.secret, header, signed.body, at));
      assert.ok(verifySignature(t.secret, header, signed.body, at));

      clock.advance(25 * 3600 * 1000);
      await t.newPatient('Later');
      await runWebhookPass(worker());
      const later = t.receiver.received[3]!;
      const laterAt = Math.floor(clock().getTime() / 1000);
      assert.ok(verifySignature(rotated.body.secret, later.headers['rapport-signature'] as string, later.body, laterAt));
      assert.equal(verifySignature(t.secret, later.headers['rapport-signature'] as string, later.body, laterAt), false, 'the old secret stops signing after a day');
    });
  });
}
