import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import { ACTIVE_APPOINTMENT_STATUSES, type AppointmentAction, type AppointmentStatus, type BookedVia } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { overlapsBusy } from './availability.ts';
import { checkAppointmentVersion, getAppointment, practitionerName, type AppointmentView } from './appointments.ts';
import { recordCareInstructionsChange, requireCareInstructionAuthor } from './care-instructions.ts';
import { occurrences } from './recurrence.ts';
import { bookingHorizon, loadSchedule, localDate, requireService, type Schedule, type Service } from './slots.ts';

/**
 * Booking, rescheduling and every status change of an appointment. Each path checks the same
 * things (the time is in the future and inside the practitioner's hours at that location, the
 * service's booking rules, the practitioner and room are free) and the database has the last word
 * on overlaps: exclusion constraints refuse a second active appointment over the same time, so two
 * requests racing for one slot end with exactly one booking whatever the checks saw.
 */

export type BookingRequest = {
  patientId: string;
  serviceId: string;
  practitionerId: string;
  locationId: string;
  startsAt: Date;
  /** A longer visit than the service's duration (never shorter); the service's duration when left out. */
  endsAt?: Date | undefined;
  roomId?: string | null | undefined;
  notes?: string | null | undefined;
  via?: BookedVia | undefined;
  /**
   * Booked in another system that owns the schedule (an HL7 SIU feed): its time stands even in the
   * past or outside Rapport's hours and booking rules, and any length is kept. Double booking is
   * still refused.
   */
  external?: boolean | undefined;
};

export type Problem = { status: number; code: string; message: string; field?: string; details?: unknown };

const problemError = (p: Problem) => {
  const error = new AppError(p.status, p.code, p.message, p.field ? [{ path: p.field, message: p.message }] : undefined);
  if (p.details !== undefined) error.details = p.details;
  return error;
};

const viaOf = (scope: TenantScope, via?: BookedVia): BookedVia =>
  via ?? (scope.actor.type === 'api_token' ? 'api' : scope.actor.type === 'public' ? 'public' : 'staff');

const actorIdOf = (scope: TenantScope) => (scope.actor.type === 'api_token' ? scope.actor.userId : scope.actor.id);

export const formatLocal = (instant: number | Date, zone: string) =>
  DateTime.fromMillis(typeof instant === 'number' ? instant : instant.getTime(), { zone }).toFormat('ccc d LLL yyyy, HH:mm ZZZZ');

type Place = {
  practitioner: { id: string; name: string };
  location: { id: string; name: string; timeZone: string };
};

/** The practitioner and location, checked to exist, be active and offer the service. */
async function requirePlace(scope: TenantScope, service: Service, practitionerId: string, locationId: string, external = false): Promise<Place> {
  const invalid = (field: string, message: string) => new AppError(400, 'validation_failed', `Invalid request: ${field} ${message}`, [{ path: field, message }]);
  if (!isUuid(practitionerId)) throw invalid('practitionerId', 'is not an id');
  if (!isUuid(locationId)) throw invalid('locationId', 'is not an id');
  const [practitioner, location] = await Promise.all([
    scope.tx
      .selectFrom('practitioner as p')
      .leftJoin('service_practitioner as sp', (j) => j.onRef('sp.practitioner_id', '=', 'p.id').on('sp.service_id', '=', service.id))
      .select(['p.id', 'p.prefix', 'p.given_name', 'p.family_name', 'p.active', 'sp.service_id as offers'])
      .where('p.id', '=', practitionerId)
      .executeTakeFirst(),
    scope.tx
      .selectFrom('location as l')
      .leftJoin('service_location as sl', (j) => j.onRef('sl.location_id', '=', 'l.id').on('sl.service_id', '=', service.id))
      .select(['l.id', 'l.name', 'l.time_zone', 'l.active', 'sl.service_id as offers'])
      .where('l.id', '=', locationId)
      .executeTakeFirst(),
  ]);
  if (!practitioner) throw invalid('practitionerId', 'is not a practitioner of this clinic');
  if (!practitioner.active) throw invalid('practitionerId', 'is no longer active');
  if (!practitioner.offers && !external) throw invalid('practitionerId', `does not offer ${service.name}`);
  if (!location) throw invalid('locationId', 'is not a location of this clinic');
  if (!location.active) throw invalid('locationId', 'is no longer in use');
  if (!location.offers && !external) throw invalid('locationId', `does not offer ${service.name}`);
  return {
    practitioner: { id: practitioner.id, name: practitionerName(practitioner) },
    location: { id: location.id, name: location.name, timeZone: location.time_zone },
  };
}

