import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import MessagingResponse from 'twilio/lib/twiml/MessagingResponse.js';
import { validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import {
  postTwilioSigned,
  postWebhookSigned,
  startFakeSmsProvider,
  twilioInboundParams,
  twilioSignature,
  type FakeSmsProviderOptions,
} from '../../../../test/helpers/fake-sms-provider.ts';
import type { OutgoingMessage, SendResult } from '../types.ts';
import {
  parseTwilioInbound,
  parseTwilioStatusCallback,
  twilioAdapter,
  twimlEmpty,
  twimlMessage,
  verifyTwilioSignature,
  type TwilioParams,
} from './twilio.ts';
import { parseWebhookInbound, parseWebhookStatus, verifyWebhookSignature, webhookSmsAdapter } from './webhook.ts';

const ACCOUNT = `AC${'0123456789abcdef'.repeat(2)}`;
const TOKEN = 'auth-token-for-tests-0123456789ab';
const SECRET = 'webhook-secret-for-tests';
const CLINIC = '+15555550100';
const PATIENT = '+15555550123';
const NOW = new Date('2026-11-22T14:00:00Z');

function message(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: randomUUID(),
    tenantId: randomUUID(),
    channel: 'sms',
    to: PATIENT,
    from: CLINIC,
    subject: null,
    text: 'Reminder: your visit is tomorrow at 09:30. Reply STOP to opt out.',
    html: null,
    idempotencyKey: randomUUID(),
    statusCallbackUrl: 'https://rapport.example.com/api/sms/twilio/status',
    ...overrides,
  };
}

async function provider(t: TestContext, extra: Partial<FakeSmsProviderOptions> = {}) {
  const fake = await startFakeSmsProvider({ accountSid: ACCOUNT, authToken: TOKEN, webhookSecret: SECRET, ...extra });
  t.after(() => fake.close());
  return fake;
}

const twilioFor = (baseUrl: string, extra: { authToken?: string; messagingServiceSid?: string; timeoutMs?: number } = {}) =>
  twilioAdapter({ accountSid: ACCOUNT, authToken: TOKEN, from: '+15555550199', baseUrl, ...extra });

function expectOutcome<K extends SendResult['outcome']>(result: SendResult, outcome: K): Extract<SendResult, { outcome: K }> {
  assert.equal(result.outcome, outcome, JSON.stringify(result));
  return result as Extract<SendResult, { outcome: K }>;
}

