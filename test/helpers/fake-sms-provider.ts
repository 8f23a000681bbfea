import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';

/**
 * A loopback SMS provider for tests. It serves the slice of Twilio's REST API that Rapport uses
 * (create a Message), answering as Twilio documents it (Basic auth, form fields, error JSON
 * {code, message, more_info, status}, 201 with a Message resource), and Rapport's generic webhook
 * contract at /webhook/sms. Both deduplicate by the request's idempotency key, as an idempotent
 * provider would (Twilio itself does not document that: pass `idempotent: false` to see why it
 * matters). Faults can be queued: an error status, a hang-up, or no answer at all, each either
 * before the provider accepts the message or after (the answer lost on the way back).
 *
 * Webhooks the other way (status callbacks, inbound texts) are signed with the `twilio` package's
 * own signer, so Rapport's verifier is checked against Twilio's implementation rather than itself.
 */

export type RawRequest = { method: string; path: string; headers: IncomingHttpHeaders; body: string };

export type Delivered = {
  provider: 'twilio' | 'webhook';
  /** Twilio's sid (SM...) or the webhook's messageId. */
  id: string;
  to: string;
  from: string | null;
  body: string;
  statusCallback: string | null;
  messagingServiceSid: string | null;
  idempotencyKey: string | null;
};

export type FakeSmsProviderOptions = {
  accountSid: string;
  authToken: string;
  webhookSecret: string;
  /** Numbers that replied STOP: Twilio refuses them with 21610. */
  unsubscribed?: string[];
  /** Deduplicate by I-Twilio-Idempotency-Token / Idempotency-Key (default true). */
  idempotent?: boolean;
  /** For the webhook's timestamp check. */
  clock?: () => Date;
};

type Answer = { status: number; headers?: Record<string, string>; body: string };
type Fault = { kind: 'status'; status: number; retryAfter?: string } | { kind: 'hang-up' | 'stall'; afterAccepting: boolean };

export type FakeSmsProvider = {
  /** Pass as the Twilio adapter's baseUrl. */
  baseUrl: string;
  webhookUrl: string;
  /** Every request received, faulty or not, in order. */
  attempts: RawRequest[];
  /** Messages the provider accepted, by idempotency key (or id when there was none). */
  deliveries: Map<string, Delivered>;
  /** The next `count` requests get `status` (429, 500, 503 ...) without being processed. */
  failNext(count: number, status: number, retryAfter?: string): void;
  /** The next `count` requests have their connection destroyed instead of an answer. */
  hangUpNext(count: number, options?: { afterAccepting?: boolean }): void;
  /** The next `count` requests are never answered (until close), so the client's timeout fires. */
  stallNext(count: number, options?: { afterAccepting?: boolean }): void;
  /** Sends Twilio's signed status callback for a delivery to its StatusCallback URL. */
  twilioStatusCallback(key: string, messageStatus: string, errorCode?: string): Promise<Reply>;
  /** Sends the webhook contract's signed status report for a delivery to its statusCallbackUrl. */
  webhookStatusCallback(key: string, status: 'sent' | 'delivered' | 'failed', reason?: string): Promise<Reply>;
  close(): Promise<void>;
};

export type Reply = { status: number; headers: Headers; text: string };

const E164 = /^\+[1-9]\d{1,14}$/;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});
const twilioError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);

/** Twilio's date format in resources: RFC 2822 with a numeric zone. */
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

