import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { openTestDatabase, type Engine, type TestDatabase } from '../../../test/helpers/database.ts';
import { postTwilioSigned, postWebhookSigned, startFakeSmsProvider, twilioInboundParams, type FakeSmsProvider } from '../../../test/helpers/fake-sms-provider.ts';
import { drainOutbox, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant, type TenantScope } from '../../server/db/scope.ts';
import type { OutboxWorkerOptions } from '../messaging/worker.ts';

/**
 * What the inbox's tests share (not a test itself): a listening app (providers' webhooks are real
 * HTTP requests, signed over the URL they reach), a fake Twilio and webhook gateway, an outbox
 * drained by hand, and a clinic whose texts go through the fake Twilio.
 */

export const ACCOUNT = `AC${'0123456789abcdef'.repeat(2)}`;
export const AUTH_TOKEN = 'twilio-auth-token-for-tests-0001';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests-0001';
export const CLINIC_NUMBER = '+14135550100';
// Sunday 22 November 2026, 09:00 in New York.
export const NOW = new Date('2026-11-22T14:00:00Z');

export type Rig = {
  database: TestDatabase;
  app: FastifyInstance;
  /** Where the app listens: http://127.0.0.1:<port>. */
  base: string;
  clock: ReturnType<typeof manualClock>;
  fake: FakeSmsProvider;
  outbox: OutboxWorkerOptions;
  close(): Promise<void>;
};

export async function openRig(engine: Engine): Promise<Rig> {
  const clock = manualClock(NOW);
  const database = await openTestDatabase(engine, { poolMax: 10 });
  const app = await buildTestApp(database, { clock });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // On the real clock: the outbox's webhook adapter stamps its requests with the real time.
  const fake = await startFakeSmsProvider({ accountSid: ACCOUNT, authToken: AUTH_TOKEN, webhookSecret: WEBHOOK_SECRET });
  // Status callbacks name this app, so the fake provider's reports reach it.
  const outbox = { ...outboxOptions(database.db, clock), baseUrl: base };
  return {
    database,
    app,
    base,
    clock,
    fake,
    outbox,
    async close() {
      await fake.close();
      await app.close();
      await database.dispose();
    },
  };
}

let numbers = 0;
const AREAS = ['617', '508', '212', '860', '978', '781', '303', '503'];

/**
 * A fictional mobile number (555-0101 to 555-0198, never the clinic's 0100 or 0199) that no other
 * test of this process uses.
 */
export function newNumber(): string {
  const n = numbers++;
  return `+1${AREAS[Math.floor(n / 98) % AREAS.length]}55501${String(1 + (n % 98)).padStart(2, '0')}`;
}

/**
 * A clinic of the test's own with a signed-in user, a location with a phone, patients with mobiles
 * of their own, and its SMS provider: the fake Twilio (default), the fake webhook gateway, or none.
 */
export async function clinicOf(rig: Rig, options: { provider?: 'twilio' | 'webhook' | 'none'; role?: 'admin' | 'front_desk' | 'clinician' | 'marketing'; patients?: number } = {}) {
  const t = await signedInTenant(rig.app, rig.database, options.role ?? 'front_desk');
  const clinic = await createClinic(rig.database, t.tenant.id, { patients: options.patients ?? 3 });
  const inTenant = <T>(work: (scope: TenantScope) => Promise<T>) => withTenant(rig.database.db, t.system, work);
  const phones: string[] = [];
  await inTenant(async (s) => {
    await s.tx.updateTable('location').set({ phone: '+14135550199' }).where('id', '=', clinic.locationId).execute();
    for (const id of clinic.patientIds) {
      const phone = newNumber();
      phones.push(phone);
      await s.tx.updateTable('patient').set({ phone, phone_use: 'mobile' }).where('id', '=', id).execute();
    }
    const provider = options.provider ?? 'twilio';
    if (provider !== 'none') {
      await s.tx
        .insertInto('messaging_settings')
        .values({
          tenant_id: t.tenant.id,
          sms_provider: provider,
          sms_from: CLINIC_NUMBER,
          ...(provider === 'twilio'
            ? { twilio_account_sid: ACCOUNT, twilio_auth_token: AUTH_TOKEN, twilio_base_url: rig.fake.baseUrl }
            : { webhook_url: rig.fake.webhookUrl, webhook_secret: WEBHOOK_SECRET }),
        })
        .execute();
    }
  });
  const twilioUrl = (kind: 'inbound' | 'status') => `${rig.base}/api/webhooks/sms/twilio/${t.tenant.slug}/${kind}`;
  const webhookUrl = (kind: 'inbound' | 'status') => `${rig.base}/api/webhooks/sms/webhook/${t.tenant.slug}/${kind}`;
  /** A text from `from`, as Twilio posts it (signed); the sid makes a retry the same message. */
  const textFrom = (from: string, body: string, sid?: string) =>
    postTwilioSigned(twilioUrl('inbound'), twilioInboundParams(ACCOUNT, { from, to: CLINIC_NUMBER, body, ...(sid ? { sid } : {}) }), AUTH_TOKEN);
  const webhookText = (from: string, body: string, messageId: string) =>
    postWebhookSigned(webhookUrl('inbound'), { messageId, from, to: CLINIC_NUMBER, body }, WEBHOOK_SECRET, rig.clock());
  const drain = () => drainOutbox(rig.outbox);
  /** What the fake provider was given for one number, in order. */
  const textsTo = (to: string) => [...rig.fake.deliveries.values()].filter((d) => d.to === to);
  const conversationOf = (address: string) => inTenant((s) => s.tx.selectFrom('conversation').selectAll().where('address', '=', address).executeTakeFirst());
  const inboundOf = (conversationId: string) =>
    inTenant((s) => s.tx.selectFrom('inbound_message').selectAll().where('conversation_id', '=', conversationId).orderBy('received_at').execute());
  const messagesTo = (address: string) =>
    inTenant((s) => s.tx.selectFrom('message').selectAll().where('to_address', '=', address).orderBy('created_at').orderBy('id').execute());
  return { ...t, clinic, phones, inTenant, twilioUrl, webhookUrl, textFrom, webhookText, drain, textsTo, conversationOf, inboundOf, messagesTo };
}

export type Clinic = Awaited<ReturnType<typeof clinicOf>>;
