import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { WaitlistEntryStatus } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { practitionerName } from '../scheduling/appointments.ts';
import { formatLocal } from '../scheduling/booking.ts';
import { requireService } from '../scheduling/slots.ts';

/** Waitlist entries: a patient who wants an earlier (or any) slot, and what suits them. */

export type WaitlistEntry = {
  id: string;
  status: WaitlistEntryStatus;
  patient: { id: string; givenName: string; familyName: string; phone: string | null };
  service: { id: string; name: string };
  practitioner: { id: string; name: string } | null;
  location: { id: string; name: string; timeZone: string } | null;
  weekdays: number[];
  earliestTime: string | null;
  latestTime: string | null;
  notBefore: string | null;
  notAfter: string | null;
  appointment: { id: string; startsAt: string; timeZone: string; status: string } | null;
  notes: string | null;
  lastOfferedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export type EntryPreferences = {
  practitionerId?: string | null | undefined;
  locationId?: string | null | undefined;
  weekdays?: number[] | undefined;
  earliestTime?: string | null | undefined;
  latestTime?: string | null | undefined;
  notBefore?: string | null | undefined;
  notAfter?: string | null | undefined;
  appointmentId?: string | null | undefined;
  notes?: string | null | undefined;
};

export type NewEntry = EntryPreferences & { patientId: string; serviceId: string };
export type EntryChange = EntryPreferences & { status?: 'waiting' | 'withdrawn' | undefined };
export type EntryQuery = { status: WaitlistEntryStatus | 'all'; serviceId?: string | undefined; patientId?: string | undefined; limit: number };

const invalid = (path: string, message: string) => new AppError(400, 'validation_failed', `Invalid request: ${path} ${message}`, [{ path, message }]);
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
const hhmm = (t: string | null) => (t === null ? null : t.slice(0, 5));

function entryQuery(scope: TenantScope) {
  return scope.tx
    .selectFrom('waitlist_entry as e')
    .innerJoin('patient as p', 'p.id', 'e.patient_id')
    .innerJoin('service as s', 's.id', 'e.service_id')
    .leftJoin('practitioner as pr', 'pr.id', 'e.practitioner_id')
    .leftJoin('location as l', 'l.id', 'e.location_id')
    .leftJoin('appointment as a', 'a.id', 'e.appointment_id')
    .select([
      'e.id', 'e.status', 'e.patient_id', 'p.given_name', 'p.family_name', 'p.phone', 'e.service_id', 's.name as service_name',
      'e.practitioner_id', 'pr.prefix', 'pr.given_name as practitioner_given', 'pr.family_name as practitioner_family',
      'e.location_id', 'l.name as location_name', 'l.time_zone as location_zone',
      'e.weekdays', 'e.earliest_time', 'e.latest_time', 'e.not_before', 'e.not_after',
      'e.appointment_id', 'a.starts_at as appointment_starts_at', 'a.time_zone as appointment_zone', 'a.status as appointment_status',
      'e.notes', 'e.last_offered_at', 'e.created_at', 'e.updated_at',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof entryQuery>['executeTakeFirstOrThrow']>>;

function present(r: Row): WaitlistEntry {
  return {
    id: r.id,
    status: r.status,
    patient: { id: r.patient_id, givenName: r.given_name, familyName: r.family_name, phone: r.phone },
    service: { id: r.service_id, name: r.service_name },
    practitioner: r.practitioner_id
      ? { id: r.practitioner_id, name: practitionerName({ prefix: r.prefix, given_name: r.practitioner_given!, family_name: r.practitioner_family! }) }
      : null,
    location: r.location_id ? { id: r.location_id, name: r.location_name!, timeZone: r.location_zone! } : null,
    weekdays: r.weekdays.map(Number).sort(),
    earliestTime: hhmm(r.earliest_time),
    latestTime: hhmm(r.latest_time),
    notBefore: r.not_before,
    notAfter: r.not_after,
    appointment: r.appointment_id
      ? { id: r.appointment_id, startsAt: iso(r.appointment_starts_at)!, timeZone: r.appointment_zone!, status: r.appointment_status! }
      : null,
    notes: r.notes,
    lastOfferedAt: iso(r.last_offered_at),
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

async function loadEntry(scope: TenantScope, id: string): Promise<WaitlistEntry> {
  return present(await entryQuery(scope).where('e.id', '=', id).executeTakeFirstOrThrow());
}

/** The patient, refused with 404 when not of this clinic (or merged away). */
async function requireWaitlistPatient(scope: TenantScope, patientId: string) {
  const row = isUuid(patientId)
    ? await scope.tx.selectFrom('patient').select(['id', 'given_name', 'family_name', 'archived_at', 'merged_into_id', 'lifecycle_status']).where('id', '=', patientId).executeTakeFirst()
    : undefined;
  if (!row || row.merged_into_id) throw notFound('Patient');
  if (row.archived_at) throw new AppError(409, 'archived', 'This patient record is archived; restore it before adding it to the waitlist.');
  if (row.lifecycle_status === 'deceased') throw new AppError(409, 'deceased', 'This patient is recorded as deceased.');
  return row;
}

type Resolved = {
  practitionerId: string | null;
  locationId: string | null;
  weekdays: number[];
  earliestTime: string | null;
  latestTime: string | null;
  notBefore: string | null;
  notAfter: string | null;
  appointmentId: string | null;
  notes: string | null;
};

/** Checks the preferences as a whole (after a change is applied): 400 naming the field. */
async function checkPreferences(
  scope: TenantScope,
  service: { id: string; name: string },
  patientId: string,
  p: Resolved,
  now: Date,
  changed: (field: keyof Resolved) => boolean,
): Promise<void> {
  if (p.earliestTime && p.latestTime && p.latestTime <= p.earliestTime) throw invalid('latestTime', `must be after earliestTime (${p.earliestTime})`);
  if (p.notBefore && p.notAfter && p.notAfter < p.notBefore) throw invalid('notAfter', `must not be before notBefore (${p.notBefore})`);
  if (new Set(p.weekdays).size !== p.weekdays.length) throw invalid('weekdays', 'names a weekday twice');
  if (p.practitionerId && changed('practitionerId')) {
    const row = await scope.tx
      .selectFrom('practitioner as pr')
      .leftJoin('service_practitioner as sp', (j) => j.onRef('sp.practitioner_id', '=', 'pr.id').on('sp.service_id', '=', service.id))
      .select(['pr.id', 'pr.active', 'sp.service_id as offers'])
      .where('pr.id', '=', p.practitionerId)
      .executeTakeFirst();
    if (!row) throw invalid('practitionerId', 'is not a practitioner of this clinic');
    if (!row.active) throw invalid('practitionerId', 'is no longer active');
    if (!row.offers) throw invalid('practitionerId', `does not offer ${service.name}`);
  }
  if (p.locationId && changed('locationId')) {
    const row = await scope.tx
      .selectFrom('location as l')
      .leftJoin('service_location as sl', (j) => j.onRef('sl.location_id', '=', 'l.id').on('sl.service_id', '=', service.id))
      .select(['l.id', 'l.active', 'sl.service_id as offers'])
      .where('l.id', '=', p.locationId)
      .executeTakeFirst();
    if (!row) throw invalid('locationId', 'is not a location of this clinic');
    if (!row.active) throw invalid('locationId', 'is no longer in use');
    if (!row.offers) throw invalid('locationId', `does not offer ${service.name}`);
  }
  if (p.appointmentId && changed('appointmentId')) {
    const row = await scope.tx
      .selectFrom('appointment')
      .select(['id', 'patient_id', 'service_id', 'status', 'starts_at'])
      .where('id', '=', p.appointmentId)
      .executeTakeFirst();
    if (!row || row.patient_id !== patientId) throw invalid('appointmentId', "is not one of this patient's appointments");
    if (row.status !== 'booked') throw invalid('appointmentId', `is ${row.status}, not a booking the patient holds`);
    if (new Date(row.starts_at) <= now) throw invalid('appointmentId', 'has already started');
    if (row.service_id !== service.id) throw invalid('appointmentId', `is not for ${service.name}`);
  }
}

/** Puts a patient on the waitlist for a service, with the days and times that suit them. */
export async function joinWaitlist(scope: TenantScope, input: NewEntry, now: Date): Promise<WaitlistEntry> {
  const patient = await requireWaitlistPatient(scope, input.patientId);
  const service = await requireService(scope, input.serviceId);
  const prefs: Resolved = {
    practitionerId: input.practitionerId ?? null,
    locationId: input.locationId ?? null,
    weekdays: input.weekdays ?? [1, 2, 3, 4, 5, 6, 7],
    earliestTime: input.earliestTime ?? null,
    latestTime: input.latestTime ?? null,
    notBefore: input.notBefore ?? null,
    notAfter: input.notAfter ?? null,
    appointmentId: input.appointmentId ?? null,
    notes: input.notes || null,
  };
  await checkPreferences(scope, service, patient.id, prefs, now, () => true);
  const { id } = await scope.tx
    .insertInto('waitlist_entry')
    .values({
      tenant_id: scope.tenantId,
      patient_id: patient.id,
      service_id: service.id,
      practitioner_id: prefs.practitionerId,
      location_id: prefs.locationId,
      weekdays: prefs.weekdays,
      earliest_time: prefs.earliestTime,
      latest_time: prefs.latestTime,
      not_before: prefs.notBefore,
      not_after: prefs.notAfter,
      appointment_id: prefs.appointmentId,
      notes: prefs.notes,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const entry = await loadEntry(scope, id);
  await recordTimelineEvent(scope, {
    patientId: patient.id,
    kind: 'waitlist.joined',
    summary: `Joined the waitlist for ${service.name}${entry.practitioner ? ` with ${entry.practitioner.name}` : ''}${entry.appointment ? ` (to move the booking of ${formatLocal(new Date(entry.appointment.startsAt), entry.appointment.timeZone)} earlier)` : ''}`,
    detail: { serviceId: service.id, practitionerId: prefs.practitionerId, locationId: prefs.locationId, weekdays: prefs.weekdays, earliestTime: prefs.earliestTime, latestTime: prefs.latestTime, appointmentId: prefs.appointmentId },
    occurredAt: now,
    subject: { type: 'waitlist_entry', id },
  });
  await scope.audit({ action: 'waitlist.join', entityType: 'waitlist_entry', entityId: id, patientId: patient.id });
  return entry;
}

export async function getWaitlistEntry(scope: TenantScope, id: string): Promise<WaitlistEntry> {
  const row = isUuid(id) ? await entryQuery(scope).where('e.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('Waitlist entry');
  await scope.audit({ action: 'waitlist.read', entityType: 'waitlist_entry', entityId: id, patientId: row.patient_id });
  return present(row);
}

/** Changes a waiting entry's preferences, withdraws it, or puts a withdrawn one back. */
export async function changeWaitlistEntry(scope: TenantScope, id: string, change: EntryChange, now: Date): Promise<WaitlistEntry> {
  const current = isUuid(id) ? await scope.tx.selectFrom('waitlist_entry').selectAll().where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  if (!current) throw notFound('Waitlist entry');
  const { status, ...prefs } = change;
  const changesPrefs = Object.values(prefs).some((v) => v !== undefined);
  const target = status ?? current.status;
  if (current.status === 'booked' || current.status === 'expired') {
    throw new AppError(409, 'invalid_transition', `This waitlist entry is ${current.status}; add the patient again instead.`);
  }
  if (changesPrefs && target !== 'waiting') throw new AppError(409, 'invalid_transition', 'Only a waiting entry can have its preferences changed.');
  const service = await requireService(scope, current.service_id);
  const pick = <K extends keyof Resolved>(key: K, stored: Resolved[K]): Resolved[K] => (prefs[key] === undefined ? stored : (prefs[key] as Resolved[K]));
  const resolved: Resolved = {
    practitionerId: pick('practitionerId', current.practitioner_id),
    locationId: pick('locationId', current.location_id),
    weekdays: pick('weekdays', current.weekdays.map(Number)),
    earliestTime: pick('earliestTime', hhmm(current.earliest_time)),
    latestTime: pick('latestTime', hhmm(current.latest_time)),
    notBefore: pick('notBefore', current.not_before),
    notAfter: pick('notAfter', current.not_after),
    appointmentId: pick('appointmentId', current.appointment_id),
    notes: pick('notes', current.notes) || null,
  };
  await checkPreferences(scope, service, current.patient_id, resolved, now, (field) => prefs[field] !== undefined);
  await scope.tx
    .updateTable('waitlist_entry')
    .set({
      practitioner_id: resolved.practitionerId,
      location_id: resolved.locationId,
      weekdays: resolved.weekdays,
      earliest_time: resolved.earliestTime,
      latest_time: resolved.latestTime,
      not_before: resolved.notBefore,
      not_after: resolved.notAfter,
      appointment_id: resolved.appointmentId,
      notes: resolved.notes,
      status: target,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  if (target !== current.status) {
    if (target === 'withdrawn') {
      // Offers still open to this patient are answered for them: they no longer want a slot.
      await scope.tx
        .updateTable('waitlist_offer')
        .set({ status: 'declined', responded_at: now })
        .where('entry_id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    }
    await recordTimelineEvent(scope, {
      patientId: current.patient_id,
      kind: target === 'withdrawn' ? 'waitlist.withdrawn' : 'waitlist.joined',
      summary: target === 'withdrawn' ? `Left the waitlist for ${service.name}` : `Back on the waitlist for ${service.name}`,
      occurredAt: now,
      subject: { type: 'waitlist_entry', id },
    });
  }
  await scope.audit({
    action: target === 'withdrawn' && current.status !== 'withdrawn' ? 'waitlist.withdraw' : 'waitlist.update',
    entityType: 'waitlist_entry',
    entityId: id,
    patientId: current.patient_id,
    detail: { fields: Object.keys(change) },
  });
  return loadEntry(scope, id);
}

/** The waitlist, oldest first (the order it is worked in), with who is on it; audited. */
export async function listWaitlist(scope: TenantScope, query: EntryQuery): Promise<WaitlistEntry[]> {
  let q = entryQuery(scope).orderBy(sql`e.last_offered_at asc nulls first`).orderBy('e.created_at').orderBy('e.id').limit(query.limit);
  if (query.status !== 'all') q = q.where('e.status', '=', query.status);
  if (query.serviceId) q = q.where('e.service_id', '=', query.serviceId);
  if (query.patientId) q = q.where('e.patient_id', '=', query.patientId);
  const items = (await q.execute()).map(present);
  await scope.audit({
    action: 'waitlist.list',
    entityType: 'waitlist_entry',
    ...(query.patientId ? { patientId: query.patientId } : {}),
    detail: { returned: items.length, patientIds: [...new Set(items.map((e) => e.patient.id))] },
  });
  return items;
}
