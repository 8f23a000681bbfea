import type { AppointmentStatus } from '../../server/db/types.ts';
import { bookAppointment, changeAppointmentStatus, rescheduleAppointment } from '../scheduling/booking.ts';
import { Hl7Error, warn, type HandlerContext, type HandlerResult } from './context.ts';
import { parseTimestamp } from './datatypes.ts';
import { findByRef, matchLocation, matchPractitioner, matchRoom, matchService, remember, type ExternalKey } from './directory-match.ts';
import { component, firstSegment, part, repetitions, segmentsNamed, value, type Segment } from './parse.ts';
import { upsertPatient } from './patient-sync.ts';

/**
 * SIU from a scheduler that owns the diary: S12 books, S13 reschedules, S14 modifies, S15 cancels,
 * S26 records a no-show, each through the scheduling module with via 'hl7' and as an external
 * booking (its time stands outside Rapport's hours and booking rules; double booking is still
 * refused). The appointment is known by the filler's id (SCH-2, else the placer's SCH-1).
 */

type Slot = {
  startsAt: Date;
  endsAt: Date | undefined;
  serviceId: string;
  practitionerId: string;
  locationId: string;
  roomId: string | null;
};

function requireSch(ctx: HandlerContext): Segment {
  const sch = firstSegment(ctx.message, 'SCH');
  if (!sch) throw new Hl7Error('100', `An SCH segment is required in SIU^${ctx.message.header.triggerEvent}.`, 'SCH');
  return sch;
}

/** SCH-2 (filler appointment id), else SCH-1 (placer), as this sender's key for the appointment. */
function appointmentKey(ctx: HandlerContext, sch: Segment): ExternalKey {
  for (const [field, role] of [[2, 'filler'], [1, 'placer']] as const) {
    const id = component(sch, field, 1);
    if (id) return { system: `${ctx.sender}|${role}|${component(sch, field, 2)}`, id };
  }
  throw new Hl7Error('101', 'SCH-2 (filler appointment id) or SCH-1 (placer appointment id) is required.', 'SCH^1^2');
}

/** Start and end: TQ1-7/8, else SCH-11 (TQ) components 4/5, else AIS-4 plus AIS-7 minutes. */
function timing(ctx: HandlerContext, sch: Segment): { startsAt: Date; endsAt: Date | undefined } {
  const tq1 = firstSegment(ctx.message, 'TQ1');
  const ais = firstSegment(ctx.message, 'AIS');
  const read = (text: string, location: string) => {
    if (!text) return undefined;
    const at = parseTimestamp(text, ctx.zone);
    if (!at) throw new Hl7Error('102', `${location.replace(/\^1\^/, '-')} "${text}" is not an HL7 timestamp.`, location);
    return at;
  };
  if (tq1 && component(tq1, 7, 1)) return { startsAt: read(component(tq1, 7, 1), 'TQ1^1^7')!, endsAt: read(component(tq1, 8, 1), 'TQ1^1^8') };
  if (component(sch, 11, 4)) return { startsAt: read(component(sch, 11, 4), 'SCH^1^11')!, endsAt: read(component(sch, 11, 5), 'SCH^1^11') };
  if (ais && value(ais, 4)) {
    const startsAt = read(value(ais, 4), 'AIS^1^4')!;
    const minutes = Number(value(ais, 7));
    const unit = component(ais, 8, 1).toLowerCase();
    const factor = unit.startsWith('h') ? 60 : unit.startsWith('s') ? 1 / 60 : 1;
    return { startsAt, endsAt: Number.isFinite(minutes) && minutes > 0 ? new Date(startsAt.getTime() + minutes * factor * 60_000) : undefined };
  }
  throw new Hl7Error('101', 'The appointment time is required: TQ1-7, SCH-11.4 or AIS-4.', 'TQ1^1^7');
}

