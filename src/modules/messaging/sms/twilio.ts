import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChannelAdapter, DeliveryReport, InboundSms, OutgoingMessage, SendResult } from '../types.ts';
import { DEFAULT_TIMEOUT_MS, isTransientStatus, parseJson, postOnce, retryResult, truncate, type Parsed } from './webhook.ts';

/**
 * Twilio Programmable Messaging, over its documented REST API (2010-04-01) rather than the SDK:
 * one form POST per message, Twilio's error JSON mapped to the outbox's retry/failed, and the
 * webhooks Twilio sends back (status callbacks, inbound texts) checked by X-Twilio-Signature.
 */

export type TwilioOptions = {
  accountSid: string;
  authToken: string;
  /** The clinic's Twilio number, used when a message has no sender of its own. */
  from: string;
  /** Default https://api.twilio.com; tests point it at a loopback server. */
  baseUrl?: string;
  /** Send through a Messaging Service, which picks the sender, instead of From. */
  messagingServiceSid?: string;
  timeoutMs?: number;
};

export function twilioAdapter(options: TwilioOptions): ChannelAdapter {
  const baseUrl = (options.baseUrl ?? 'https://api.twilio.com').replace(/\/+$/, '');
  const endpoint = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    provider: 'twilio',
    async send(message: OutgoingMessage): Promise<SendResult> {
      const form = new URLSearchParams({ To: message.to, Body: message.text });
      if (options.messagingServiceSid) form.set('MessagingServiceSid', options.messagingServiceSid);
      else form.set('From', message.from || options.from);
      if (message.statusCallbackUrl) form.set('StatusCallback', message.statusCallbackUrl);
      const headers = {
        authorization,
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
        // Twilio does not document deduplication on its REST API; a provider that does can use it.
        'i-twilio-idempotency-token': message.idempotencyKey,
      };
      const answer = await postOnce(endpoint, headers, form.toString(), timeoutMs);
      if ('unanswered' in answer || isTransientStatus(answer.status)) return retryResult('Twilio', answer);
      const json = parseJson(answer.text) as Record<string, unknown> | null | undefined;
      if (answer.status >= 200 && answer.status < 300) {
        // Accepted without a readable sid is still accepted: sending again could text twice.
        const sid = typeof json?.sid === 'string' && json.sid ? json.sid : null;
        return { outcome: 'sent', providerMessageId: sid, response: truncate(answer.text) };
      }
      return { outcome: 'failed', reason: refusalReason(answer.status, json), response: truncate(answer.text) };
    },
  };
}

/** "Twilio 21211: The 'To' number ... is not a valid phone number." from Twilio's error JSON. */
function refusalReason(status: number, json: Record<string, unknown> | null | undefined): string {
  const code = typeof json?.code === 'number' || typeof json?.code === 'string' ? String(json.code) : null;
  const message = typeof json?.message === 'string' ? json.message : null;
  if (code) return `Twilio ${code}: ${message ?? `HTTP ${status}`}`;
  return message ? `Twilio HTTP ${status}: ${message}` : `Twilio HTTP ${status}`;
}

// Webhooks from Twilio

/** A webhook's form fields as a form parser hands them over (a repeated field is an array). */
export type TwilioParams = Record<string, string | string[] | undefined>;

const hmacSha1 = (authToken: string, data: string) => createHmac('sha1', authToken).update(data, 'utf8').digest();

/**
 * The string Twilio signs: the URL, then each POST field name followed by its value, by name. A
 * repeated field contributes each distinct value, sorted, as Twilio's helper library does.
 */
function signedPayload(url: string, params: TwilioParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const v of values) data += name + v;
  }
  return data;
}

/** `url` with its authority's explicit port removed, or the scheme's default port added. */
function portVariants(url: string): string[] {
  const m = /^(https?:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*))(:\d+)?(.*)$/is.exec(url);
  if (!m) return [url];
  const [, origin = '', port, rest = ''] = m;
  if (port) return [url, origin + rest];
  return [url, origin + (/^https/i.test(origin) ? ':443' : ':80') + rest];
}

/**
 * Checks X-Twilio-Signature: base64 HMAC-SHA1, keyed by the auth token, of the full URL Twilio
 * requested followed by the POST fields (see `signedPayload`). `url` must be the public URL as
 * configured at Twilio (scheme, host, path and query), not one rebuilt from a proxied request.
 * Twilio may sign the URL with or without an explicit port, so both forms are tried.
 */
