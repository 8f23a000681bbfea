import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import { mergePatients } from '../duplicates/merge.ts';
import type { DeliveryView, SubscriptionView } from './schema.ts';
import { startTestReceiver } from './test-receiver.ts';
import { startWebhookWorker } from './worker.ts';

const NOW = new Date('2026-11-22T14:00:00Z');
type Created = { subscription: SubscriptionView; secret: string };

for (const engine of engines()) {
  describe(`webhook settings API (${engine})`, () => {
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

    const paths = (body: ErrorBody) => (body.error.fields ?? []).map((f) => f.path);
    const stored = (tenantId: string) =>
      withTenant(database.db, { tenantId, actor: { type: 'system', id: null } }, (s) => s.tx.selectFrom('webhook_subscription').selectAll().execute());

    test('an admin subscribes; the secret is shown once and never again', async () => {
      const t = await signedInTenant(app, database);
      const created = await t.call<Created>('POST', '/api/settings/webhooks', {
        url: 'https://hooks.example.org/rapport?token=abc',
        events: ['patient.created', 'appointment.booked'],
        description: 'Practice analytics',
      });
      assert.equal(created.status, 201);
      assert.match(created.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      const s = created.body.subscription;
      assert.deepEqual(
        [s.url, s.events, s.description, s.enabled, s.disabledReason, s.consecutiveFailures, s.secretHint],
        ['https://hooks.example.org/rapport?token=abc', ['patient.created', 'appointment.booked'], 'Practice analytics', true, null, 0, `…${created.body.secret.slice(-4)}`],
      );

      const list = await t.call<{ items: SubscriptionView[]; eventTypes: string[] }>('GET', '/api/settings/webhooks');
      assert.equal(list.status, 200);
      assert.equal(list.body.items.length, 1);
      assert.ok(list.body.eventTypes.includes('message.not_sent'));
      assert.ok(!list.raw.body.includes(created.body.secret), 'the list never carries the secret');
      const patched = await t.call<SubscriptionView>('PATCH', `/api/settings/webhooks/${s.id}`, { description: 'Renamed', events: ['patient.updated'] });
      assert.equal(patched.status, 200);
      assert.ok(!patched.raw.body.includes(created.body.secret));
      assert.deepEqual([patched.body.description, patched.body.events], ['Renamed', ['patient.updated']]);

      // Turned off by staff, and on again.
      const off = await t.call<SubscriptionView>('PATCH', `/api/settings/webhooks/${s.id}`, { enabled: false });
      assert.deepEqual([off.body.enabled, off.body.disabledReason], [false, 'staff']);
      assert.equal((await t.call<ErrorBody>('POST', `/api/settings/webhooks/${s.id}/test`)).body.error.code, 'subscription_disabled');
      const on = await t.call<SubscriptionView>('PATCH', `/api/settings/webhooks/${s.id}`, { enabled: true });
      assert.deepEqual([on.body.enabled, on.body.disabledReason], [true, null]);

      const rotated = await t.call<Created>('POST', `/api/settings/webhooks/${s.id}/rotate-secret`);
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.secret, created.body.secret);
      assert.equal(rotated.body.subscription.previousSecretExpiresAt, new Date(NOW.getTime() + 24 * 3600_000).toISOString());

      const actions = (await t.audit()).map((a) => a.action);
      for (const action of ['webhook.create', 'webhook.update', 'webhook.rotate_secret']) assert.ok(actions.includes(action), action);

      assert.equal((await t.call('DELETE', `/api/settings/webhooks/${s.id}`)).status, 204);
      assert.equal((await t.call<ErrorBody>('DELETE', `/api/settings/webhooks/${s.id}`)).status, 404);
      assert.equal((await stored(t.tenant.id)).length, 0);
    });

    test('bad input is refused naming the problem, and nothing is stored', async () => {
      const t = await signedInTenant(app, database);
      const refuse = async (body: Record<string, unknown>, path: string, message: RegExp) => {
        const res = await t.call<ErrorBody>('POST', '/api/settings/webhooks', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(paths(res.body), [path], res.raw.body);
        assert.match(res.body.error.message, message);
      };
      const events = ['patient.created'];
      await refuse({ url: 'not a url', events }, 'url', /absolute URL/);
      await refuse({ url: 'http://hooks.example.org/x', events }, 'url', /https/);
      await refuse({ url: 'ftp://hooks.example.org/x', events }, 'url', /https/);
      await refuse({ url: 'https://10.1.2.3/hook', events }, 'url', /private network/);
      await refuse({ url: 'https://169.254.169.254/latest/meta-data', events }, 'url', /private network/);
      await refuse({ url: 'https://[fd00::1]/hook', events }, 'url', /private network/);
      await refuse({ url: 'https://192.168.1.20/hook', events }, 'url', /private network/);
      await refuse({ url: 'https://user:pw@hooks.example.org/x', events }, 'url', /user name or password/);
      await refuse({ url: 'https://hooks.example.org/x#part', events }, 'url', /fragment/);
      await refuse({ url: 'https://hooks.example.org/x', events: ['patient.deleted'] }, 'events.0', /must be one of patient\.created/);
      await refuse({ url: 'https://hooks.example.org/x', events: [] }, 'events', /at least one event/);
      await refuse({ url: 'https://hooks.example.org/x', events: ['patient.created', 'patient.created'] }, 'events', /twice/);
      await refuse({ url: 'https://hooks.example.org/x', events, secret: 'mine' }, 'secret', /.+/);
      await refuse({ events }, 'url', /.+/);
      assert.equal((await stored(t.tenant.id)).length, 0);

      // A bad change leaves the subscription as it was.
      const created = await t.call<Created>('POST', '/api/settings/webhooks', { url: 'https://hooks.example.org/ok', events });
      const bad = await t.call<ErrorBody>('PATCH', `/api/settings/webhooks/${created.body.subscription.id}`, { url: 'http://hooks.example.org/plain', events: ['appointment.booked'] });
      assert.equal(bad.status, 400);
      assert.deepEqual(paths(bad.body), ['url']);
      const [row] = await stored(t.tenant.id);
      assert.deepEqual([row!.url, row!.events], ['https://hooks.example.org/ok', ['patient.created']]);
      assert.equal((await t.call<ErrorBody>('PATCH', '/api/settings/webhooks/not-an-id', { enabled: false })).status, 400);
      assert.equal((await t.call<ErrorBody>('GET', `/api/settings/webhooks/${created.body.subscription.id}/deliveries?cursor=bogus`)).status, 400);
    });

    test('only admins may see or change webhooks', async () => {
      for (const role of ['front_desk', 'clinician', 'marketing'] as const) {
        const t = await signedInTenant(app, database, role);
        const create = await t.call<ErrorBody>('POST', '/api/settings/webhooks', { url: 'https://hooks.example.org/x', events: ['patient.created'] });
        assert.equal(create.status, 403, role);
        assert.equal(create.body.error.code, 'forbidden');
        assert.equal((await t.call('GET', '/api/settings/webhooks')).status, 403);
        assert.equal((await stored(t.tenant.id)).length, 0);
      }
      assert.equal((await app.inject({ method: 'GET', url: '/api/settings/webhooks' })).statusCode, 401);
    });

    test('localhost is refused on a server with an https public URL', async () => {
      const production = await buildTestApp(database, { clock, config: { publicUrl: 'https://rapport.example.org', cookieSecure: true } });
      try {
        const t = await signedInTenant(production, database);
        for (const url of ['http://127.0.0.1:9000/hook', 'https://localhost/hook', 'https://[::1]/hook']) {
          const res = await t.call<ErrorBody>('POST', '/api/settings/webhooks', { url, events: ['patient.created'] });
          assert.equal(res.status, 400, url);
          assert.match(res.body.error.message, /development server/);
        }
      } finally {
        await production.close();
      }
      // On a development server (no https public URL) a loopback receiver is fine.
      const dev = await signedInTenant(app, database);
      assert.equal((await dev.call('POST', '/api/settings/webhooks', { url: 'http://localhost:9000/hook', events: ['patient.created'] })).status, 201);
    });

    test('a merge is an event naming both records', async () => {
      const t = await signedInTenant(app, database);
      const created = await t.call<Created>('POST', '/api/settings/webhooks', { url: 'https://hooks.example.org/merge', events: ['patient.merged'] });
      const a = await t.call<{ id: string }>('POST', '/api/patients', { givenName: 'Ana', familyName: 'Lima', birthDate: '1970-05-05' });
      const b = await t.call<{ id: string }>('POST', '/api/patients', { givenName: 'Ana', familyName: 'Lima', birthDate: '1970-05-05', confirmNotDuplicate: true });
      const merge = await withTenant(database.db, t.system, (scope) => mergePatients(scope, { survivorId: a.body.id, mergedId: b.body.id, choices: {} }));
      const log = await t.call<{ items: DeliveryView[] }>('GET', `/api/settings/webhooks/${created.body.subscription.id}/deliveries`);
      assert.equal(log.body.items.length, 1, 'patient.created is not subscribed to');
      const event = JSON.parse(log.body.items[0]!.body) as { type: string; data: unknown };
      assert.deepEqual(event, { ...event, type: 'patient.merged', data: { mergeId: merge.id, survivorId: a.body.id, mergedId: b.body.id } });
    });

    test('the running worker is woken by NOTIFY when an event is written', async () => {
      const t = await signedInTenant(app, database);
      const receiver = await startTestReceiver({ nowSeconds: () => Math.floor(clock().getTime() / 1000) });
      const worker = await startWebhookWorker(database, { db: database.db, clock, worker: 'listening-worker', policy: { allowLoopback: true }, idleMs: 60_000, timeoutMs: 2000 });
      try {
        const created = await t.call<Created>('POST', '/api/settings/webhooks', { url: receiver.url, events: ['patient.created'] });
        receiver.secrets.push(created.body.secret);
        // Let the first pass finish and the worker fall asleep for the idle minute.
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal((await t.call('POST', '/api/patients', { givenName: 'Woken', familyName: 'Up' })).status, 201);
        const deadline = Date.now() + 5000;
        while (!receiver.received.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
        assert.equal(receiver.received.length, 1, 'delivered well before the idle poll');
        assert.equal(receiver.received[0]!.verified, true);
      } finally {
        await worker.stop();
        await receiver.close();
      }
    });
  });
}