/** The patient, locked for the rest of the transaction so per-patient rules see every booking. */
async function lockPatient(scope: TenantScope, patientId: string): Promise<{ id: string; hasVisited: boolean }> {
  const patient = isUuid(patientId)
    ? await scope.tx
        .selectFrom('patient')
        .select(['id', 'archived_at', 'merged_into_id', 'lifecycle_status', 'last_visit_at'])
        .where('id', '=', patientId)
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  if (!patient) throw notFound('Patient');
  if (patient.merged_into_id) throw new AppError(409, 'merged', 'This patient record was merged into another; book on the surviving record.');
  if (patient.archived_at) throw new AppError(409, 'archived', 'This patient record is archived; restore it before booking.');
  if (patient.lifecycle_status === 'deceased') throw new AppError(409, 'deceased', 'This patient is recorded as deceased.');
  const visited =
    patient.last_visit_at !== null ||
    (await scope.tx.selectFrom('appointment').select('id').where('patient_id', '=', patientId).where('status', '=', 'fulfilled').limit(1).executeTakeFirst()) !== undefined;
  return { id: patient.id, hasVisited: visited };
}

/** Per-patient rules of a service: who may book it, and how many future bookings they may hold. */
async function checkPatientRules(
  scope: TenantScope,
  service: Service,
  patient: { id: string; hasVisited: boolean },
  now: Date,
  adding: number,
): Promise<void> {
  if (service.eligibility === 'new' && patient.hasVisited) {
    throw new AppError(400, 'booking_rule', `${service.name} is for new patients only, and this patient has been seen before.`, [{ path: 'serviceId', message: 'is for new patients only' }]);
  }
  if (service.eligibility === 'established' && !patient.hasVisited) {
    throw new AppError(400, 'booking_rule', `${service.name} is for established patients only, and this patient has no completed visit yet.`, [{ path: 'serviceId', message: 'is for established patients only' }]);
  }
  if (service.max_future_bookings) {
    const row = await scope.tx
      .selectFrom('appointment')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('patient_id', '=', patient.id)
      .where('service_id', '=', service.id)
      .where('status', '=', 'booked')
      .where('starts_at', '>', now)
      .executeTakeFirstOrThrow();
    const held = Number(row.n);
    if (held + adding > service.max_future_bookings) {
      throw new AppError(
        400,
        'booking_rule',
        `A patient may hold at most ${service.max_future_bookings} future booking(s) of ${service.name}; this patient holds ${held}.`,
        [{ path: 'serviceId', message: `at most ${service.max_future_bookings} future booking(s) per patient` }],
      );
    }
  }
}

type Candidate = { start: number; end: number; practitionerId: string; locationId: string; roomId: string | null };

/** Where a visit starting at `start` ends: the service's duration, or a longer `endsAt`. */
function visitEnd(service: Service, start: number, endsAt: Date | undefined, external = false): number {
  if (!endsAt) return start + service.duration_minutes * 60_000;
  const minutes = (endsAt.getTime() - start) / 60_000;
  const fail = (message: string) => new AppError(400, 'validation_failed', `Invalid request: endsAt ${message}`, [{ path: 'endsAt', message }]);
  if (minutes <= 0) throw fail('must be after startsAt');
  if (minutes < service.duration_minutes && !external) throw fail(`is too short for ${service.name}, which takes ${service.duration_minutes} minutes`);
  if (minutes > 720) throw fail('makes the visit longer than 12 hours');
  return endsAt.getTime();
}

/** Rapport's own booking rules for a time: not in the past, the service's notice and horizon, the practitioner's hours. */
function checkRules(service: Service, place: Place, schedule: Schedule, candidate: Candidate, now: Date): Problem | null {
  const when = formatLocal(candidate.start, place.location.timeZone);
  if (candidate.start < now.getTime()) {
    return { status: 400, code: 'in_the_past', message: `${when} is in the past.`, field: 'startsAt' };
  }
  const horizon = bookingHorizon(service, now);
  if (candidate.start < horizon.earliest) {
    const hours = service.min_notice_minutes / 60;
    return {
      status: 400,
      code: 'booking_rule',
      message: `${service.name} needs at least ${hours >= 1 ? `${+hours.toFixed(1)} hour(s)` : `${service.min_notice_minutes} minute(s)`} notice; ${when} is too soon.`,
      field: 'startsAt',
    };
  }
  if (candidate.start > horizon.latest) {
    return { status: 400, code: 'booking_rule', message: `${service.name} can be booked at most ${service.max_advance_days} days ahead; ${when} is too far.`, field: 'startsAt' };
  }
  const inside = schedule.windows.some(
    (w) => w.practitionerId === candidate.practitionerId && w.locationId === candidate.locationId && w.start <= candidate.start && candidate.end <= w.end,
  );
  if (!inside) {
    return {
      status: 400,
      code: 'outside_availability',
      message: `${place.practitioner.name} is not available for ${Math.round((candidate.end - candidate.start) / 60_000)} minutes from ${when} at ${place.location.name}.`,
      field: 'startsAt',
    };
  }
  return null;
}