export function verifyTwilioSignature(authToken: string, url: string, params: TwilioParams, signature: string | undefined): boolean {
  if (!signature) return false;
  const given = Buffer.from(signature, 'utf8');
  let valid = false;
  for (const candidate of portVariants(url)) {
    const expected = Buffer.from(hmacSha1(authToken, signedPayload(candidate, params)).toString('base64'), 'utf8');
    // The length of a SHA-1 signature is public, so checking it first leaks nothing.
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  return valid;
}

/** Reads one field; a missing (or, when `nonEmpty`, blank) or repeated field becomes a problem. */
function field(params: TwilioParams, name: string, problems: string[], nonEmpty = true): string {
  const value = params[name];
  if (Array.isArray(value)) problems.push(`${name} must appear once`);
  else if (value === undefined || (nonEmpty && value.trim() === '')) problems.push(`${name} is missing`);
  else return value;
  return '';
}

const SID = /^[A-Z]{2}[0-9a-f]{32}$/i;

function messageSid(params: TwilioParams, problems: string[], names: string[]): string {
  const name = names.find((n) => params[n] !== undefined) ?? names[0]!;
  const sid = field(params, name, problems);
  if (sid && !SID.test(sid)) problems.push(`${name} is not a Twilio message SID`);
  return sid;
}

/** Twilio's message statuses as the outbox counts them; `receiving`/`received` are inbound only. */
const TWILIO_STATUSES = new Map<string, DeliveryReport['status']>([
  ['accepted', 'sent'],
  ['scheduled', 'sent'],
  ['queued', 'sent'],
  ['sending', 'sent'],
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'delivered'],
  ['failed', 'failed'],
  ['undelivered', 'failed'],
  ['canceled', 'failed'],
]);

/** Status callbacks carry ErrorCode but rarely ErrorMessage; these say what the usual ones mean. */
const DELIVERY_ERRORS: Record<string, string> = {
  '21610': 'Recipient has unsubscribed (replied STOP)',
  '30003': 'Unreachable destination handset',
  '30004': 'Message blocked',
  '30005': 'Unknown destination handset',
  '30006': 'Landline or unreachable carrier',
  '30007': 'Message filtered by the carrier',
  '30008': 'Unknown error',
};

/** A status callback (MessageSid, MessageStatus, ErrorCode, ErrorMessage) as a delivery report. */
export function parseTwilioStatusCallback(params: TwilioParams): Parsed<DeliveryReport> {
  const problems: string[] = [];
  const sid = messageSid(params, problems, ['MessageSid']);
  const twilioStatus = field(params, 'MessageStatus', problems);
  const status = TWILIO_STATUSES.get(twilioStatus);
  if (twilioStatus && !status) problems.push(`MessageStatus '${twilioStatus.slice(0, 40)}' is not an outbound message status`);
  const errorCode = params.ErrorCode === undefined ? '' : field(params, 'ErrorCode', problems, false).trim();
  const errorMessage = params.ErrorMessage === undefined ? '' : field(params, 'ErrorMessage', problems, false).trim();
  if (problems.length || !status) return { ok: false, problems };
  let reason: string | null = null;
  if (status === 'failed') {
    reason = errorCode
      ? `Twilio ${errorCode}: ${errorMessage || DELIVERY_ERRORS[errorCode] || twilioStatus}`
      : `Twilio: ${errorMessage || twilioStatus}`;
  }
  return { ok: true, value: { provider: 'twilio', providerMessageId: sid, status, reason } };
}

/** An inbound text from Twilio's messaging webhook (MessageSid or the older SmsMessageSid). */
export function parseTwilioInbound(params: TwilioParams, receivedAt: Date): Parsed<InboundSms> {
  const problems: string[] = [];
  const sid = messageSid(params, problems, ['MessageSid', 'SmsMessageSid']);
  const from = field(params, 'From', problems);
  const to = field(params, 'To', problems);
  // A picture-only message has an empty Body; Twilio still sends the field.
  const body = field(params, 'Body', problems, false);
  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { provider: 'twilio', providerMessageId: sid, from, to, body, receivedAt } };
}

// TwiML answers to Twilio's inbound webhook

const TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

/** Escapes text content; drops characters XML 1.0 cannot carry at all (most C0 controls). */
function xmlText(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#xD;');
}

/** No reply: Twilio expects a TwiML document even when there is nothing to say. */
export const twimlEmpty = () => `${TWIML_HEAD}<Response></Response>`;

/** A reply text to the sender (HELP and the like). */
export const twimlMessage = (text: string) => `${TWIML_HEAD}<Response><Message>${xmlText(text)}</Message></Response>`;