describe('Twilio adapter', () => {
  test('an accepted message is sent with its SM sid: Basic auth, form fields, idempotency token', async (t) => {
    const fake = await provider(t);
    const adapter = twilioFor(fake.baseUrl);
    const msg = message();
    const sent = expectOutcome(await adapter.send(msg), 'sent');
    assert.equal(adapter.provider, 'twilio');
    assert.match(sent.providerMessageId ?? '', /^SM[0-9a-f]{32}$/);
    assert.match(sent.response ?? '', /"status":"queued"/);

    assert.equal(fake.attempts.length, 1);
    const attempt = fake.attempts[0]!;
    assert.equal(attempt.path, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    assert.equal(attempt.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(attempt.headers['i-twilio-idempotency-token'], msg.idempotencyKey);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(attempt.body)), {
      To: PATIENT,
      Body: msg.text,
      From: CLINIC,
      StatusCallback: msg.statusCallbackUrl,
    });
    assert.deepEqual(fake.deliveries.get(msg.idempotencyKey), {
      provider: 'twilio',
      id: sent.providerMessageId,
      to: PATIENT,
      from: CLINIC,
      body: msg.text,
      statusCallback: msg.statusCallbackUrl,
      messagingServiceSid: null,
      idempotencyKey: msg.idempotencyKey,
    });
  });

  test('the configured number stands in for a missing sender; a Messaging Service replaces From', async (t) => {
    const fake = await provider(t);
    expectOutcome(await twilioFor(fake.baseUrl).send(message({ from: null, statusCallbackUrl: null })), 'sent');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(fake.attempts[0]!.body)), {
      To: PATIENT,
      Body: message().text,
      From: '+15555550199',
    });

    const serviceSid = `MG${'a'.repeat(32)}`;
    const sent = expectOutcome(await twilioFor(fake.baseUrl, { messagingServiceSid: serviceSid }).send(message()), 'sent');
    const form = new URLSearchParams(fake.attempts[1]!.body);
    assert.equal(form.get('MessagingServiceSid'), serviceSid);
    assert.equal(form.has('From'), false);
    assert.match(sent.response ?? '', /"status":"accepted"/);
  });

  test('refusals are permanent failures carrying Twilio code and message; nothing is delivered', async (t) => {
    const fake = await provider(t, { unsubscribed: ['+15555550142'] });
    const cases: Array<[string, ReturnType<typeof twilioAdapter>, Partial<OutgoingMessage>]> = [
      ["Twilio 21211: The 'To' number 555-0123 is not a valid phone number.", twilioFor(fake.baseUrl), { to: '555-0123' }],
      ['Twilio 21610: Attempt to send to unsubscribed recipient', twilioFor(fake.baseUrl), { to: '+15555550142' }],
      ['Twilio 21602: Message body is required.', twilioFor(fake.baseUrl), { text: '' }],
      ['Twilio 20003: Authenticate', twilioFor(fake.baseUrl, { authToken: 'wrong' }), {}],
    ];
    for (const [reason, adapter, overrides] of cases) {
      const failed = expectOutcome(await adapter.send(message(overrides)), 'failed');
      assert.equal(failed.reason, reason);
      assert.match(failed.response ?? '', /"more_info":"https:\/\/www\.twilio\.com\/docs\/errors\/\d+"/);
    }
    const misrouted = expectOutcome(await twilioFor(`${fake.baseUrl}/proxy`).send(message()), 'failed');
    assert.match(misrouted.reason, /^Twilio 20404: /);
    assert.equal(fake.attempts.length, cases.length + 1);
    assert.equal(fake.deliveries.size, 0);
  });

  test('429 and 5xx are retried, with Retry-After when Twilio gives one', async (t) => {
    const fake = await provider(t);
    const adapter = twilioFor(fake.baseUrl);
    fake.failNext(1, 429, '7');
    fake.failNext(1, 500);
    fake.failNext(1, 503, 'Wed, 21 Oct 2026 07:28:00 GMT');
    const msg = message();
    const throttled = expectOutcome(await adapter.send(msg), 'retry');
    assert.equal(throttled.reason, 'Twilio: HTTP 429');
    assert.equal(throttled.retryAfterSeconds, 7);
    assert.match(throttled.response ?? '', /"code":20429/);
    const broken = expectOutcome(await adapter.send(msg), 'retry');
    assert.equal(broken.reason, 'Twilio: HTTP 500');
    assert.equal(broken.retryAfterSeconds, undefined);
    assert.equal(expectOutcome(await adapter.send(msg), 'retry').retryAfterSeconds, undefined, 'an HTTP-date is left to the outbox');
    assert.equal(fake.deliveries.size, 0);
    expectOutcome(await adapter.send(msg), 'sent');
    assert.equal(fake.deliveries.size, 1);
  });

  test('a hang-up, a silent provider or a refused connection is retried', async (t) => {
    const fake = await provider(t);
    const adapter = twilioFor(fake.baseUrl, { timeoutMs: 100 });
    fake.hangUpNext(1);
    assert.match(expectOutcome(await adapter.send(message()), 'retry').reason, /^Twilio: connection failed \(/);
    fake.stallNext(1);
    assert.equal(expectOutcome(await adapter.send(message()), 'retry').reason, 'Twilio: no answer within 100 ms');
    assert.equal(fake.deliveries.size, 0);

    await fake.close();
    assert.match(expectOutcome(await adapter.send(message()), 'retry').reason, /^Twilio: connection failed \(ECONNREFUSED\)$/);
  });

  test('an answer lost after Twilio accepted: the retry carries the same token and is not sent twice', async (t) => {
    const fake = await provider(t);
    const adapter = twilioFor(fake.baseUrl, { timeoutMs: 100 });
    const msg = message();
    fake.hangUpNext(1, { afterAccepting: true });
    fake.stallNext(1, { afterAccepting: true });
    expectOutcome(await adapter.send(msg), 'retry');
    expectOutcome(await adapter.send(msg), 'retry');
    const sent = expectOutcome(await adapter.send(msg), 'sent');
    assert.equal(fake.attempts.length, 3);
    assert.deepEqual(
      fake.attempts.map((a) => a.headers['i-twilio-idempotency-token']),
      [msg.idempotencyKey, msg.idempotencyKey, msg.idempotencyKey],
    );
    assert.equal(fake.deliveries.size, 1);
    assert.equal(fake.deliveries.get(msg.idempotencyKey)?.id, sent.providerMessageId);
  });

  test('a provider that ignores the token texts the patient twice after a lost answer', async (t) => {
    // Twilio does not document deduplication of Messages.create: this is the risk a retry runs.
    const fake = await provider(t, { idempotent: false });
    const adapter = twilioFor(fake.baseUrl);
    const msg = message();
    fake.hangUpNext(1, { afterAccepting: true });
    expectOutcome(await adapter.send(msg), 'retry');
    expectOutcome(await adapter.send(msg), 'sent');
    assert.equal(fake.deliveries.size, 2);
  });
});

