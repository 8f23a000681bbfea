import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Signing, Stripe-style: `Rapport-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The key is the secret string as UTF-8, prefix included. For a day after a rotation the header
 * carries a second v1 made with the previous secret, so receivers can switch without losing events.
 */

export const SIGNATURE_HEADER = 'rapport-signature';
/** How far a receiver should let a timestamp be from its own clock (what verifySignature uses). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: `whsec_` and 32 random bytes, base64url. */
export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

export const hmacHex = (secret: string, timestamp: number, body: string): string =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/** The header value for `body` sent at `timestamp` (unix seconds), signed by each secret given. */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${hmacHex(s, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does (and what the tests do): parse the header, refuse a timestamp too far from
 * now, and compare each v1 with the expected HMAC in constant time.
 */
export function verifySignature(secret: string, header: string | undefined, body: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): boolean {
  if (!header) return false;
  const parts = header.split(',').map((p) => p.trim().split('=') as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, t, body), 'hex');
  return parts.some(([k, v]) => {
    if (k !== 'v1' || !v || !/^[0-9a-f]{64}$/.test(v)) return false;
    return timingSafeEqual(Buffer.from(v, 'hex'), expected);
  });
}