/** What is wrong with one candidate time, or null; picks a free room when the service needs one. */
async function checkCandidate(
  scope: TenantScope,
  service: Service,
  place: Place,
  schedule: Schedule,
  candidate: Candidate,
  now: Date,
  excludeId?: string,
  external = false,
): Promise<Problem | null> {
  const zone = place.location.timeZone;
  if (!external) {
    const problem = checkRules(service, place, schedule, candidate, now);
    if (problem) return problem;
  }
  const blockStart = candidate.start - service.buffer_before_minutes * 60_000;
  const blockEnd = candidate.end + service.buffer_after_minutes * 60_000;
  if (overlapsBusy(schedule.practitionerBusy.get(candidate.practitionerId) ?? [], blockStart, blockEnd)) {
    return slotTaken(await conflictsOf(scope, { practitionerId: candidate.practitionerId }, blockStart, blockEnd, excludeId), place, zone);
  }
  if (candidate.roomId) {
    const rooms = schedule.rooms?.get(candidate.locationId) ?? [];
    const room = rooms.find((r) => r.id === candidate.roomId);
    if (!room) {
      return { status: 400, code: 'validation_failed', message: `Invalid request: roomId is not an active room at ${place.location.name}`, field: 'roomId' };
    }
    if (overlapsBusy(room.busy, blockStart, blockEnd)) {
      const conflicts = await conflictsOf(scope, { roomId: candidate.roomId }, blockStart, blockEnd, excludeId);
      return { status: 409, code: 'room_taken', message: `The room is taken ${describe(conflicts, zone)}.`, details: { conflicts } };
    }
  } else if (service.requires_room) {
    const room = (schedule.rooms?.get(candidate.locationId) ?? []).find((r) => !overlapsBusy(r.busy, blockStart, blockEnd));
    if (!room) return { status: 409, code: 'no_room', message: `${service.name} needs a room, and no room at ${place.location.name} is free at ${formatLocal(candidate.start, zone)}.` };
    candidate.roomId = room.id;
  }
  return null;
}

type Conflict = { appointmentId: string; startsAt: string; endsAt: string };

async function conflictsOf(
  scope: TenantScope,
  resource: { practitionerId: string } | { roomId: string },
  blockStart: number,
  blockEnd: number,
  excludeId?: string,
): Promise<Conflict[]> {
  const rows = await scope.tx
    .selectFrom('appointment')
    .select(['id', 'starts_at', 'ends_at'])
    .$if('practitionerId' in resource, (q) => q.where('practitioner_id', '=', (resource as { practitionerId: string }).practitionerId))
    .$if('roomId' in resource, (q) => q.where('room_id', '=', (resource as { roomId: string }).roomId))
    .where('status', 'in', ACTIVE_APPOINTMENT_STATUSES)
    .where('block_start', '>', new Date(blockStart - 86_400_000))
    .where('block_start', '<', new Date(blockEnd))
    .where('block_end', '>', new Date(blockStart))
    .$if(Boolean(excludeId), (q) => q.where('id', '!=', excludeId!))
    .orderBy('starts_at')
    .execute();
  return rows.map((r) => ({ appointmentId: r.id, startsAt: new Date(r.starts_at).toISOString(), endsAt: new Date(r.ends_at).toISOString() }));
}

const describe = (conflicts: Conflict[], zone: string) =>
  conflicts.length
    ? conflicts.map((c) => `from ${formatLocal(new Date(c.startsAt), zone)} to ${DateTime.fromISO(c.endsAt, { zone }).toFormat('HH:mm')}`).join(', ')
    : 'at that time';

function slotTaken(conflicts: Conflict[], place: Place, zone: string): Problem {
  return {
    status: 409,
    code: 'slot_taken',
    message: `${place.practitioner.name} is already booked ${describe(conflicts, zone)}.`,
    details: { conflicts },
  };
}