/** The service (AIS-3), practitioner (AIP-3) and location and room (AIL-3, else PV1-3), or AE naming the unknown one. */
async function resources(ctx: HandlerContext): Promise<Omit<Slot, 'startsAt' | 'endsAt'>> {
  const ais = firstSegment(ctx.message, 'AIS');
  if (!ais || !component(ais, 3, 1)) throw new Hl7Error('101', 'AIS-3 (universal service identifier) is required to know the service.', 'AIS^1^3');
  const code = component(ais, 3, 1);
  const names = [component(ais, 3, 2), component(ais, 3, 5)];
  const serviceId = await matchService(ctx, { system: component(ais, 3, 3) || ctx.sender, id: code }, names);
  if (!serviceId) {
    throw new Hl7Error('204', `AIS-3 service ${code} (${names.filter(Boolean).join(' / ')}) is not a service of this clinic: add a service by that name or map the code.`, 'AIS^1^3');
  }

  const aip = segmentsNamed(ctx.message, 'AIP').find((s) => repetitions(s, 3).length);
  if (!aip) throw new Hl7Error('101', 'AIP-3 (personnel resource) is required to know the practitioner.', 'AIP^1^3');
  const person = repetitions(aip, 3)[0];
  const personId = part(person, 1);
  const name = { family: part(person, 2), given: part(person, 3) };
  const practitionerId = await matchPractitioner(ctx, personId ? { system: part(person, 9, 1) || ctx.sender, id: personId } : null, name);
  if (!practitionerId) {
    throw new Hl7Error('204', `AIP-3 practitioner ${personId} (${[name.given, name.family].filter(Boolean).join(' ')}) is not in the clinic's directory: add the practitioner or map the id.`, 'AIP^1^3');
  }

  const ail = segmentsNamed(ctx.message, 'AIL').find((s) => repetitions(s, 3).length);
  const pv1 = firstSegment(ctx.message, 'PV1');
  const place = ail ? repetitions(ail, 3)[0] : pv1 ? repetitions(pv1, 3)[0] : undefined;
  const where = ail ? 'AIL-3' : 'PV1-3';
  if (!place) throw new Hl7Error('101', 'AIL-3 (location resource) is required to know the location.', 'AIL^1^3');
  const facility = part(place, 4, 1);
  const pointOfCare = part(place, 1);
  const location = await matchLocation(ctx, { system: ctx.sender, id: facility || pointOfCare }, [facility, pointOfCare, part(place, 9)]);
  if (!location) {
    throw new Hl7Error('204', `${where} location ${[facility, pointOfCare].filter(Boolean).join(' / ')} is not a location of this clinic: add a location by that name or map it.`, ail ? 'AIL^1^3' : 'PV1^1^3');
  }
  const roomName = part(place, 2);
  const roomId = await matchRoom(ctx, location.id, roomName);
  if (roomName && !roomId) warn(ctx, '204', `${where} room "${roomName}" is not a room of the location; the appointment was kept without a room.`, ail ? 'AIL^1^3' : 'PV1^1^3');
  return { serviceId, practitionerId, locationId: location.id, roomId };
}

async function slot(ctx: HandlerContext, sch: Segment): Promise<Slot> {
  return { ...timing(ctx, sch), ...(await resources(ctx)) };
}

async function requireAppointment(ctx: HandlerContext, key: ExternalKey) {
  const id = await findByRef(ctx, 'Appointment', key);
  const row = id
    ? await ctx.scope.tx.selectFrom('appointment').select(['id', 'patient_id', 'status', 'starts_at', 'ends_at', 'practitioner_id', 'location_id', 'room_id', 'service_id']).where('id', '=', id).executeTakeFirst()
    : undefined;
  if (!row) throw new Hl7Error('204', `No appointment in Rapport has the ${key.system.includes('|filler|') ? 'filler' : 'placer'} id ${key.id} (SCH).`, 'SCH^1^2');
  return row;
}

