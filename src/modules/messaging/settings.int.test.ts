import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { startFakeSmsProvider } from '../../../test/helpers/fake-sms-provider.ts';
import { drainOutbox, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { MessageDetail, MessageView, SettingsView } from './schema.ts';

const NOW = new Date('2026-11-22T14:00:00Z');
const SID = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'twilio-secret-token-0123456789';
const SECRET = 'webhook-shared-secret-0123456789';

for (const engine of engines()) {
  describe(`communication settings (${engine})`, () => {
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

    const patch = (t: Awaited<ReturnType<typeof signedInTenant>>, body: Record<string, unknown>) => t.call<SettingsView & ErrorBody>('PATCH', '/api/settings/messaging', body);
    const paths = (body: ErrorBody) => (body.error.fields ?? []).map((f) => f.path);

    test('a clinic that saved nothing has the defaults and a sandbox for email and SMS', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const res = await t.call<SettingsView>('GET', '/api/settings/messaging');
      assert.equal(res.status, 200);
      assert.deepEqual(
        [res.body.smsProvider, res.body.twilioAuthTokenSet, res.body.webhookSecretSet, res.body.quietHoursStart, res.body.quietHoursEnd, res.body.smtpConfigured, res.body.updatedAt],
        ['none', false, false, '21:00', '08:00', false, null],
      );
      assert.deepEqual(res.body.delivery, { email: 'sandbox', sms: 'sandbox', inApp: 'in_app' });
      assert.deepEqual(res.body.frequencyCaps.marketing, { count: 2, days: 30 });
      // Front desk may read the settings but not change them.
      const refused = await patch(t, { emailFromName: 'Front desk' });
      assert.equal(refused.status, 403);
      assert.ok((await t.audit()).some((a) => a.action === 'access.denied'));

      const withSmtp = await buildTestApp(database, { clock, config: { smtpUrl: 'smtp://127.0.0.1:2525' } });
      try {
        const res2 = await withSmtp.inject({ method: 'GET', url: '/api/settings/messaging', headers: { cookie: t.cookie } });
        const body = JSON.parse(res2.body) as SettingsView;
        assert.equal(body.smtpConfigured, true);
        assert.equal(body.delivery.email, 'smtp');
      } finally {
        await withSmtp.close();
      }
    });

    test('every problem is refused naming its field, and nothing of a refused change is stored', async () => {
      const t = await signedInTenant(app, database, 'admin');
      const cases: Array<[Record<string, unknown>, string[]]> = [
        [{ smsProvider: 'twilio' }, ['twilioAccountSid', 'twilioAuthToken', 'smsFrom']],
        [{ smsProvider: 'twilio', twilioAccountSid: 'AB123', twilioAuthToken: TOKEN, smsFrom: '+14135550100' }, ['twilioAccountSid']],
        [{ smsProvider: 'twilio', twilioAccountSid: SID, twilioAuthToken: TOKEN, smsFrom: 'Clinic' }, ['smsFrom']],
        [{ smsProvider: 'twilio', twilioAccountSid: SID, twilioAuthToken: 'short', smsFrom: '+14135550100' }, ['twilioAuthToken']],
        [{ twilioBaseUrl: 'ftp://twilio.example.net' }, ['twilioBaseUrl']],
        [{ smsProvider: 'webhook', webhookUrl: 'https://sms.example.net/send' }, ['webhookSecret']],
        [{ smsProvider: 'webhook', webhookSecret: SECRET }, ['webhookUrl']],
        [{ webhookUrl: 'not a url', webhookSecret: SECRET }, ['webhookUrl']],
        [{ webhookSecret: 'too-short' }, ['webhookSecret']],
        [{ smsProvider: 'carrier-pigeon' }, ['smsProvider']],
        [{ emailFromAddress: 'clinic.example.org' }, ['emailFromAddress']],
        [{ emailReplyTo: 'reply@' }, ['emailReplyTo']],
        [{ emailFromName: 'The "Best" Clinic' }, ['emailFromName']],
        [{ quietHoursStart: '25:00' }, ['quietHoursStart']],
        [{ quietHoursEnd: '8am' }, ['quietHoursEnd']],
        [{ frequencyCaps: { marketing: { count: 2, days: 0 } } }, ['frequencyCaps.marketing.days']],
        [{ frequencyCaps: { spam: { count: 2, days: 1 } } }, ['frequencyCaps.spam']],
        [{ helpText: 'x'.repeat(321) }, ['helpText']],
        [{ colour: 'blue' }, ['colour']],
      ];
      for (const [body, expected] of cases) {
        const res = await patch(t, { emailFromName: 'Lakeside Clinic', ...body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(paths(res.body), expected, JSON.stringify(res.body));
      }
      const after = await t.call<SettingsView>('GET', '/api/settings/messaging');
      assert.equal(after.body.emailFromName, null);
      assert.equal(after.body.updatedAt, null);
    });

    test('secrets are write-only, a partial change keeps the rest, and the provider is used from the next message on', async () => {
      const t = await signedInTenant(app, database, 'admin');
      const fake = await startFakeSmsProvider({ accountSid: SID, authToken: TOKEN, webhookSecret: SECRET, clock });
      const options = outboxOptions(database.db, clock);
      try {
        const saved = await patch(t, {
          emailFromName: 'Lakeside Clinic',
          emailFromAddress: 'hello@lakeside.example.org',
          smsProvider: 'twilio',
          twilioAccountSid: SID,
          twilioAuthToken: TOKEN,
          twilioBaseUrl: fake.baseUrl,
          smsFrom: '+14135550100',
          quietHoursStart: '22:00',
          helpText: 'Call us on 413-555-0100.',
        });
        assert.equal(saved.status, 200, saved.raw.body);
        assert.ok(!saved.raw.body.includes(TOKEN), 'the token is never sent back');
        assert.deepEqual([saved.body.twilioAuthTokenSet, saved.body.delivery.sms, saved.body.quietHoursStart, saved.body.quietHoursEnd], [true, 'twilio', '22:00', '08:00']);
        const first = saved.body.updatedAt!;

        // Only the sender's name changes; the token stays set, and the save is strictly later.
        const renamed = await patch(t, { emailFromName: 'Lakeside Family Clinic' });
        assert.deepEqual([renamed.body.emailFromName, renamed.body.emailFromAddress, renamed.body.twilioAuthTokenSet], ['Lakeside Family Clinic', 'hello@lakeside.example.org', true]);
        assert.ok(renamed.body.updatedAt! > first);
        const read = await t.call('GET', '/api/settings/messaging');
        assert.ok(!read.raw.body.includes(TOKEN));
        const audit = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('audit_event').select(['action', 'detail']).where('action', '=', 'messaging.settings.update').execute());
        assert.equal(audit.length, 2);
        assert.ok(!JSON.stringify(audit).includes(TOKEN));

        const patientId = await withTenant(database.db, t.system, async (s) =>
          (await s.tx.insertInto('patient').values({ tenant_id: t.tenant.id, given_name: 'Kim', family_name: 'Settings', birth_date: '1970-05-05', phone: '+14135550141', time_zone: 'America/New_York' }).returning('id').executeTakeFirstOrThrow()).id,
        );
        const message = await t.call<MessageView>('POST', `/api/patients/${patientId}/messages`, { channel: 'sms', body: 'Your results are in.' });
        await drainOutbox(options);
        const sent = await t.call<MessageDetail>('GET', `/api/messages/${message.body.id}`);
        assert.deepEqual([sent.body.status, sent.body.provider], ['sent', 'twilio']);
        assert.equal(fake.deliveries.size, 1);
        assert.equal([...fake.deliveries.values()][0]!.from, '+14135550100');

        // The token cannot be cleared while Twilio uses it; switching the provider off first allows it.
        const clearing = await patch(t, { twilioAuthToken: null });
        assert.deepEqual(paths(clearing.body), ['twilioAuthToken']);
        const off = await patch(t, { smsProvider: 'none', twilioAuthToken: null });
        assert.equal(off.status, 200, off.raw.body);
        assert.deepEqual([off.body.twilioAuthTokenSet, off.body.delivery.sms, off.body.twilioAccountSid], [false, 'sandbox', SID]);

        const again = await t.call<MessageView>('POST', `/api/patients/${patientId}/messages`, { channel: 'sms', body: 'Second message.' });
        await drainOutbox(options);
        assert.equal((await t.call<MessageDetail>('GET', `/api/messages/${again.body.id}`)).body.status, 'sandboxed');
        assert.equal(fake.deliveries.size, 1);
      } finally {
        await options.adapters.close();
        await fake.close();
      }
    });
  });
}