/**
 * Runs `work` so that a violated exclusion constraint rolls back only `work`, and says which.
 * Two transactions inserting overlapping rows at once can each wait on the other's row: PostgreSQL
 * then aborts one with a deadlock. That one tries again (now waiting for the other to finish), so
 * it ends as a booking or as a clean overlap, never as an error.
 */
async function guardOverlap<T>(scope: TenantScope, work: () => Promise<T>): Promise<{ ok: T } | { overlap: 'practitioner' | 'room' }> {
  for (let attempt = 1; ; attempt++) {
    await sql`savepoint booking`.execute(scope.tx);
    try {
      const ok = await work();
      await sql`release savepoint booking`.execute(scope.tx);
      return { ok };
    } catch (error) {
      const e = error as { code?: string; constraint?: string };
      if (e.code !== '23P01' && !(e.code === '40P01' && attempt < 5)) throw error;
      await sql`rollback to savepoint booking`.execute(scope.tx);
      if (e.code === '23P01') return { overlap: e.constraint === 'appointment_room_no_overlap' ? 'room' : 'practitioner' };
    }
  }
}

async function overlapProblem(scope: TenantScope, overlap: 'practitioner' | 'room', service: Service, place: Place, candidate: Candidate, excludeId?: string): Promise<Problem> {
  const blockStart = candidate.start - service.buffer_before_minutes * 60_000;
  const blockEnd = candidate.end + service.buffer_after_minutes * 60_000;
  const zone = place.location.timeZone;
  if (overlap === 'room' && candidate.roomId) {
    const conflicts = await conflictsOf(scope, { roomId: candidate.roomId }, blockStart, blockEnd, excludeId);
    return { status: 409, code: 'room_taken', message: `The room is taken ${describe(conflicts, zone)}.`, details: { conflicts } };
  }
  return slotTaken(await conflictsOf(scope, { practitionerId: candidate.practitionerId }, blockStart, blockEnd, excludeId), place, zone);
}

async function recordEvent(
  scope: TenantScope,
  input: {
    appointmentId: string;
    patientId: string;
    action: AppointmentAction;
    from: AppointmentStatus | null;
    to: AppointmentStatus;
    previousStartsAt?: Date | null;
    startsAt: Date;
    reason?: string | null;
    via: BookedVia;
    now: Date;
    summary: string;
    detail: Record<string, unknown>;
  },
): Promise<void> {
  await scope.tx
    .insertInto('appointment_event')
    .values({
      tenant_id: scope.tenantId,
      appointment_id: input.appointmentId,
      action: input.action,
      from_status: input.from,
      to_status: input.to,
      previous_starts_at: input.previousStartsAt ?? null,
      starts_at: input.startsAt,
      reason: input.reason ?? null,
      via: input.via,
      actor_type: scope.actor.type,
      actor_id: actorIdOf(scope),
      occurred_at: input.now,
    })
    .execute();
  await recordTimelineEvent(scope, {
    patientId: input.patientId,
    kind: `appointment.${input.action}`,
    summary: input.summary,
    detail: { appointmentId: input.appointmentId, startsAt: input.startsAt.toISOString(), via: input.via, ...(input.reason ? { reason: input.reason } : {}), ...input.detail },
    occurredAt: input.now,
    subject: { type: 'appointment', id: input.appointmentId },
  });
  await scope.audit({
    action: `appointment.${input.action}`,
    entityType: 'appointment',
    entityId: input.appointmentId,
    patientId: input.patientId,
    detail: { from: input.from, to: input.to, startsAt: input.startsAt.toISOString(), via: input.via },
  });
  const event: AppointmentEvent = {
    appointmentId: input.appointmentId,
    patientId: input.patientId,
    action: input.action,
    startsAt: input.startsAt,
    previousStartsAt: input.previousStartsAt ?? null,
    via: input.via,
  };
  for (const listener of appointmentListeners) await listener(scope, event, input.now);
}

export type AppointmentEvent = {
  appointmentId: string;
  patientId: string;
  action: AppointmentAction;
  startsAt: Date;
  previousStartsAt: Date | null;
  via: BookedVia;
};

/**
 * Told of every appointment change inside the transaction that makes it, so reminders and
 * follow-ups (journeys) are scheduled, moved or stopped atomically with the booking itself.
 */
export type AppointmentListener = (scope: TenantScope, event: AppointmentEvent, now: Date) => Promise<void>;
const appointmentListeners: AppointmentListener[] = [];
export function onAppointmentEvent(listener: AppointmentListener): void {
  if (!appointmentListeners.includes(listener)) appointmentListeners.push(listener);
}

