import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ChannelAdapter, DeliveryReport, InboundSms, OutgoingMessage, SendResult } from '../types.ts';

/**
 * A generic HTTP webhook SMS channel, for providers (or a clinic's own gateway) without a
 * dedicated adapter. Rapport POSTs JSON signed with a shared secret; the gateway answers with its
 * message id, and reports delivery and inbound texts back in the same signed JSON shape.
 *
 * Signature: `X-Rapport-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` with
 * `X-Rapport-Timestamp: <unix seconds>`, so a captured request cannot be replayed later or altered.
 *
 * The HTTP plumbing below (`postOnce`, `retryAfterSeconds`, ...) is shared with the Twilio adapter.
 */

/** What a webhook parser made of a request: the value, or every problem found, for a 400. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Enough of a provider's answer to debug a failure, without storing pages of HTML. */
export const RESPONSE_LIMIT = 2000;

export const truncate = (text: string, limit = RESPONSE_LIMIT) => (text.length > limit ? `${text.slice(0, limit)}…` : text);

/** What one HTTP attempt came to: an answer of any status, or none at all. */
export type HttpAnswer = { status: number; headers: Headers; text: string } | { unanswered: string };

/**
 * One POST with a deadline covering the answer's body too. Redirects are not followed: fetch
 * would turn a redirected POST into a GET, so a 3xx is returned as an answer (a misconfiguration).
 */
export async function postOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<HttpAnswer> {
  try {
    const response = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, headers: response.headers, text: await response.text() };
  } catch (error) {
    return { unanswered: describeNetworkError(error, timeoutMs) };
  }
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : String(error);
  return `connection failed (${detail})`;
}

/** Statuses worth trying again: the request timed out, was throttled, or the server failed. */
export const isTransientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** Retry-After in seconds; an HTTP-date form is ignored (the outbox's own backoff applies). */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const value = headers.get('retry-after')?.trim();
  return value && /^\d{1,7}$/.test(value) ? Number(value) : undefined;
}

/** The result for an attempt that got no answer, or an answer worth retrying. */
export function retryResult(provider: string, answer: HttpAnswer): SendResult {
  if ('unanswered' in answer) return { outcome: 'retry', reason: `${provider}: ${answer.unanswered}` };
  return {
    outcome: 'retry',
    reason: `${provider}: HTTP ${answer.status}`,
    response: truncate(answer.text),
    retryAfterSeconds: retryAfterSeconds(answer.headers),
  };
}

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const hmacHex = (secret: string, timestamp: string, rawBody: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');

export type WebhookSmsOptions = {
  url: string;
  secret: string;
  /** Stamps each request; tests pass a manual clock. */
  clock?: () => Date;
  timeoutMs?: number;
};

export function webhookSmsAdapter(options: WebhookSmsOptions): ChannelAdapter {
  const clock = options.clock ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    provider: 'webhook',
    async send(message: OutgoingMessage): Promise<SendResult> {
      const body = JSON.stringify({
        id: message.idempotencyKey,
        to: message.to,
        from: message.from,
        body: message.text,
        statusCallbackUrl: message.statusCallbackUrl ?? null,
      });
      const timestamp = String(Math.floor(clock().getTime() / 1000));
      const answer = await postOnce(
        options.url,
        {
          'content-type': 'application/json',
          'idempotency-key': message.idempotencyKey,
          'x-rapport-timestamp': timestamp,
          'x-rapport-signature': `v1=${hmacHex(options.secret, timestamp, body)}`,
        },
        body,
        timeoutMs,
      );
      if ('unanswered' in answer || isTransientStatus(answer.status)) return retryResult('Webhook', answer);
      const json = parseJson(answer.text) as Record<string, unknown> | null | undefined;
      if (answer.status >= 200 && answer.status < 300) {
        const id = json?.messageId;
        return { outcome: 'sent', providerMessageId: typeof id === 'string' && id ? id : null, response: truncate(answer.text) };
      }
      const error = typeof json?.error === 'string' ? json.error : answer.text.trim().slice(0, 200);
      return {
        outcome: 'failed',
        reason: error ? `Webhook ${answer.status}: ${error}` : `Webhook HTTP ${answer.status}`,
        response: truncate(answer.text),
      };
    },
  };
}

const SIGNATURE = /^v1=([0-9a-f]{64})$/;

/**
 * Checks a request signed like ours: a fresh timestamp (either side of `now`, within the
 * tolerance) and the MAC over "<timestamp>.<raw body>", compared in constant time. The raw body is
 * the exact bytes received, before any JSON parsing.
 */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string,
  timestamp: string | undefined,
  signature: string | undefined,
  now: Date,
  toleranceSeconds = 300,
): { ok: true } | { ok: false; reason: string } {
  if (!timestamp) return { ok: false, reason: 'X-Rapport-Timestamp is missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'X-Rapport-Timestamp must be unix seconds' };
  if (!signature) return { ok: false, reason: 'X-Rapport-Signature is missing' };
  const given = SIGNATURE.exec(signature.trim());
  if (!given) return { ok: false, reason: 'X-Rapport-Signature must be v1=<64 hex digits>' };
  const expected = Buffer.from(hmacHex(secret, timestamp, rawBody), 'hex');
  if (!timingSafeEqual(Buffer.from(given[1]!, 'hex'), expected)) return { ok: false, reason: 'X-Rapport-Signature does not match' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > toleranceSeconds) {
    return { ok: false, reason: `X-Rapport-Timestamp is more than ${toleranceSeconds} s from now` };
  }
  return { ok: true };
}

const text = (max: number) => z.string({ error: 'must be a string' }).max(max, `must be at most ${max} characters`);
const required = (max: number) => text(max).min(1, 'must not be empty');

const statusSchema = z.object(
  {
    messageId: required(200),
    status: z.enum(['sent', 'delivered', 'failed'], { error: 'must be sent, delivered or failed' }),
    reason: text(1000).nullish(),
  },
  { error: 'must be a JSON object' },
);

const inboundSchema = z.object(
  { messageId: required(200), from: required(50), to: required(50), body: text(10_000) },
  { error: 'must be a JSON object' },
);

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'request body'} ${issue.message}`);
}

/** A delivery report from the gateway: {messageId, status: sent|delivered|failed, reason?}. */
export function parseWebhookStatus(json: unknown): Parsed<DeliveryReport> {
  const parsed = statusSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  const { messageId, status, reason } = parsed.data;
  return { ok: true, value: { provider: 'webhook', providerMessageId: messageId, status, reason: reason ?? null } };
}

/** A text a patient sent in through the gateway: {messageId, from, to, body}. */
export function parseWebhookInbound(json: unknown, receivedAt: Date): Parsed<InboundSms> {
  const parsed = inboundSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error) };
  const { messageId, from, to, body } = parsed.data;
  return { ok: true, value: { provider: 'webhook', providerMessageId: messageId, from, to, body, receivedAt } };
}
