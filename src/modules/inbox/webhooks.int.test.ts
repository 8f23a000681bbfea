import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createTestUser } from '../../../test/helpers/app.ts';
import { engines } from '../../../test/helpers/database.ts';
import { postTwilioSigned, postWebhookSigned, twilioInboundParams, twilioSignature } from '../../../test/helpers/fake-sms-provider.ts';
import type { ErrorBody } from '../../../test/helpers/patients.ts';
import { ACCOUNT, AUTH_TOKEN, clinicOf, CLINIC_NUMBER, NOW, openRig, WEBHOOK_SECRET, type Clinic, type Rig } from './inbox.fixture.ts';
import type { InboundOutcome } from './inbound.ts';
import type { InboxPage, Thread, ThreadItem } from './service.ts';

/** What a refused request must leave behind: nothing at all. */
async function nothingStored(t: Clinic) {
  const counts = await t.inTenant(async (s) => ({
    conversations: (await s.tx.selectFrom('conversation').select('id').execute()).length,
    inbound: (await s.tx.selectFrom('inbound_message').select('id').execute()).length,
    messages: (await s.tx.selectFrom('message').select('id').execute()).length,
    consent: (await s.tx.selectFrom('consent_event').select('id').execute()).length,
  }));
  assert.deepEqual(counts, { conversations: 0, inbound: 0, messages: 0, consent: 0 });
  assert.ok(!(await t.audit()).some((a) => a.action === 'sms.receive'));
}

const raw = (url: string, body: string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) }).then(async (r) => ({ status: r.status, text: await r.text() }));
const errorOf = (text: string) => (JSON.parse(text) as ErrorBody).error;