function scheduleDates(starts: number[], zone: string): { fromDate: string; toDate: string } {
  const dates = starts.map((s) => localDate(s, zone)).sort();
  return { fromDate: dates[0]!, toDate: dates.at(-1)! };
}

/** Books one appointment, or refuses with the first thing wrong (4xx, nothing stored). */
export async function bookAppointment(scope: TenantScope, request: BookingRequest, now: Date): Promise<AppointmentView> {
  const service = await requireService(scope, request.serviceId);
  const external = request.external === true;
  const place = await requirePlace(scope, service, request.practitionerId, request.locationId, external);
  const patient = await lockPatient(scope, request.patientId);
  if (!external) await checkPatientRules(scope, service, patient, now, 1);
  const start = request.startsAt.getTime();
  const candidate: Candidate = {
    start,
    end: visitEnd(service, start, request.endsAt, external),
    practitionerId: place.practitioner.id,
    locationId: place.location.id,
    roomId: request.roomId ?? null,
  };
  if (candidate.roomId !== null && !isUuid(candidate.roomId)) {
    throw new AppError(400, 'validation_failed', 'Invalid request: roomId is not an id', [{ path: 'roomId', message: 'is not an id' }]);
  }
  const schedule = await loadSchedule(scope, {
    practitionerIds: [place.practitioner.id],
    locationIds: [place.location.id],
    ...scheduleDates([start], place.location.timeZone),
    withRooms: service.requires_room || candidate.roomId !== null,
  });
  const problem = await checkCandidate(scope, service, place, schedule, candidate, now, undefined, external);
  if (problem) throw problemError(problem);
  const via = viaOf(scope, request.via);
  const inserted = await guardOverlap(scope, () => insertAppointment(scope, { service, place, candidate, patientId: patient.id, notes: request.notes ?? null, via, seriesId: null, now }));
  if ('overlap' in inserted) throw problemError(await overlapProblem(scope, inserted.overlap, service, place, candidate));
  await recordBooked(scope, { id: inserted.ok, patientId: patient.id, service, place, start, via, now });
  return getAppointment(scope, inserted.ok);
}

