import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { withSystem, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { conflict, forbidden, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { hashSecret } from '../auth/secrets.ts';
import { appointmentCalendar, type CalendarAppointment } from './ics.ts';

/**
 * Calendars: a practitioner's private subscription feeds (a secret URL a calendar app polls,
 * revocable), and the .ics file of one appointment. Only the SHA-256 of a feed's token is stored;
 * the URL is shown once, when the feed is created.
 */

export type CalendarFeed = {
  id: string;
  label: string | null;
  createdAt: string;
  createdBy: { id: string; name: string } | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

export type NewCalendarFeed = { id: string; url: string; label: string | null; createdAt: string };

/** How far back and ahead a feed reaches, and how often apps are asked to refresh it. */
export const FEED_DAYS_BACK = 30;
export const FEED_DAYS_AHEAD = 365;
export const FEED_REFRESH_MINUTES = 15;
/** Enough for every device a practitioner has; more usually means URLs nobody revoked. */
const MAX_ACTIVE_FEEDS = 20;
const DAY_MS = 86_400_000;

/** 32 random bytes, base64url: 43 characters. Anything else cannot be a feed token. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The user acting, whether signed in or through an API token; null for the system or the public. */
function actingUser(scope: TenantScope): { id: string; admin: boolean } | null {
  const a = scope.actor;
  if (a.type === 'user') return { id: a.id, admin: a.role === 'admin' };
  if (a.type === 'api_token') return { id: a.userId, admin: a.role === 'admin' };
  return null;
}

/**
 * A practitioner's feeds are theirs: an administrator, or the staff user linked to that
 * practitioner, may manage them. Another clinic's practitioner (or a malformed id) is a 404.
 */
async function requireFeedOwner(scope: TenantScope, practitionerId: string, action: string): Promise<void> {
  const practitioner = isUuid(practitionerId)
    ? await scope.tx.selectFrom('practitioner').select(['id', 'user_id']).where('id', '=', practitionerId).executeTakeFirst()
    : undefined;
  if (!practitioner) throw notFound('Practitioner');
  const user = actingUser(scope);
  if (user && (user.admin || practitioner.user_id === user.id)) return;
  await scope.audit({ action, entityType: 'practitioner', entityId: practitionerId, outcome: 'denied', detail: { reason: 'not_own_calendar' } });
  throw forbidden('Only an administrator or the practitioner themselves can manage their calendar feeds.');
}

/** Creates a feed and returns its URL, the only time the token is ever shown. */
export async function createCalendarFeed(
  scope: TenantScope,
  input: { practitionerId: string; label?: string | null | undefined; baseUrl: string; now: Date },
): Promise<NewCalendarFeed> {
  await requireFeedOwner(scope, input.practitionerId, 'calendar.feed.create');
  const active = await scope.tx
    .selectFrom('calendar_feed')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('practitioner_id', '=', input.practitionerId)
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(active.n) >= MAX_ACTIVE_FEEDS) {
    throw conflict(`This practitioner already has ${MAX_ACTIVE_FEEDS} calendar feeds; revoke one before adding another.`);
  }
  const token = randomBytes(32).toString('base64url');
  const user = actingUser(scope);
  const row = await scope.tx
    .insertInto('calendar_feed')
    .values({
      tenant_id: scope.tenantId,
      practitioner_id: input.practitionerId,
      token_hash: hashSecret(token),
      label: input.label?.trim() || null,
      created_by: user?.id ?? null,
      created_at: input.now,
    })
    .returning(['id', 'label', 'created_at'])
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'calendar.feed.create', entityType: 'calendar_feed', entityId: row.id, detail: { practitionerId: input.practitionerId } });
  return { id: row.id, url: feedUrl(input.baseUrl, token), label: row.label, createdAt: iso(row.created_at)! };
}

export const feedUrl = (baseUrl: string, token: string) => `${baseUrl.replace(/\/$/, '')}/calendar/feeds/${token}.ics`;