/** S12: books the appointment for the PID patient (created or updated from PID first). */
export async function book(ctx: HandlerContext): Promise<HandlerResult> {
  const sch = requireSch(ctx);
  const key = appointmentKey(ctx, sch);
  const pid = firstSegment(ctx.message, 'PID');
  if (!pid) throw new Hl7Error('100', 'A PID segment is required in SIU^S12.', 'PID');
  const { patientId } = await upsertPatient(ctx, pid, 'siu');
  const existing = await findByRef(ctx, 'Appointment', key);
  if (existing) {
    ctx.warnings.push({ code: '0', severity: 'I', message: `The appointment ${key.id} was booked before; an S12 does not book it twice.`, location: 'SCH^1^2' });
    return { patientId, entityType: 'appointment', entityId: existing };
  }
  const s = await slot(ctx, sch);
  const appointment = await bookAppointment(
    ctx.scope,
    { patientId, ...s, notes: notes(ctx), via: 'hl7', external: true },
    ctx.now,
  );
  await remember(ctx, 'Appointment', key, appointment.id);
  return { patientId, entityType: 'appointment', entityId: appointment.id };
}

/** S13 (reschedule) and S14 (modify): moves the appointment to what SCH/TQ1/AIS/AIP/AIL now say. */
export async function reschedule(ctx: HandlerContext, always: boolean): Promise<HandlerResult> {
  const sch = requireSch(ctx);
  const row = await requireAppointment(ctx, appointmentKey(ctx, sch));
  const s = await slot(ctx, sch);
  if (s.serviceId !== row.service_id) warn(ctx, '207', 'AIS-3 names another service: Rapport keeps the service an appointment was booked for.', 'AIS^1^3');
  const same =
    new Date(row.starts_at).getTime() === s.startsAt.getTime() &&
    (!s.endsAt || new Date(row.ends_at).getTime() === s.endsAt.getTime()) &&
    row.practitioner_id === s.practitionerId &&
    row.location_id === s.locationId &&
    (s.roomId === null || row.room_id === s.roomId);
  if (same && !always) {
    ctx.warnings.push({ code: '0', severity: 'I', message: 'Nothing Rapport keeps about the appointment changed.' });
    return { patientId: row.patient_id, entityType: 'appointment', entityId: row.id };
  }
  await rescheduleAppointment(
    ctx.scope,
    row.id,
    { startsAt: s.startsAt, endsAt: s.endsAt, practitionerId: s.practitionerId, locationId: s.locationId, ...(s.roomId ? { roomId: s.roomId } : {}), via: 'hl7', external: true },
    ctx.now,
  );
  return { patientId: row.patient_id, entityType: 'appointment', entityId: row.id };
}

/** S15 (cancel) and S26 (no-show); a repeat of the same news changes nothing. */
export async function changeStatus(ctx: HandlerContext, action: 'cancel' | 'noshow'): Promise<HandlerResult> {
  const sch = requireSch(ctx);
  const row = await requireAppointment(ctx, appointmentKey(ctx, sch));
  const target: AppointmentStatus = action === 'cancel' ? 'cancelled' : 'noshow';
  if (row.status === target) {
    ctx.warnings.push({ code: '0', severity: 'I', message: `The appointment is already ${target}.` });
    return { patientId: row.patient_id, entityType: 'appointment', entityId: row.id };
  }
  const sender = ctx.message.header.sendingApplication || 'the external scheduler';
  const why = notes(ctx) ?? (component(sch, 6, 2) || component(sch, 6, 1) || null);
  const reason = `${action === 'cancel' ? 'Cancelled' : 'No-show recorded'} in ${sender}${why ? `: ${why}` : ''}`.slice(0, 500);
  await changeAppointmentStatus(ctx.scope, row.id, { action, reason, via: 'hl7' }, ctx.now);
  return { patientId: row.patient_id, entityType: 'appointment', entityId: row.id };
}

/** The notes right after SCH/TQ1 (about the appointment, not the resources), joined. */
function notes(ctx: HandlerContext): string | null {
  const texts: string[] = [];
  for (const segment of ctx.message.segments.slice(1)) {
    // NTE-3 is the comment; some senders put it in NTE-2 (source of comment, a short code).
    if (segment.name === 'NTE') texts.push(value(segment, 3) || (value(segment, 2).length > 3 ? value(segment, 2) : ''));
    else if (segment.name !== 'SCH' && segment.name !== 'TQ1') break;
  }
  const text = texts.filter(Boolean).join(' ').trim();
  return text ? text.slice(0, 1000) : null;
}