export async function startFakeSmsProvider(options: FakeSmsProviderOptions): Promise<FakeSmsProvider> {
  const clock = options.clock ?? (() => new Date());
  const idempotent = options.idempotent ?? true;
  const attempts: RawRequest[] = [];
  const deliveries = new Map<string, Delivered>();
  const replays = new Map<string, Answer>();
  const faults: Fault[] = [];
  const stalled = new Set<ServerResponse>();

  function accept(delivered: Delivered, key: string | null, answer: Answer): Answer {
    deliveries.set(key ?? delivered.id, delivered);
    if (key) replays.set(`${delivered.provider}:${key}`, answer);
    return answer;
  }

  function twilioMessages(raw: RawRequest): Answer {
    const path = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(raw.path);
    if (!path || raw.method !== 'POST') return twilioError(404, 20404, `The requested resource ${raw.path} was not found`);
    const expected = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
    if (raw.headers.authorization !== expected || decodeURIComponent(path[1]!) !== options.accountSid) {
      return twilioError(401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' });
    }
    const key = idempotent ? header(raw, 'i-twilio-idempotency-token') : null;
    const replay = key && replays.get(`twilio:${key}`);
    if (replay) return replay;

    const form = new URLSearchParams(raw.body);
    const to = form.get('To');
    const from = form.get('From');
    const serviceSid = form.get('MessagingServiceSid');
    const body = form.get('Body');
    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!from && !serviceSid) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (!body) return twilioError(400, 21602, 'Message body is required.');
    if (!E164.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (options.unsubscribed?.includes(to)) return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');

    const sid = `SM${hex(16)}`;
    const now = rfc2822(clock());
    const resource = {
      account_sid: options.accountSid,
      api_version: '2010-04-01',
      body,
      date_created: now,
      date_sent: null,
      date_updated: now,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: serviceSid ? null : from,
      messaging_service_sid: serviceSid,
      num_media: '0',
      num_segments: '1',
      price: null,
      price_unit: 'USD',
      sid,
      status: serviceSid ? 'accepted' : 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${options.accountSid}/Messages/${sid}.json`,
    };
    const delivered: Delivered = {
      provider: 'twilio',
      id: sid,
      to,
      from,
      body,
      statusCallback: form.get('StatusCallback'),
      messagingServiceSid: serviceSid,
      idempotencyKey: key,
    };
    return accept(delivered, key, json(201, resource));
  }

  function webhookSms(raw: RawRequest): Answer {
    if (raw.method !== 'POST') return json(405, { error: 'POST only' });
    const timestamp = header(raw, 'x-rapport-timestamp');
    const signature = /^v1=([0-9a-f]{64})$/.exec(header(raw, 'x-rapport-signature') ?? '');
    const mac = createHmac('sha256', options.webhookSecret).update(`${timestamp}.${raw.body}`).digest();
    if (!timestamp || !signature || !timingSafeEqual(Buffer.from(signature[1]!, 'hex'), mac)) {
      return json(401, { error: 'invalid signature' });
    }
    if (Math.abs(clock().getTime() / 1000 - Number(timestamp)) > 300) return json(401, { error: 'stale timestamp' });
    const key = header(raw, 'idempotency-key');
    if (!key) return json(400, { error: 'Idempotency-Key header is required' });
    const replay = idempotent && replays.get(`webhook:${key}`);
    if (replay) return replay;

    let message: Record<string, unknown>;
    try {
      message = JSON.parse(raw.body) as Record<string, unknown>;
    } catch {
      return json(400, { error: 'body must be JSON' });
    }
    if (typeof message.to !== 'string' || !E164.test(message.to)) return json(400, { error: "'to' must be a phone number in E.164" });
    if (typeof message.body !== 'string' || !message.body) return json(400, { error: "'body' must not be empty" });
    const id = `wh_${hex(12)}`;
    const delivered: Delivered = {
      provider: 'webhook',
      id,
      to: message.to,
      from: typeof message.from === 'string' ? message.from : null,
      body: message.body,
      statusCallback: typeof message.statusCallbackUrl === 'string' ? message.statusCallbackUrl : null,
      messagingServiceSid: null,
      idempotencyKey: key,
    };
    return accept(delivered, idempotent ? key : null, json(202, { messageId: id }));
  }

  function misbehave(res: ServerResponse, fault: Fault & { kind: 'hang-up' | 'stall' }): void {
    if (fault.kind === 'hang-up') res.socket?.destroy();
    else stalled.add(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw: RawRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    attempts.push(raw);
    const isWebhook = raw.path === '/webhook/sms';
    const fault = faults.shift();
    if (fault?.kind === 'status') {
      const retryAfter: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
      const answer = isWebhook
        ? json(fault.status, { error: `failing on purpose with ${fault.status}` }, retryAfter)
        : fault.status === 429
          ? twilioError(429, 20429, 'Too Many Requests', retryAfter)
          : twilioError(fault.status, 20500, 'An internal server error has occurred', retryAfter);
      return send(res, answer);
    }
    if (fault && !fault.afterAccepting) return misbehave(res, fault);
    const answer = isWebhook ? webhookSms(raw) : twilioMessages(raw);
    if (fault) return misbehave(res, fault);
    send(res, answer);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, json(500, { error: String(error) })));
  });
  // Idle keep-alive connections stay open until close(): a provider closing one while a send on the
  // same process's event loop is about to reuse it would fail that send as a transient network error.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const queue = (count: number, fault: Fault) => {
    for (let i = 0; i < count; i++) faults.push(fault);
  };
  const delivery = (key: string) => {
    const found = deliveries.get(key);
    if (!found?.statusCallback) throw new Error(`no delivery ${key} with a status callback URL`);
    return found;
  };

  return {
    baseUrl: origin,
    webhookUrl: `${origin}/webhook/sms`,
    attempts,
    deliveries,
    failNext: (count, status, retryAfter) => queue(count, { kind: 'status', status, ...(retryAfter ? { retryAfter } : {}) }),
    hangUpNext: (count, opts) => queue(count, { kind: 'hang-up', afterAccepting: opts?.afterAccepting ?? false }),
    stallNext: (count, opts) => queue(count, { kind: 'stall', afterAccepting: opts?.afterAccepting ?? false }),
    twilioStatusCallback(key, messageStatus, errorCode) {
      const d = delivery(key);
      const params: Record<string, string> = {
        AccountSid: options.accountSid,
        ApiVersion: '2010-04-01',
        From: d.from ?? '',
        To: d.to,
        MessageSid: d.id,
        SmsSid: d.id,
        MessageStatus: messageStatus,
        SmsStatus: messageStatus,
        ...(d.messagingServiceSid ? { MessagingServiceSid: d.messagingServiceSid } : {}),
        ...(errorCode ? { ErrorCode: errorCode } : {}),
      };
      return postTwilioSigned(d.statusCallback!, params, options.authToken);
    },
    webhookStatusCallback(key, status, reason) {
      const d = delivery(key);
      return postWebhookSigned(d.statusCallback!, { messageId: d.id, status, reason: reason ?? null }, options.webhookSecret, clock());
    },
    async close() {
      for (const res of stalled) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(raw: RawRequest, name: string): string | null {
  const value = raw.headers[name];
  return typeof value === 'string' && value ? value : null;
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** The X-Twilio-Signature Twilio would send, computed by the `twilio` package. */
export const twilioSignature = (authToken: string, url: string, params: Record<string, string | string[]>) =>
  getExpectedTwilioSignature(authToken, url, params);

/**
 * POSTs a form signed as Twilio signs webhooks. `signedUrl` is the URL configured at Twilio when
 * the request reaches the server under another (a proxy, a loopback port); it defaults to `url`.
 */
export async function postTwilioSigned(
  url: string,
  params: Record<string, string>,
  authToken: string,
  options: { signedUrl?: string; signature?: string } = {},
): Promise<Reply> {
  const signature = options.signature ?? twilioSignature(authToken, options.signedUrl ?? url, params);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** POSTs JSON signed as the webhook contract says (X-Rapport-Timestamp, X-Rapport-Signature). */
export async function postWebhookSigned(url: string, payload: unknown, secret: string, now: Date): Promise<Reply> {
  const body = JSON.stringify(payload);
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-rapport-timestamp': timestamp, 'x-rapport-signature': `v1=${signature}` },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The fields of Twilio's inbound-message webhook for a plain SMS, as Twilio sends them. */
export function twilioInboundParams(accountSid: string, fields: { from: string; to: string; body: string; sid?: string }): Record<string, string> {
  const sid = fields.sid ?? `SM${hex(16)}`;
  return {
    ToCountry: 'US',
    ToState: 'CA',
    SmsMessageSid: sid,
    NumMedia: '0',
    ToCity: '',
    FromZip: '',
    SmsSid: sid,
    FromState: 'CA',
    SmsStatus: 'received',
    FromCity: '',
    Body: fields.body,
    FromCountry: 'US',
    To: fields.to,
    ToZip: '',
    NumSegments: '1',
    MessageSid: sid,
    AccountSid: accountSid,
    From: fields.from,
    ApiVersion: '2010-04-01',
  };
}