async function insertAppointment(
  scope: TenantScope,
  input: { service: Service; place: Place; candidate: Candidate; patientId: string; notes: string | null; via: BookedVia; seriesId: string | null; now: Date },
): Promise<string> {
  const row = await scope.tx
    .insertInto('appointment')
    .values({
      tenant_id: scope.tenantId,
      patient_id: input.patientId,
      practitioner_id: input.candidate.practitionerId,
      location_id: input.candidate.locationId,
      service_id: input.service.id,
      room_id: input.candidate.roomId,
      starts_at: new Date(input.candidate.start),
      ends_at: new Date(input.candidate.end),
      time_zone: input.place.location.timeZone,
      status: 'booked',
      buffer_before_minutes: input.service.buffer_before_minutes,
      buffer_after_minutes: input.service.buffer_after_minutes,
      booked_via: input.via,
      series_id: input.seriesId,
      notes: input.notes,
      created_at: input.now,
      updated_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function recordBooked(
  scope: TenantScope,
  input: { id: string; patientId: string; service: Service; place: Place; start: number; via: BookedVia; now: Date },
): Promise<void> {
  await recordEvent(scope, {
    appointmentId: input.id,
    patientId: input.patientId,
    action: 'booked',
    from: null,
    to: 'booked',
    startsAt: new Date(input.start),
    via: input.via,
    now: input.now,
    summary: `Booked ${input.service.name} with ${input.place.practitioner.name}, ${formatLocal(input.start, input.place.location.timeZone)} at ${input.place.location.name}`,
    detail: { service: input.service.name, practitioner: input.place.practitioner.name, location: input.place.location.name, timeZone: input.place.location.timeZone },
  });
}

export type SeriesRequest = BookingRequest & { rrule: string };
export type OccurrenceReport = { startsAt: string; ok: boolean; problem: string | null; code: string | null };

/**
 * Books every occurrence of a recurrence rule as its own appointment, all or nothing: each
 * occurrence is checked first, and if any cannot be booked the answer lists every occurrence with
 * what is wrong with it, and nothing is stored.
 */
export async function bookSeries(scope: TenantScope, request: SeriesRequest, now: Date): Promise<{ seriesId: string; appointments: AppointmentView[] }> {
  const service = await requireService(scope, request.serviceId);
  const place = await requirePlace(scope, service, request.practitionerId, request.locationId);
  // Repeated at the same wall-clock time in the location's zone.
  const starts = occurrences(request.rrule, request.startsAt, place.location.timeZone).map((d) => d.getTime());
  const patient = await lockPatient(scope, request.patientId);
  await checkPatientRules(scope, service, patient, now, starts.length);
  if (request.roomId != null && !isUuid(request.roomId)) {
    throw new AppError(400, 'validation_failed', 'Invalid request: roomId is not an id', [{ path: 'roomId', message: 'is not an id' }]);
  }
  const schedule = await loadSchedule(scope, {
    practitionerIds: [place.practitioner.id],
    locationIds: [place.location.id],
    ...scheduleDates(starts, place.location.timeZone),
    withRooms: service.requires_room || request.roomId != null,
  });
  const candidates: Candidate[] = [];
  const report: OccurrenceReport[] = [];
  const length = visitEnd(service, starts[0]!, request.endsAt) - starts[0]!;
  for (const start of starts) {
    const candidate: Candidate = {
      start,
      end: start + length,
      practitionerId: place.practitioner.id,
      locationId: place.location.id,
      roomId: request.roomId ?? null,
    };
    const problem = await checkCandidate(scope, service, place, schedule, candidate, now);
    report.push({ startsAt: new Date(start).toISOString(), ok: !problem, problem: problem?.message ?? null, code: problem?.code ?? null });
    candidates.push(candidate);
    if (!problem) {
      // Later occurrences must not overlap this one either (a daily rule for a long service).
      const block: readonly [number, number] = [start - service.buffer_before_minutes * 60_000, candidate.end + service.buffer_after_minutes * 60_000];
      const busy = [...(schedule.practitionerBusy.get(place.practitioner.id) ?? []), block].sort((a, b) => a[0] - b[0]);
      schedule.practitionerBusy.set(place.practitioner.id, busy);
      if (candidate.roomId) {
        const room = schedule.rooms?.get(place.location.id)?.find((r) => r.id === candidate.roomId);
        if (room) room.busy = [...room.busy, block].sort((a, b) => a[0] - b[0]);
      }
    }
  }
  const failed = report.filter((r) => !r.ok);
  if (failed.length) {
    const error = new AppError(
      409,
      'series_conflicts',
      `${failed.length} of ${report.length} occurrences cannot be booked: ${failed.map((f) => f.problem).join(' ')}`,
    );
    error.details = { occurrences: report };
    throw error;
  }
  const via = viaOf(scope, request.via);
  const series = await scope.tx
    .insertInto('appointment_series')
    .values({ tenant_id: scope.tenantId, rrule: request.rrule, time_zone: place.location.timeZone, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids: string[] = [];
  for (const candidate of candidates) {
    const inserted = await guardOverlap(scope, () =>
      insertAppointment(scope, { service, place, candidate, patientId: patient.id, notes: request.notes ?? null, via, seriesId: series.id, now }),
    );
    if ('overlap' in inserted) {
      // Someone booked one of these times since the check: the whole series is refused.
      const problem = await overlapProblem(scope, inserted.overlap, service, place, candidate);
      const error = new AppError(409, 'series_conflicts', `An occurrence was booked by someone else meanwhile: ${problem.message}`);
      error.details = {
        occurrences: report.map((r) => (r.startsAt === new Date(candidate.start).toISOString() ? { ...r, ok: false, problem: problem.message, code: problem.code } : r)),
      };
      throw error;
    }
    ids.push(inserted.ok);
    await recordBooked(scope, { id: inserted.ok, patientId: patient.id, service, place, start: candidate.start, via, now });
  }
  const appointments: AppointmentView[] = [];
  for (const id of ids) appointments.push(await getAppointment(scope, id));
  return { seriesId: series.id, appointments };
}

type StoredAppointment = {
  id: string;
  patient_id: string;
  practitioner_id: string;
  location_id: string;
  service_id: string;
  room_id: string | null;
  starts_at: Date;
  ends_at: Date;
  status: AppointmentStatus;
  version: number;
  care_instructions: string | null;
};

async function lockAppointment(scope: TenantScope, id: string): Promise<StoredAppointment> {
  const row = isUuid(id)
    ? await scope.tx
        .selectFrom('appointment')
        .select(['id', 'patient_id', 'practitioner_id', 'location_id', 'service_id', 'room_id', 'starts_at', 'ends_at', 'status', 'version', 'care_instructions'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst()
    : undefined;
  if (!row) throw notFound('Appointment');
  return { ...row, starts_at: new Date(row.starts_at), ends_at: new Date(row.ends_at) };
}

export type FreedSlot = { practitionerId: string; locationId: string; serviceId: string; startsAt: Date; endsAt: Date; appointmentId: string };

/** Told when a future slot comes free (cancellation, reschedule away); the waitlist listens here. */
export type SlotFreedListener = (scope: TenantScope, slot: FreedSlot, now: Date) => Promise<void>;
const slotFreedListeners: SlotFreedListener[] = [];
export function onSlotFreed(listener: SlotFreedListener): void {
  if (!slotFreedListeners.includes(listener)) slotFreedListeners.push(listener);
}
async function slotFreed(scope: TenantScope, row: StoredAppointment, now: Date): Promise<void> {
  if (row.starts_at.getTime() <= now.getTime()) return;
  const slot: FreedSlot = {
    practitionerId: row.practitioner_id,
    locationId: row.location_id,
    serviceId: row.service_id,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    appointmentId: row.id,
  };
  for (const listener of slotFreedListeners) await listener(scope, slot, now);
}

export type RescheduleRequest = {
  startsAt: Date;
  /** The new end; when left out the visit keeps its length. */
  endsAt?: Date | undefined;
  practitionerId?: string | undefined;
  locationId?: string | undefined;
  roomId?: string | null | undefined;
  version?: number | undefined;
  via?: BookedVia | undefined;
  /** Moved in the system that owns the schedule: as for BookingRequest.external. */
  external?: boolean | undefined;
};

/** Moves a booked appointment in one statement: it holds its old time until the new one is secured. */
export async function rescheduleAppointment(scope: TenantScope, id: string, request: RescheduleRequest, now: Date): Promise<AppointmentView> {
  const row = await lockAppointment(scope, id);
  checkAppointmentVersion(row, request.version);
  if (row.status !== 'booked') {
    throw new AppError(409, 'invalid_transition', `Only a booked appointment can be rescheduled; this one is ${row.status}.`);
  }
  const service = await requireService(scope, row.service_id);
  const external = request.external === true;
  const place = await requirePlace(scope, service, request.practitionerId ?? row.practitioner_id, request.locationId ?? row.location_id, external);
  const start = request.startsAt.getTime();
  const roomId = request.roomId === undefined ? (place.location.id === row.location_id ? row.room_id : null) : request.roomId;
  if (roomId !== null && !isUuid(roomId)) throw new AppError(400, 'validation_failed', 'Invalid request: roomId is not an id', [{ path: 'roomId', message: 'is not an id' }]);
  const length = row.ends_at.getTime() - row.starts_at.getTime();
  const end = request.endsAt ? visitEnd(service, start, request.endsAt, external) : start + (external ? length : Math.max(length, service.duration_minutes * 60_000));
  const candidate: Candidate = { start, end, practitionerId: place.practitioner.id, locationId: place.location.id, roomId };
  const schedule = await loadSchedule(scope, {
    practitionerIds: [place.practitioner.id],
    locationIds: [place.location.id],
    ...scheduleDates([start], place.location.timeZone),
    withRooms: service.requires_room || roomId !== null,
    excludeAppointmentId: row.id,
  });
  const problem = await checkCandidate(scope, service, place, schedule, candidate, now, row.id, external);
  if (problem) throw problemError(problem);
  const via = viaOf(scope, request.via);
  const updated = await guardOverlap(scope, () =>
    scope.tx
      .updateTable('appointment')
      .set({
        starts_at: new Date(candidate.start),
        ends_at: new Date(candidate.end),
        practitioner_id: candidate.practitionerId,
        location_id: candidate.locationId,
        room_id: candidate.roomId,
        time_zone: place.location.timeZone,
        buffer_before_minutes: service.buffer_before_minutes,
        buffer_after_minutes: service.buffer_after_minutes,
        confirmed_at: null,
        version: row.version + 1,
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute(),
  );
  if ('overlap' in updated) throw problemError(await overlapProblem(scope, updated.overlap, service, place, candidate, row.id));
  await recordEvent(scope, {
    appointmentId: row.id,
    patientId: row.patient_id,
    action: 'rescheduled',
    from: 'booked',
    to: 'booked',
    previousStartsAt: row.starts_at,
    startsAt: new Date(candidate.start),
    via,
    now,
    summary: `Rescheduled ${service.name} from ${formatLocal(row.starts_at, place.location.timeZone)} to ${formatLocal(candidate.start, place.location.timeZone)} with ${place.practitioner.name}`,
    detail: { service: service.name, practitioner: place.practitioner.name, location: place.location.name, timeZone: place.location.timeZone },
  });
  await slotFreed(scope, row, now);
  return getAppointment(scope, row.id);
}

export type StatusAction = 'confirm' | 'check_in' | 'noshow' | 'complete' | 'cancel';

const TRANSITIONS: Record<StatusAction, { from: AppointmentStatus[]; to: AppointmentStatus; event: AppointmentAction; verb: string }> = {
  confirm: { from: ['booked'], to: 'booked', event: 'confirmed', verb: 'confirmed' },
  check_in: { from: ['booked'], to: 'arrived', event: 'checked_in', verb: 'checked in' },
  noshow: { from: ['booked', 'arrived'], to: 'noshow', event: 'noshow', verb: 'marked as a no-show' },
  complete: { from: ['booked', 'arrived'], to: 'fulfilled', event: 'completed', verb: 'completed' },
  cancel: { from: ['booked', 'arrived'], to: 'cancelled', event: 'cancelled', verb: 'cancelled' },
};

export type StatusRequest = {
  action: StatusAction;
  reason?: string | null | undefined;
  version?: number | undefined;
  via?: BookedVia | undefined;
  /** With `complete` only: the visit's care instructions, written with the completion (null or blank clears them). */
  careInstructions?: string | null | undefined;
};

/** Confirm, check in, no-show, complete or cancel, each allowed only from the statuses that make sense. */
export async function changeAppointmentStatus(scope: TenantScope, id: string, request: StatusRequest, now: Date): Promise<AppointmentView> {
  const row = await lockAppointment(scope, id);
  checkAppointmentVersion(row, request.version);
  const rule = TRANSITIONS[request.action];
  if (!rule.from.includes(row.status)) {
    throw new AppError(409, 'invalid_transition', `A ${row.status} appointment cannot be ${rule.verb}.`);
  }
  const reason = request.reason?.trim() || null;
  if (request.action === 'cancel' && !reason) {
    throw new AppError(400, 'validation_failed', 'Invalid request: reason is required to cancel', [{ path: 'reason', message: 'is required to cancel' }]);
  }
  if (request.action === 'noshow' && now < row.starts_at) {
    throw new AppError(409, 'too_early', `The appointment has not started yet (${formatLocal(row.starts_at, await zoneOf(scope, row.location_id))}); it cannot be a no-show.`);
  }
  if (request.action === 'confirm' && row.ends_at <= now) {
    throw new AppError(409, 'invalid_transition', 'The appointment is over; it cannot be confirmed.');
  }
  const writesCare = request.careInstructions !== undefined;
  if (writesCare && request.action !== 'complete') {
    throw new AppError(400, 'validation_failed', 'Invalid request: careInstructions can only be given when completing a visit', [{ path: 'careInstructions', message: 'can only be given when completing a visit' }]);
  }
  if (writesCare) requireCareInstructionAuthor(scope);
  const careInstructions = writesCare ? request.careInstructions?.trim() || null : row.care_instructions;
  await scope.tx
    .updateTable('appointment')
    .set({
      status: rule.to,
      version: row.version + 1,
      updated_at: now,
      ...(request.action === 'confirm' ? { confirmed_at: now } : {}),
      ...(request.action === 'cancel' ? { cancelled_at: now, cancel_reason: reason } : {}),
      ...(writesCare ? { care_instructions: careInstructions } : {}),
    })
    .where('id', '=', row.id)
    .execute();
  const view = await getAppointment(scope, row.id);
  await recordEvent(scope, {
    appointmentId: row.id,
    patientId: row.patient_id,
    action: rule.event,
    from: row.status,
    to: rule.to,
    startsAt: row.starts_at,
    reason,
    via: viaOf(scope, request.via),
    now,
    summary: `${view.service.name} with ${view.practitioner.name} on ${formatLocal(row.starts_at, view.location.timeZone)} ${rule.verb}${reason ? `: ${reason}` : ''}`,
    detail: { service: view.service.name, practitioner: view.practitioner.name, location: view.location.name, timeZone: view.location.timeZone },
  });
  await recordCareInstructionsChange(scope, { id: row.id, patientId: row.patient_id, previous: row.care_instructions, next: careInstructions }, now);
  if (request.action === 'cancel') await slotFreed(scope, row, now);
  return view;
}

async function zoneOf(scope: TenantScope, locationId: string): Promise<string> {
  const row = await scope.tx.selectFrom('location').select('time_zone').where('id', '=', locationId).executeTakeFirstOrThrow();
  return row.time_zone;
}
