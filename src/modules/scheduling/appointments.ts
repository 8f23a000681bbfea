import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { AppointmentAction, AppointmentStatus, BookedVia } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';

/** An appointment as the API shows it, with the names staff need beside it. */
export type AppointmentView = {
  id: string;
  status: AppointmentStatus;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  version: number;
  confirmedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  bookedVia: BookedVia;
  seriesId: string | null;
  notes: string | null;
  /** The clinician's care instructions for this visit (the follow-up falls back to the service's). */
  careInstructions: string | null;
  patient: { id: string; givenName: string; familyName: string; preferredName: string | null; birthDate: string | null; phone: string | null };
  practitioner: { id: string; name: string };
  location: { id: string; name: string; timeZone: string };
  service: { id: string; name: string; durationMinutes: number; mode: 'in_person' | 'video' };
  room: { id: string; name: string } | null;
};

export type AppointmentHistoryEntry = {
  action: AppointmentAction;
  fromStatus: AppointmentStatus | null;
  toStatus: AppointmentStatus;
  previousStartsAt: string | null;
  startsAt: string;
  reason: string | null;
  via: BookedVia;
  actor: { type: string; name: string | null };
  occurredAt: string;
};

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function appointmentQuery(scope: TenantScope) {
  return scope.tx
    .selectFrom('appointment as a')
    .innerJoin('patient as p', 'p.id', 'a.patient_id')
    .innerJoin('practitioner as pr', 'pr.id', 'a.practitioner_id')
    .innerJoin('location as l', 'l.id', 'a.location_id')
    .innerJoin('service as s', 's.id', 'a.service_id')
    .leftJoin('room as r', 'r.id', 'a.room_id')
    .select([
      'a.id', 'a.status', 'a.starts_at', 'a.ends_at', 'a.time_zone', 'a.version', 'a.confirmed_at', 'a.cancelled_at',
      'a.cancel_reason', 'a.booked_via', 'a.series_id', 'a.notes', 'a.care_instructions', 'a.patient_id',
      'p.given_name', 'p.family_name', 'p.preferred_name', 'p.birth_date', 'p.phone',
      'a.practitioner_id', 'pr.prefix', 'pr.given_name as practitioner_given', 'pr.family_name as practitioner_family',
      'a.location_id', 'l.name as location_name', 'l.time_zone as location_zone',
      'a.service_id', 's.name as service_name', 's.duration_minutes', 's.mode', 's.care_instructions as service_care_instructions',
      'a.room_id', 'r.name as room_name',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof appointmentQuery>['executeTakeFirstOrThrow']>>;

export const practitionerName = (p: { prefix: string | null; given_name: string; family_name: string }) =>
  [p.prefix, p.given_name, p.family_name].filter(Boolean).join(' ');

export function presentAppointment(r: Row): AppointmentView {
  return {
    id: r.id,
    status: r.status,
    startsAt: iso(r.starts_at)!,
    endsAt: iso(r.ends_at)!,
    timeZone: r.time_zone,
    version: r.version,
    confirmedAt: iso(r.confirmed_at),
    cancelledAt: iso(r.cancelled_at),
    cancelReason: r.cancel_reason,
    bookedVia: r.booked_via,
    seriesId: r.series_id,
    notes: r.notes,
    careInstructions: r.care_instructions,
    patient: {
      id: r.patient_id,
      givenName: r.given_name,
      familyName: r.family_name,
      preferredName: r.preferred_name,
      birthDate: r.birth_date,
      phone: r.phone,
    },
    practitioner: { id: r.practitioner_id, name: practitionerName({ prefix: r.prefix, given_name: r.practitioner_given, family_name: r.practitioner_family }) },
    location: { id: r.location_id, name: r.location_name, timeZone: r.location_zone },
    service: { id: r.service_id, name: r.service_name, durationMinutes: r.duration_minutes, mode: r.mode },
    room: r.room_id ? { id: r.room_id, name: r.room_name! } : null,
  };
}

/** One appointment, or 404 (also for a malformed id or another tenant's appointment). */
export async function getAppointment(scope: TenantScope, id: string): Promise<AppointmentView> {
  const row = isUuid(id) ? await appointmentQuery(scope).where('a.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('Appointment');
  return presentAppointment(row);
}

export async function appointmentHistory(scope: TenantScope, id: string): Promise<AppointmentHistoryEntry[]> {
  const rows = await scope.tx
    .selectFrom('appointment_event as e')
    .leftJoin('app_user as u', (join) => join.onRef('u.id', '=', 'e.actor_id').on('e.actor_type', 'in', ['user', 'api_token']))
    .select(['e.action', 'e.from_status', 'e.to_status', 'e.previous_starts_at', 'e.starts_at', 'e.reason', 'e.via', 'e.actor_type', 'u.display_name', 'e.occurred_at'])
    .where('e.appointment_id', '=', id)
    .orderBy('e.occurred_at')
    .execute();
  return rows.map((r) => ({
    action: r.action,
    fromStatus: r.from_status,
    toStatus: r.to_status,
    previousStartsAt: iso(r.previous_starts_at),
    startsAt: iso(r.starts_at)!,
    reason: r.reason,
    via: r.via,
    actor: { type: r.actor_type, name: r.display_name ?? (r.actor_type === 'public' ? 'Patient (booking page)' : r.actor_type === 'system' ? 'Rapport' : null) },
    occurredAt: iso(r.occurred_at)!,
  }));
}

export type AppointmentListQuery = {
  from?: Date | undefined;
  to?: Date | undefined;
  practitionerId?: string | undefined;
  locationId?: string | undefined;
  roomId?: string | undefined;
  patientId?: string | undefined;
  statuses?: AppointmentStatus[] | undefined;
  limit: number;
};

/** Appointments overlapping a time range (the calendar) or of one patient, audited with who was shown. */
export async function listAppointments(scope: TenantScope, query: AppointmentListQuery): Promise<AppointmentView[]> {
  let q = appointmentQuery(scope);
  if (query.from) q = q.where('a.ends_at', '>', query.from).where('a.starts_at', '>', new Date(query.from.getTime() - 86_400_000));
  if (query.to) q = q.where('a.starts_at', '<', query.to);
  if (query.practitionerId) q = q.where('a.practitioner_id', '=', query.practitionerId);
  if (query.locationId) q = q.where('a.location_id', '=', query.locationId);
  if (query.roomId) q = q.where('a.room_id', '=', query.roomId);
  if (query.patientId) q = q.where('a.patient_id', '=', query.patientId);
  if (query.statuses?.length) q = q.where('a.status', 'in', query.statuses);
  const rows = await q
    .orderBy(query.patientId && !query.from ? sql`a.starts_at desc` : sql`a.starts_at`)
    .orderBy('a.id')
    .limit(query.limit)
    .execute();
  const items = rows.map(presentAppointment);
  await scope.audit({
    action: 'appointment.list',
    entityType: 'appointment',
    ...(query.patientId ? { patientId: query.patientId } : {}),
    detail: { returned: items.length, patientIds: [...new Set(items.map((a) => a.patient.id))] },
  });
  return items;
}

/** 409 stale when the caller's version (from its last read) is not the appointment's version now. */
export function checkAppointmentVersion(current: { version: number }, expected: number | undefined): void {
  if (expected !== undefined && expected !== current.version) {
    const error = new AppError(409, 'stale', `The appointment changed since you loaded it (you had version ${expected}, it is now version ${current.version}); reload and try again.`);
    error.details = { currentVersion: current.version };
    throw error;
  }
}