/** A practitioner's feeds, revoked ones included, newest first; never their tokens. */
export async function listCalendarFeeds(scope: TenantScope, practitionerId: string): Promise<CalendarFeed[]> {
  await requireFeedOwner(scope, practitionerId, 'calendar.feed.list');
  const rows = await scope.tx
    .selectFrom('calendar_feed as f')
    .leftJoin('app_user as u', 'u.id', 'f.created_by')
    .select(['f.id', 'f.label', 'f.created_at', 'f.last_used_at', 'f.revoked_at', 'f.created_by', 'u.display_name'])
    .where('f.practitioner_id', '=', practitionerId)
    .orderBy('f.created_at', 'desc')
    .orderBy('f.id')
    .execute();
  await scope.audit({ action: 'calendar.feed.list', entityType: 'practitioner', entityId: practitionerId });
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    createdAt: iso(r.created_at)!,
    createdBy: r.created_by ? { id: r.created_by, name: r.display_name ?? '' } : null,
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  }));
}

/** Revokes a feed: its URL answers 404 from now on. Revoking twice keeps the first time. */
export async function revokeCalendarFeed(scope: TenantScope, practitionerId: string, feedId: string, now: Date): Promise<void> {
  await requireFeedOwner(scope, practitionerId, 'calendar.feed.revoke');
  const feed = isUuid(feedId)
    ? await scope.tx
        .selectFrom('calendar_feed')
        .select(['id', 'revoked_at'])
        .where('id', '=', feedId)
        .where('practitioner_id', '=', practitionerId)
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  if (!feed) throw notFound('Calendar feed');
  if (!feed.revoked_at) {
    await scope.tx.updateTable('calendar_feed').set({ revoked_at: now }).where('id', '=', feedId).execute();
  }
  await scope.audit({ action: 'calendar.feed.revoke', entityType: 'calendar_feed', entityId: feedId, detail: { practitionerId } });
}

/**
 * Finds the feed a token opens, before any tenant is known (like an API token): only the token's
 * hash is compared. A malformed token finds nothing without touching the database.
 */
export async function findCalendarFeed(
  db: Kysely<DB>,
  token: string,
): Promise<{ tenantId: string; feedId: string; revoked: boolean } | null> {
  if (!TOKEN.test(token)) return null;
  const row = await withSystem(db, (tx) =>
    tx.selectFrom('calendar_feed').select(['tenant_id', 'id', 'revoked_at']).where('token_hash', '=', hashSecret(token)).executeTakeFirst(),
  );
  return row ? { tenantId: row.tenant_id, feedId: row.id, revoked: row.revoked_at !== null } : null;
}

/**
 * The feed's calendar: its practitioner's appointments from 30 days ago to a year ahead, with
 * those cancelled in the last 30 days marked CANCELLED so subscribed apps take them off. Read in
 * the feed's tenant, audited (it carries patient names). A revoked feed, an inactive practitioner
 * or a disabled linked user is a 404, the same as an unknown token.
 */