describe('webhook adapter', () => {
  const webhookFor = (url: string, extra: { secret?: string; clock?: () => Date; timeoutMs?: number } = {}) =>
    webhookSmsAdapter({ url, secret: SECRET, ...extra });

  test('sends signed JSON with the idempotency key and reads back the gateway message id', async (t) => {
    const fake = await provider(t);
    const adapter = webhookFor(fake.webhookUrl);
    const msg = message();
    const sent = expectOutcome(await adapter.send(msg), 'sent');
    assert.equal(adapter.provider, 'webhook');
    assert.match(sent.providerMessageId ?? '', /^wh_[0-9a-f]{24}$/);

    const attempt = fake.attempts[0]!;
    assert.equal(attempt.headers['idempotency-key'], msg.idempotencyKey);
    assert.deepEqual(JSON.parse(attempt.body), {
      id: msg.idempotencyKey,
      to: PATIENT,
      from: CLINIC,
      body: msg.text,
      statusCallbackUrl: msg.statusCallbackUrl,
    });
    const timestamp = attempt.headers['x-rapport-timestamp'] as string;
    const signature = attempt.headers['x-rapport-signature'] as string;
    assert.deepEqual(verifyWebhookSignature(SECRET, attempt.body, timestamp, signature, new Date()), { ok: true });
    assert.equal(fake.deliveries.get(msg.idempotencyKey)?.id, sent.providerMessageId);
  });

  test('a 4xx is a permanent failure with the gateway error text', async (t) => {
    const fake = await provider(t);
    const cases: Array<[string, ReturnType<typeof webhookSmsAdapter>, Partial<OutgoingMessage>]> = [
      ["Webhook 400: 'to' must be a phone number in E.164", webhookFor(fake.webhookUrl), { to: '555-0123' }],
      ['Webhook 401: invalid signature', webhookFor(fake.webhookUrl, { secret: 'another secret' }), {}],
      ['Webhook 401: stale timestamp', webhookFor(fake.webhookUrl, { clock: () => new Date(Date.now() - 3_600_000) }), {}],
    ];
    for (const [reason, adapter, overrides] of cases) {
      assert.equal(expectOutcome(await adapter.send(message(overrides)), 'failed').reason, reason);
    }
    assert.equal(fake.deliveries.size, 0);
  });

  test('408, 429, 5xx, a hang-up and a timeout are retried', async (t) => {
    const fake = await provider(t);
    const adapter = webhookFor(fake.webhookUrl, { timeoutMs: 100 });
    fake.failNext(1, 408);
    fake.failNext(1, 429, '30');
    fake.failNext(1, 502);
    fake.hangUpNext(1);
    fake.stallNext(1);
    const msg = message();
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      const retry = expectOutcome(await adapter.send(msg), 'retry');
      reasons.push(retry.reason);
      if (i === 1) assert.equal(retry.retryAfterSeconds, 30);
    }
    assert.deepEqual(reasons.slice(0, 3), ['Webhook: HTTP 408', 'Webhook: HTTP 429', 'Webhook: HTTP 502']);
    assert.match(reasons[3]!, /^Webhook: connection failed/);
    assert.equal(reasons[4], 'Webhook: no answer within 100 ms');
    assert.equal(fake.deliveries.size, 0);
    expectOutcome(await adapter.send(msg), 'sent');
  });

  test('the gateway deduplicates a retry by Idempotency-Key', async (t) => {
    const fake = await provider(t);
    const adapter = webhookFor(fake.webhookUrl);
    const msg = message();
    fake.hangUpNext(1, { afterAccepting: true });
    expectOutcome(await adapter.send(msg), 'retry');
    const sent = expectOutcome(await adapter.send(msg), 'sent');
    assert.equal(fake.attempts.length, 2);
    assert.equal(fake.deliveries.size, 1);
    assert.equal(fake.deliveries.get(msg.idempotencyKey)?.id, sent.providerMessageId);
  });
});