for (const engine of engines()) {
  describe(`inbox: provider webhooks, sandbox and refusals (${engine})`, () => {
    let rig: Rig;
    before(async () => {
      rig = await openRig(engine);
    });
    after(async () => {
      await rig.close();
    });
    beforeEach(() => rig.clock.advance(NOW.getTime() - rig.clock().getTime()));

    test('Twilio: a missing or wrong signature is 403, a malformed message 400 naming the field, an unknown clinic or provider 404; none stores anything', async () => {
      const t = await clinicOf(rig);
      const params = twilioInboundParams(ACCOUNT, { from: t.phones[0]!, to: CLINIC_NUMBER, body: 'STOP' });
      const url = t.twilioUrl('inbound');
      const forged = await postTwilioSigned(url, params, 'not-the-clinic-auth-token-000');
      assert.equal(forged.status, 403, forged.text);
      assert.equal(errorOf(forged.text).code, 'invalid_signature');
      const missing = await raw(url, new URLSearchParams(params).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(missing.status, 403);
      // Signed for another address (a replay against another route), or altered after signing.
      assert.equal((await postTwilioSigned(url, params, AUTH_TOKEN, { signedUrl: `${rig.base}/api/webhooks/sms/twilio/other-clinic/inbound` })).status, 403);
      const signature = twilioSignature(AUTH_TOKEN, url, params);
      const altered = await raw(url, new URLSearchParams({ ...params, Body: 'START' }).toString(), { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature });
      assert.equal(altered.status, 403);
      await nothingStored(t);

      const { From: _from, ...noSender } = params;
      const malformed = await postTwilioSigned(url, noSender, AUTH_TOKEN);
      assert.equal(malformed.status, 400, malformed.text);
      assert.equal(errorOf(malformed.text).code, 'malformed_webhook');
      assert.deepEqual(errorOf(malformed.text).fields, [{ path: 'From', message: 'is missing' }]);
      const badSid = await postTwilioSigned(url, { ...params, MessageSid: 'not-a-sid', SmsMessageSid: 'not-a-sid' }, AUTH_TOKEN);
      assert.equal(badSid.status, 400);
      assert.match(errorOf(badSid.text).message, /MessageSid is not a Twilio message SID/);
      await nothingStored(t);

      assert.equal((await postTwilioSigned(`${rig.base}/api/webhooks/sms/twilio/no-such-clinic/inbound`, params, AUTH_TOKEN)).status, 404);
      const sandboxOnly = await clinicOf(rig, { provider: 'none' });
      assert.equal((await postTwilioSigned(sandboxOnly.twilioUrl('inbound'), params, AUTH_TOKEN)).status, 404);
      const gateway = await clinicOf(rig, { provider: 'webhook' });
      assert.equal((await postTwilioSigned(gateway.twilioUrl('inbound'), params, AUTH_TOKEN)).status, 404);
      assert.equal((await postWebhookSigned(t.webhookUrl('inbound'), { messageId: 'm-1', from: t.phones[0], to: CLINIC_NUMBER, body: 'hi' }, WEBHOOK_SECRET, rig.clock())).status, 404);
    });

    test("with Twilio's Advanced Opt-Out, Twilio answers STOP itself: Rapport records the opt-out and texts nothing", async () => {
      const t = await clinicOf(rig);
      const number = t.phones[0]!;
      const params = { ...twilioInboundParams(ACCOUNT, { from: number, to: CLINIC_NUMBER, body: 'STOP' }), OptOutType: 'STOP' };
      const res = await postTwilioSigned(t.twilioUrl('inbound'), params, AUTH_TOKEN);
      assert.equal(res.status, 200, res.text);
      const withdrawn = await t.inTenant((s) => s.tx.selectFrom('consent_event').select('status').where('patient_id', '=', t.clinic.patientIds[0]!).execute());
      assert.equal(withdrawn.length, 5);
      assert.ok(withdrawn.every((c) => c.status === 'withdrawn'));
      assert.deepEqual(await t.messagesTo(number), []);
    });

    test('Twilio status callbacks: delivered or failed with the reason when signed; a forged one is 403 and changes nothing, a malformed one 400', async () => {
      const t = await clinicOf(rig);
      const number = t.phones[0]!;
      await t.textFrom(number, 'Hello');
      const id = (await t.conversationOf(number))!.id;
      for (const body of ['First reply', 'Second reply']) assert.equal((await t.call('POST', `/api/inbox/${id}/replies`, { body })).status, 201);
      await t.drain();
      const [first, second] = t.textsTo(number).sort((a, b) => a.body.localeCompare(b.body));
      const statusOf = async (body: string) => (await t.messagesTo(number)).find((m) => m.body_text === body)!;

      const forged = await postTwilioSigned(t.twilioUrl('status'), { MessageSid: first!.id, MessageStatus: 'delivered' }, 'forged-auth-token-000000000000');
      assert.equal(forged.status, 403);
      assert.equal((await statusOf('First reply')).status, 'sent');
      const malformed = await postTwilioSigned(t.twilioUrl('status'), { MessageSid: first!.id, MessageStatus: 'teleported' }, AUTH_TOKEN);
      assert.equal(malformed.status, 400);
      assert.equal(errorOf(malformed.text).fields?.[0]?.path, 'MessageStatus');
      assert.equal((await statusOf('First reply')).status, 'sent');

      assert.equal((await rig.fake.twilioStatusCallback(first!.idempotencyKey!, 'delivered')).status, 204);
      assert.equal((await rig.fake.twilioStatusCallback(second!.idempotencyKey!, 'undelivered', '30003')).status, 204);
      const delivered = await statusOf('First reply');
      assert.equal(delivered.status, 'delivered');
      assert.equal(delivered.delivered_at!.toISOString(), NOW.toISOString());
      const failed = await statusOf('Second reply');
      assert.deepEqual([failed.status, failed.reason], ['failed', 'Twilio 30003: Unreachable destination handset']);
      const thread = (await t.call<Thread>('GET', `/api/inbox/${id}`)).body;
      assert.deepEqual(thread.items.filter((i) => i.direction === 'out').map((i) => (i.direction === 'out' ? [i.body, i.status] : [])).sort(), [
        ['First reply', 'delivered'],
        ['Second reply', 'failed'],
      ]);
    });

    test('the generic webhook: a text signed with the clinic secret is received once; a missing signature is 401, a wrong or stale one 403, bad JSON 400', async () => {
      const t = await clinicOf(rig, { provider: 'webhook' });
      const number = t.phones[0]!;
      const url = t.webhookUrl('inbound');
      const payload = { messageId: 'gw-0001', from: number, to: CLINIC_NUMBER, body: 'Can I move my visit?' };
      const wrong = await postWebhookSigned(url, payload, 'another-secret-entirely-000', rig.clock());
      assert.equal(wrong.status, 403, wrong.text);
      assert.match(errorOf(wrong.text).message, /does not match/);
      const stale = await postWebhookSigned(url, payload, WEBHOOK_SECRET, new Date(rig.clock().getTime() - 10 * 60_000));
      assert.equal(stale.status, 403);
      assert.match(errorOf(stale.text).message, /more than 300 s from now/);
      const unsigned = await raw(url, JSON.stringify(payload), { 'content-type': 'application/json' });
      assert.equal(unsigned.status, 401);
      const timestamp = String(Math.floor(rig.clock().getTime() / 1000));
      const sign = (body: string) => `v1=${createHmac('sha256', WEBHOOK_SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
      const notJson = await raw(url, '{"messageId": ', { 'content-type': 'application/json', 'x-rapport-timestamp': timestamp, 'x-rapport-signature': sign('{"messageId": ') });
      assert.equal(notJson.status, 400);
      assert.equal(errorOf(notJson.text).code, 'malformed_json');
      const noSender = await postWebhookSigned(url, { ...payload, from: '' }, WEBHOOK_SECRET, rig.clock());
      assert.equal(noSender.status, 400);
      assert.deepEqual(errorOf(noSender.text).fields, [{ path: 'from', message: 'must not be empty' }]);
      await nothingStored(t);

      const ok = await postWebhookSigned(url, payload, WEBHOOK_SECRET, rig.clock());
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(JSON.parse(ok.text), { received: true, duplicate: false });
      assert.deepEqual(JSON.parse((await postWebhookSigned(url, payload, WEBHOOK_SECRET, rig.clock())).text), { received: true, duplicate: true });
      const conversation = (await t.conversationOf(number))!;
      assert.equal((await t.inboundOf(conversation.id)).length, 1);
      assert.equal(conversation.patient_id, t.clinic.patientIds[0]);

      // The reply goes out through the gateway, which reports it delivered.
      assert.equal((await t.call('POST', `/api/inbox/${conversation.id}/replies`, { body: 'Yes: which day suits you?' })).status, 201);
      await t.drain();
      const [sent] = t.textsTo(number);
      assert.equal(sent!.provider, 'webhook');
      assert.equal(sent!.body, 'Yes: which day suits you?');
      assert.equal(sent!.statusCallback, t.webhookUrl('status'));
      const forgedReport = await postWebhookSigned(t.webhookUrl('status'), { messageId: sent!.id, status: 'delivered' }, 'another-secret-entirely-000', rig.clock());
      assert.equal(forgedReport.status, 403);
      assert.equal((await t.messagesTo(number))[0]!.status, 'sent');
      // Signed at the app's (manual) time, which the app checks the timestamp against.
      assert.equal((await postWebhookSigned(sent!.statusCallback!, { messageId: sent!.id, status: 'delivered' }, WEBHOOK_SECRET, rig.clock())).status, 204);
      assert.equal((await t.messagesTo(number))[0]!.status, 'delivered');
    });

    test('the sandbox stands in for a patient\'s phone while no provider is configured: answers stay in the sandbox; refused once a provider is set', async () => {
      const t = await clinicOf(rig, { provider: 'none', role: 'admin' });
      const number = t.phones[0]!;
      const simulated = await t.call<InboundOutcome>('POST', '/api/inbox/sandbox/inbound', { from: number, body: 'help' });
      assert.equal(simulated.status, 201, simulated.raw.body);
      assert.equal(simulated.body.handledAs, 'help');
      assert.equal(simulated.body.patientId, t.clinic.patientIds[0]);
      rig.clock.advance(1000);
      const text = await t.call<InboundOutcome>('POST', '/api/inbox/sandbox/inbound', { from: '(413) 555-0187', body: 'Is parking free?' });
      assert.equal(text.body.handledAs, 'conversation');
      const page = (await t.call<InboxPage>('GET', '/api/inbox')).body;
      assert.equal(page.smsProvider, 'none');
      assert.deepEqual(page.items.map((c) => c.address), ['+14135550187', number]);
      assert.equal((await t.call('POST', `/api/inbox/${text.body.conversationId}/replies`, { body: 'Yes, it is.' })).status, 201);
      await t.drain();
      const thread = (await t.call<Thread>('GET', `/api/inbox/${text.body.conversationId}`)).body;
      assert.deepEqual(thread.items.map((i) => (i.direction === 'out' ? i.status : i.handledAs)), ['conversation', 'sandboxed']);
      assert.equal((await t.messagesTo(number))[0]!.status, 'sandboxed');
      assert.equal(t.textsTo(number).length, 0, 'nothing reached a provider');
      // The HELP answer is automatic, like a real one; the audit names who played the patient.
      const help = (await t.call<Thread>('GET', `/api/inbox/${simulated.body.conversationId}`)).body.items.find((i) => i.direction === 'out')!;
      assert.deepEqual([help.direction === 'out' && help.status, help.direction === 'out' && help.sentBy], ['sandboxed', null]);
      const audited = await t.inTenant((s) => s.tx.selectFrom('audit_event').select(['actor_type', 'actor_id']).where('action', '=', 'sms.receive').execute());
      assert.deepEqual(audited, [
        { actor_type: 'user', actor_id: t.user.id },
        { actor_type: 'user', actor_id: t.user.id },
      ]);

      const badNumber = await t.call<ErrorBody>('POST', '/api/inbox/sandbox/inbound', { from: 'not a phone', body: 'hi' });
      assert.equal(badNumber.status, 400);
      assert.equal(badNumber.body.error.fields?.[0]?.path, 'from');
      const configured = await clinicOf(rig, { role: 'admin' });
      const refused = await configured.call<ErrorBody>('POST', '/api/inbox/sandbox/inbound', { from: configured.phones[0], body: 'hi' });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'provider_configured');
      const clinician = await clinicOf(rig, { provider: 'none', role: 'clinician' });
      assert.equal((await clinician.call('POST', '/api/inbox/sandbox/inbound', { from: clinician.phones[0], body: 'hi' })).status, 403);
    });

    test('staff API refusals: empty or too long replies name the body, other clinics\' conversations are 404, marketing is 403, assignees must see patients', async () => {
      const t = await clinicOf(rig);
      await t.textFrom(t.phones[0]!, 'First');
      rig.clock.advance(1000);
      await t.textFrom(t.phones[1]!, 'Second');
      const page = (await t.call<InboxPage>('GET', '/api/inbox?limit=1')).body;
      assert.deepEqual(page.items.map((c) => c.preview), ['Second']);
      assert.ok(page.nextCursor);
      const next = (await t.call<InboxPage>('GET', `/api/inbox?limit=1&cursor=${page.nextCursor}`)).body;
      assert.deepEqual([next.items.map((c) => c.preview), next.nextCursor], [['First'], null]);
      const badCursor = await t.call<ErrorBody>('GET', '/api/inbox?cursor=garbage');
      assert.equal(badCursor.status, 400);
      assert.equal(badCursor.body.error.fields?.[0]?.path, 'querystring.cursor');
      const id = next.items[0]!.id;

      for (const body of ['   ', 'x'.repeat(1601)]) {
        const res = await t.call<ErrorBody>('POST', `/api/inbox/${id}/replies`, { body });
        assert.equal(res.status, 400, res.raw.body);
        assert.equal(res.body.error.fields?.[0]?.path, 'body');
      }
      assert.equal((await t.call('POST', `/api/inbox/${id}/replies`, { body: 'hi', extra: 1 })).status, 400);
      assert.equal((await t.call<ThreadItem>('POST', `/api/inbox/${id}/replies`, { body: 'x'.repeat(1600) })).status, 201);

      const other = await clinicOf(rig);
      assert.equal((await other.call('GET', `/api/inbox/${id}`)).status, 404);
      assert.equal((await other.call('POST', `/api/inbox/${id}/replies`, { body: 'hi' })).status, 404);
      assert.equal((await other.call('POST', `/api/inbox/${id}/read`)).status, 404);
      assert.equal((await t.call('GET', '/api/inbox/not-an-id')).status, 400);

      const marketer = await createTestUser(rig.database, t.tenant, 'marketing');
      const refused = await t.call<ErrorBody>('POST', `/api/inbox/${id}/assign`, { assigneeId: marketer.id });
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.error.fields, [{ path: 'assigneeId', message: 'has a role that cannot see patients' }]);
      const stranger = await t.call<ErrorBody>('POST', `/api/inbox/${id}/assign`, { assigneeId: other.user.id });
      assert.equal(stranger.body.error.fields?.[0]?.message, 'is not an active member of staff of this clinic');
      const marketing = await clinicOf(rig, { role: 'marketing' });
      assert.equal((await marketing.call('GET', '/api/inbox')).status, 403);
      assert.equal((await rig.app.inject({ method: 'GET', url: '/api/inbox' })).statusCode, 401);
    });
  });
}