export async function practitionerFeedCalendar(scope: TenantScope, feedId: string, now: Date): Promise<string> {
  const feed = await scope.tx
    .selectFrom('calendar_feed as f')
    .innerJoin('practitioner as p', 'p.id', 'f.practitioner_id')
    .leftJoin('app_user as u', 'u.id', 'p.user_id')
    .innerJoin('tenant as t', 't.id', 'f.tenant_id')
    .select(['f.id', 'f.revoked_at', 'f.last_used_at', 'p.id as practitioner_id', 'p.prefix', 'p.given_name', 'p.family_name', 'p.active', 'u.disabled_at', 't.name as clinic_name'])
    .where('f.id', '=', feedId)
    .executeTakeFirst();
  const refusal = !feed ? 'unknown' : feed.revoked_at ? 'revoked' : !feed.active ? 'practitioner_inactive' : feed.disabled_at ? 'user_disabled' : null;
  if (!feed || refusal) {
    await scope.audit({ action: 'calendar.feed.read', entityType: 'calendar_feed', entityId: feedId, outcome: 'denied', detail: { reason: refusal } });
    throw notFound('Calendar feed');
  }
  const from = new Date(now.getTime() - FEED_DAYS_BACK * DAY_MS);
  const until = new Date(now.getTime() + FEED_DAYS_AHEAD * DAY_MS);
  const appointments = await calendarAppointments(scope, (q) =>
    q
      .where('a.practitioner_id', '=', feed.practitioner_id)
      .where('a.starts_at', '>=', from)
      .where('a.starts_at', '<', until)
      .where((eb) =>
        eb.or([
          eb('a.status', '!=', 'cancelled'),
          eb(eb.fn.coalesce('a.cancelled_at', 'a.updated_at'), '>=', from),
        ]),
      ),
  );
  if (!feed.last_used_at || now.getTime() - feed.last_used_at.getTime() > 60_000) {
    await scope.tx.updateTable('calendar_feed').set({ last_used_at: now }).where('id', '=', feedId).execute();
  }
  await scope.audit({
    action: 'calendar.feed.read',
    entityType: 'calendar_feed',
    entityId: feedId,
    detail: {
      practitionerId: feed.practitioner_id,
      appointments: appointments.length,
      patients: new Set(appointments.map((a) => a.patientId)).size,
      from: from.toISOString(),
      until: until.toISOString(),
    },
  });
  const practitioner = [feed.prefix, feed.given_name, feed.family_name].filter(Boolean).join(' ');
  return appointmentCalendar(appointments, {
    audience: 'practitioner',
    feed: { name: `${practitioner} - ${feed.clinic_name}`, refreshMinutes: FEED_REFRESH_MINUTES, publishedAt: now },
  });
}

/**
 * The .ics file of one appointment, for the patient's own calendar (staff download it for them;
 * the public booking page offers it on confirmation). Audited with the patient. A malformed id or
 * another clinic's appointment is a 404.
 */
export async function appointmentIcs(scope: TenantScope, appointmentId: string): Promise<string> {
  const [appointment] = isUuid(appointmentId) ? await calendarAppointments(scope, (q) => q.where('a.id', '=', appointmentId)) : [];
  if (!appointment) throw notFound('Appointment');
  await scope.audit({ action: 'appointment.ics', entityType: 'appointment', entityId: appointment.id, patientId: appointment.patientId });
  return appointmentCalendar([appointment], { audience: 'patient' });
}

function appointmentRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('appointment as a')
    .innerJoin('patient as p', 'p.id', 'a.patient_id')
    .innerJoin('practitioner as pr', 'pr.id', 'a.practitioner_id')
    .innerJoin('location as l', 'l.id', 'a.location_id')
    .innerJoin('service as s', 's.id', 'a.service_id')
    .select([
      'a.id', 'a.version', 'a.status', 'a.starts_at', 'a.ends_at', 'a.created_at', 'a.updated_at', 'a.patient_id',
      'p.given_name', 'p.family_name', 'p.preferred_name',
      'pr.prefix', 'pr.given_name as practitioner_given', 'pr.family_name as practitioner_family',
      'l.name as location_name', 'l.address_line', 'l.postal_code', 'l.city', 'l.phone as location_phone', 'l.time_zone',
      's.name as service_name',
    ]);
}

type AppointmentRows = ReturnType<typeof appointmentRows>;

async function calendarAppointments(
  scope: TenantScope,
  filter: (q: AppointmentRows) => AppointmentRows,
): Promise<Array<CalendarAppointment & { patientId: string }>> {
  const rows = await filter(appointmentRows(scope)).orderBy('a.starts_at').orderBy('a.id').execute();
  return rows.map((r) => ({
    id: r.id,
    patientId: r.patient_id,
    version: r.version,
    status: r.status,
    startsAt: new Date(r.starts_at),
    endsAt: new Date(r.ends_at),
    serviceName: r.service_name,
    practitionerName: [r.prefix, r.practitioner_given, r.practitioner_family].filter(Boolean).join(' '),
    patientName: `${r.preferred_name || r.given_name} ${r.family_name}`,
    location: {
      name: r.location_name,
      address: [r.address_line, [r.postal_code, r.city].filter(Boolean).join(' ')].filter(Boolean).join(', ') || null,
      phone: r.location_phone,
      timeZone: r.time_zone,
    },
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  }));
}
