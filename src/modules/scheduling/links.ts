import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { withSystem, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { AppError } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';

/**
 * Signed links sent to patients (manage a booking): no account, no stored token. A link carries
 * its claims in the clear (tenant, appointment, patient, purpose, expiry) and an HMAC-SHA256 of
 * them under the tenant's own key, so it cannot be altered, moved to another clinic, or used past
 * its expiry. Clearing `tenant.link_key` revokes every link the clinic ever sent.
 *
 * Token: base64url(JSON {t, a, p, k, e}) + '.' + base64url(HMAC-SHA256(key, first part)).
 */

/**
 * manage: an appointment (confirm, cancel, reschedule); survey: the visit survey of an appointment;
 * offer: a waitlist offer (the subject is the offer); preferences: the patient's communication
 * preferences (the subject is the patient).
 */
export type LinkPurpose = 'manage' | 'survey' | 'offer' | 'preferences';

export type LinkClaims = {
  tenantId: string;
  /** What the link is about: an appointment, or the offer or patient its purpose names. */
  appointmentId: string;
  patientId: string;
  purpose: LinkPurpose;
  /** Unix seconds. */
  expiresAt: number;
};

const DAY_MS = 86_400_000;
/** A link keeps working this long after the visit ends (a late question, a rebooking). */
export const LINK_DAYS_AFTER_VISIT = 7;
/** And never longer than this from when it was issued. */
export const LINK_MAX_DAYS = 120;

const PURPOSES: readonly LinkPurpose[] = ['manage', 'survey', 'offer', 'preferences'];
const TOKEN = /^([A-Za-z0-9_-]{10,600})\.([A-Za-z0-9_-]{43})$/;

export const linkNotFound = () =>
  new AppError(404, 'link_not_found', 'This link is not valid. Check that the whole link was copied, or contact the clinic.');
export const linkExpired = () =>
  new AppError(410, 'link_expired', 'This link has expired. Please contact the clinic about your appointment.');

/** When a link for a visit ending at `endsAt`, issued at `issuedAt`, stops working (unix seconds). */
export function linkExpiry(endsAt: Date, issuedAt: Date): number {
  const until = Math.min(endsAt.getTime() + LINK_DAYS_AFTER_VISIT * DAY_MS, issuedAt.getTime() + LINK_MAX_DAYS * DAY_MS);
  return Math.floor(until / 1000);
}

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest();

export function signLink(key: Buffer, claims: LinkClaims): string {
  const body = { t: claims.tenantId, a: claims.appointmentId, p: claims.patientId, k: claims.purpose, e: claims.expiresAt };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/**
 * The claims a token states, not yet verified (they say whose key verifies it), or null when it is
 * not shaped like a link at all.
 */
export function readLinkClaims(token: string): LinkClaims | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(m[1]!, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const { t, a, p, k, e } = body as Record<string, unknown>;
  if (typeof t !== 'string' || !isUuid(t) || typeof a !== 'string' || !isUuid(a) || typeof p !== 'string' || !isUuid(p)) return null;
  if (typeof k !== 'string' || !PURPOSES.includes(k as LinkPurpose)) return null;
  if (typeof e !== 'number' || !Number.isSafeInteger(e)) return null;
  return { tenantId: t, appointmentId: a, patientId: p, purpose: k as LinkPurpose, expiresAt: e };
}

/**
 * Checks a token against the key it claims and the purpose it is used for: a malformed or
 * altered token, or one for another purpose, is a 404; a genuine but expired one is a 410.
 */
export function verifyLink(key: Buffer | null, token: string, purpose: LinkPurpose, now: Date): LinkClaims {
  const claims = readLinkClaims(token);
  if (!claims || !key) throw linkNotFound();
  const [payload, signature] = token.split('.') as [string, string];
  // Compared as text: base64url has spare bits, so two spellings could decode to the same bytes.
  const given = Buffer.from(signature);
  const expected = Buffer.from(mac(key, payload).toString('base64url'));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw linkNotFound();
  if (claims.purpose !== purpose) throw linkNotFound();
  if (claims.expiresAt * 1000 <= now.getTime()) throw linkExpired();
  return claims;
}

/** The clinic's link key, created on first use (32 random bytes); concurrent first uses agree on one. */
export async function ensureTenantLinkKey(db: Kysely<DB>, tenantId: string): Promise<Buffer> {
  return withSystem(db, async (tx) => {
    await tx.updateTable('tenant').set({ link_key: randomBytes(32) }).where('id', '=', tenantId).where('link_key', 'is', null).execute();
    const row = await tx.selectFrom('tenant').select('link_key').where('id', '=', tenantId).executeTakeFirst();
    if (!row?.link_key) throw new Error(`tenant ${tenantId} has no link key`);
    return Buffer.from(row.link_key);
  });
}

export type LinkTenant = { id: string; name: string; slug: string };

/**
 * Verifies a link before any tenant is known: the tenant it names, with its key. Reading the key
 * is cross-tenant work (withSystem); nothing about patients is read here.
 */
export async function resolveLink(
  db: Kysely<DB>,
  token: string,
  purpose: LinkPurpose,
  now: Date,
): Promise<{ claims: LinkClaims; tenant: LinkTenant; key: Buffer }> {
  const stated = readLinkClaims(token);
  if (!stated) throw linkNotFound();
  const tenant = await withSystem(db, (tx) =>
    tx.selectFrom('tenant').select(['id', 'name', 'slug', 'link_key']).where('id', '=', stated.tenantId).executeTakeFirst(),
  );
  const key = tenant?.link_key ? Buffer.from(tenant.link_key) : null;
  const claims = verifyLink(key, token, purpose, now);
  return { claims, tenant: { id: tenant!.id, name: tenant!.name, slug: tenant!.slug }, key: key! };
}

/**
 * The appointment a verified link is about, still that patient's (a merge or a correction may have
 * moved it); otherwise the link is refused as not found, and the refusal audited.
 */
export async function requireLinkedAppointment(scope: TenantScope, claims: LinkClaims): Promise<{ id: string; patientId: string }> {
  const row = await scope.tx.selectFrom('appointment').select(['id', 'patient_id']).where('id', '=', claims.appointmentId).executeTakeFirst();
  if (!row || row.patient_id !== claims.patientId) {
    await scope.audit({
      action: 'booking_link.use',
      entityType: 'appointment',
      entityId: claims.appointmentId,
      outcome: 'denied',
      detail: { reason: row ? 'patient_changed' : 'appointment_missing', purpose: claims.purpose },
    });
    throw linkNotFound();
  }
  return { id: row.id, patientId: row.patient_id };
}

/** A manage link for an appointment, as the path the patient opens. */
export function manageLinkPath(key: Buffer, input: { tenantId: string; appointmentId: string; patientId: string; endsAt: Date; now: Date }): string {
  const token = signLink(key, {
    tenantId: input.tenantId,
    appointmentId: input.appointmentId,
    patientId: input.patientId,
    purpose: 'manage',
    expiresAt: linkExpiry(input.endsAt, input.now),
  });
  return `/book/manage/${token}`;
}