describe('X-Twilio-Signature', () => {
  const URL_ = 'https://rapport.example.com/api/sms/twilio/inbound?tenant=clinic-1';
  const params = twilioInboundParams(ACCOUNT, {
    from: PATIENT,
    to: CLINIC,
    body: 'Café at 9? Yes + thanks & see you <soon> 100%',
  });

  test('a signature made by the twilio package verifies', () => {
    assert.equal(verifyTwilioSignature(TOKEN, URL_, params, twilioSignature(TOKEN, URL_, params)), true);
    const withMedia = { ...params, MediaUrl0: 'https://api.twilio.com/media/1', Repeated: ['b', 'a', 'b'] };
    assert.equal(verifyTwilioSignature(TOKEN, URL_, withMedia, twilioSignature(TOKEN, URL_, withMedia)), true);
    assert.equal(verifyTwilioSignature(TOKEN, URL_, {}, twilioSignature(TOKEN, URL_, {})), true);
  });

  test('a tampered field, an added field, another URL or token, or no signature is refused', () => {
    const signature = twilioSignature(TOKEN, URL_, params);
    assert.equal(verifyTwilioSignature(TOKEN, URL_, { ...params, Body: 'Cancel my visit' }, signature), false);
    assert.equal(verifyTwilioSignature(TOKEN, URL_, { ...params, Extra: '' }, signature), false);
    assert.equal(verifyTwilioSignature(TOKEN, URL_.replace('clinic-1', 'clinic-2'), params, signature), false);
    assert.equal(verifyTwilioSignature('another-token', URL_, params, signature), false);
    assert.equal(verifyTwilioSignature(TOKEN, URL_, params, twilioSignature('another-token', URL_, params)), false);
    assert.equal(verifyTwilioSignature(TOKEN, URL_, params, undefined), false);
    assert.equal(verifyTwilioSignature(TOKEN, URL_, params, ''), false);
    assert.equal(verifyTwilioSignature(TOKEN, URL_, params, `${signature}=`), false);
  });

  test('agrees with the twilio package on URLs signed with and without a port', () => {
    const urls = [
      'https://rapport.example.com/api/sms/twilio/status',
      'https://rapport.example.com:443/api/sms/twilio/status',
      'https://rapport.example.com:8443/api/sms/twilio/status',
      'http://rapport.example.com/api/sms/twilio/status',
      'http://rapport.example.com:80/api/sms/twilio/status',
      'https://rapport.example.com/api/sms/twilio/status?x=1&y=a%20b',
      'https://rapport.example.com:443/api/sms/twilio/status?x=1&y=a%20b',
    ];
    let agreed = 0;
    for (const signedUrl of urls) {
      const signature = twilioSignature(TOKEN, signedUrl, params);
      for (const url of urls) {
        const theirs = validateRequest(TOKEN, signature, url, params);
        assert.equal(verifyTwilioSignature(TOKEN, url, params, signature), theirs, `signed ${signedUrl}, checked ${url}`);
        if (theirs && url !== signedUrl) agreed++;
      }
    }
    assert.ok(agreed >= 4, 'some port variants must verify, or the comparison proves nothing');
  });

  test('over HTTP: a signed status callback verifies and parses; a wrong token is refused', async (t) => {
    const received: Array<{ headers: IncomingHttpHeaders; params: TwilioParams; url: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const params: TwilioParams = {};
        for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
          const seen = params[name];
          params[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
        }
        const url = `${origin}${req.url}`;
        received.push({ headers: req.headers, params, url });
        const signature = req.headers['x-twilio-signature'] as string | undefined;
        if (!verifyTwilioSignature(TOKEN, url, params, signature)) return res.writeHead(403).end();
        const report = parseTwilioStatusCallback(params);
        res.writeHead(report.ok ? 200 : 400, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const fake = await provider(t);
    const msg = message({ statusCallbackUrl: `${origin}/api/sms/twilio/status?tenant=clinic-1` });
    const sent = expectOutcome(await twilioFor(fake.baseUrl).send(msg), 'sent');

    const reply = await fake.twilioStatusCallback(msg.idempotencyKey, 'undelivered', '30003');
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(JSON.parse(reply.text), {
      ok: true,
      value: {
        provider: 'twilio',
        providerMessageId: sent.providerMessageId,
        status: 'failed',
        reason: 'Twilio 30003: Unreachable destination handset',
      },
    });

    const forged = await postTwilioSigned(msg.statusCallbackUrl!, received[0]!.params as Record<string, string>, 'guessed-token');
    assert.equal(forged.status, 403);
    const elsewhere = await postTwilioSigned(msg.statusCallbackUrl!, received[0]!.params as Record<string, string>, TOKEN, {
      signedUrl: 'https://rapport.example.com/api/sms/twilio/status?tenant=clinic-1',
    });
    assert.equal(elsewhere.status, 403, 'a signature for another URL does not verify here');
    assert.equal(received.length, 3);
  });
});

describe('webhook signature', () => {
  const body = JSON.stringify({ messageId: 'gw-1', status: 'delivered' });
  const ts = String(NOW.getTime() / 1000);

  async function signedHeaders(secret: string, at: Date) {
    // Capture what postWebhookSigned sends, so the test signs independently of the verifier.
    let headers: IncomingHttpHeaders = {};
    const server = createServer((req, res) => {
      headers = req.headers;
      req.resume().on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await postWebhookSigned(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, JSON.parse(body), secret, at);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return { timestamp: headers['x-rapport-timestamp'] as string, signature: headers['x-rapport-signature'] as string };
  }

  test('a fresh, untampered request verifies, up to the tolerance either side', async () => {
    const { timestamp, signature } = await signedHeaders(SECRET, NOW);
    assert.equal(timestamp, ts);
    assert.deepEqual(verifyWebhookSignature(SECRET, body, timestamp, signature, NOW), { ok: true });
    assert.deepEqual(verifyWebhookSignature(SECRET, body, timestamp, signature, new Date(NOW.getTime() + 300_000)), { ok: true });
    assert.deepEqual(verifyWebhookSignature(SECRET, body, timestamp, signature, new Date(NOW.getTime() - 300_000)), { ok: true });
  });

  test('stale or future timestamps, tampered bodies, other secrets and bad headers are refused with a reason', async () => {
    const { timestamp, signature } = await signedHeaders(SECRET, NOW);
    const refused = (...args: Parameters<typeof verifyWebhookSignature>) => {
      const result = verifyWebhookSignature(...args);
      assert.equal(result.ok, false);
      return result.ok ? '' : result.reason;
    };
    assert.match(refused(SECRET, body, timestamp, signature, new Date(NOW.getTime() + 301_000)), /more than 300 s from now/);
    assert.match(refused(SECRET, body, timestamp, signature, new Date(NOW.getTime() - 301_000)), /more than 300 s from now/);
    assert.match(refused(SECRET, body, timestamp, signature, new Date(NOW.getTime() + 61_000), 60), /more than 60 s/);
    assert.equal(refused(SECRET, body.replace('delivered', 'failed'), timestamp, signature, NOW), 'X-Rapport-Signature does not match');
    assert.equal(refused(SECRET, body, String(Number(timestamp) + 1), signature, NOW), 'X-Rapport-Signature does not match');
    assert.equal(refused('another secret', body, timestamp, signature, NOW), 'X-Rapport-Signature does not match');
    const other = await signedHeaders('another secret', NOW);
    assert.equal(refused(SECRET, body, other.timestamp, other.signature, NOW), 'X-Rapport-Signature does not match');
    assert.equal(refused(SECRET, body, undefined, signature, NOW), 'X-Rapport-Timestamp is missing');
    assert.equal(refused(SECRET, body, '2026-11-22T14:00:00Z', signature, NOW), 'X-Rapport-Timestamp must be unix seconds');
    assert.equal(refused(SECRET, body, timestamp, undefined, NOW), 'X-Rapport-Signature is missing');
    for (const bad of ['abc', signature.slice(3), `v0=${signature.slice(3)}`, `${signature}00`, signature.toUpperCase()]) {
      assert.equal(refused(SECRET, body, timestamp, bad, NOW), 'X-Rapport-Signature must be v1=<64 hex digits>', bad);
    }
  });
});

describe('Twilio webhooks: parsing', () => {
  const SID = `SM${'0a'.repeat(16)}`;

  test('status callbacks map Twilio statuses onto the outbox', () => {
    const expected: Record<string, string> = {
      accepted: 'sent',
      scheduled: 'sent',
      queued: 'sent',
      sending: 'sent',
      sent: 'sent',
      delivered: 'delivered',
      read: 'delivered',
      failed: 'failed',
      undelivered: 'failed',
      canceled: 'failed',
    };
    for (const [twilioStatus, status] of Object.entries(expected)) {
      const parsed = parseTwilioStatusCallback({ MessageSid: SID, MessageStatus: twilioStatus, AccountSid: ACCOUNT });
      assert.ok(parsed.ok, twilioStatus);
      assert.equal(parsed.value.status, status, twilioStatus);
      assert.equal(parsed.value.providerMessageId, SID);
      assert.equal(parsed.value.reason === null, status !== 'failed', twilioStatus);
    }
  });

  test('a failure reason names the Twilio error code', () => {
    const reason = (params: TwilioParams) => {
      const parsed = parseTwilioStatusCallback({ MessageSid: SID, ...params });
      assert.ok(parsed.ok);
      return parsed.value.reason;
    };
    assert.equal(reason({ MessageStatus: 'undelivered', ErrorCode: '30005' }), 'Twilio 30005: Unknown destination handset');
    assert.equal(reason({ MessageStatus: 'failed', ErrorCode: '30007', ErrorMessage: 'Carrier violation' }), 'Twilio 30007: Carrier violation');
    assert.equal(reason({ MessageStatus: 'failed', ErrorCode: '39999' }), 'Twilio 39999: failed');
    assert.equal(reason({ MessageStatus: 'undelivered' }), 'Twilio: undelivered');
    assert.equal(reason({ MessageStatus: 'canceled', ErrorCode: '' }), 'Twilio: canceled');
  });

  test('a malformed status callback is refused naming each problem', () => {
    const problems = (params: TwilioParams) => {
      const parsed = parseTwilioStatusCallback(params);
      assert.equal(parsed.ok, false);
      return parsed.ok ? [] : parsed.problems;
    };
    assert.deepEqual(problems({}), ['MessageSid is missing', 'MessageStatus is missing']);
    assert.deepEqual(problems({ MessageSid: '', MessageStatus: 'sent' }), ['MessageSid is missing']);
    assert.deepEqual(problems({ MessageSid: 'not-a-sid', MessageStatus: 'sent' }), ['MessageSid is not a Twilio message SID']);
    assert.deepEqual(problems({ MessageSid: SID, MessageStatus: 'received' }), [
      "MessageStatus 'received' is not an outbound message status",
    ]);
    assert.deepEqual(problems({ MessageSid: [SID, SID], MessageStatus: 'sent' }), ['MessageSid must appear once']);
    assert.deepEqual(problems({ MessageSid: SID, MessageStatus: 'failed', ErrorCode: ['1', '2'] }), ['ErrorCode must appear once']);
  });

  test('an inbound text is read from Twilio fields, with the older SmsMessageSid as a fallback', () => {
    const receivedAt = NOW;
    const params = twilioInboundParams(ACCOUNT, { from: PATIENT, to: CLINIC, body: 'STOP', sid: SID });
    assert.deepEqual(parseTwilioInbound(params, receivedAt), {
      ok: true,
      value: { provider: 'twilio', providerMessageId: SID, from: PATIENT, to: CLINIC, body: 'STOP', receivedAt },
    });
    const { MessageSid: _omitted, ...older } = params;
    assert.equal(parseTwilioInbound(older, receivedAt).ok, true);
    const pictureOnly = parseTwilioInbound({ ...params, Body: '', NumMedia: '1' }, receivedAt);
    assert.ok(pictureOnly.ok);
    assert.equal(pictureOnly.value.body, '');
  });

  test('a malformed inbound webhook is refused naming each problem', () => {
    assert.deepEqual(parseTwilioInbound({}, NOW), {
      ok: false,
      problems: ['MessageSid is missing', 'From is missing', 'To is missing', 'Body is missing'],
    });
    assert.deepEqual(parseTwilioInbound({ SmsMessageSid: 'x', From: PATIENT, To: [CLINIC, CLINIC], Body: 'hi' }, NOW), {
      ok: false,
      problems: ['SmsMessageSid is not a Twilio message SID', 'To must appear once'],
    });
  });

  test('TwiML answers: empty, and a reply escaped exactly as the twilio package escapes it', () => {
    assert.equal(twimlEmpty(), '<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    for (const text of ['Reply STOP to opt out.', 'a & b < c > d "q" \'s\'\r\n é ✓ 😀']) {
      const theirs = new MessagingResponse();
      theirs.message(text);
      assert.equal(twimlMessage(text), theirs.toString());
    }
    // The twilio package throws on characters XML cannot carry; we drop them.
    assert.equal(twimlMessage('bell\u0007 end'), twimlMessage('bell end'));
  });
});

describe('webhook gateway: parsing', () => {
  test('status reports and inbound texts are read from the contract fields', () => {
    assert.deepEqual(parseWebhookStatus({ messageId: 'gw-1', status: 'failed', reason: 'Number disconnected' }), {
      ok: true,
      value: { provider: 'webhook', providerMessageId: 'gw-1', status: 'failed', reason: 'Number disconnected' },
    });
    assert.deepEqual(parseWebhookStatus({ messageId: 'gw-1', status: 'delivered' }), {
      ok: true,
      value: { provider: 'webhook', providerMessageId: 'gw-1', status: 'delivered', reason: null },
    });
    assert.deepEqual(parseWebhookInbound({ messageId: 'gw-2', from: PATIENT, to: CLINIC, body: 'YES' }, NOW), {
      ok: true,
      value: { provider: 'webhook', providerMessageId: 'gw-2', from: PATIENT, to: CLINIC, body: 'YES', receivedAt: NOW },
    });
  });

  test('malformed payloads are refused naming each field', () => {
    const problems = (parsed: ReturnType<typeof parseWebhookStatus> | ReturnType<typeof parseWebhookInbound>) => {
      assert.equal(parsed.ok, false);
      return parsed.ok ? [] : parsed.problems;
    };
    assert.deepEqual(problems(parseWebhookStatus({ status: 'read', reason: 7 })), [
      'messageId must be a string',
      'status must be sent, delivered or failed',
      'reason must be a string',
    ]);
    assert.deepEqual(problems(parseWebhookStatus({ messageId: '', status: 'sent' })), ['messageId must not be empty']);
    assert.deepEqual(problems(parseWebhookStatus(null)), ['request body must be a JSON object']);
    assert.deepEqual(problems(parseWebhookStatus('sent')), ['request body must be a JSON object']);
    assert.deepEqual(problems(parseWebhookInbound({ messageId: 'gw-2', from: PATIENT, body: 5 }, NOW)), [
      'to must be a string',
      'body must be a string',
    ]);
  });
});
