import type { Appointment, AppointmentParticipant } from '@medplum/fhirtypes';
import { sql, type RawBuilder } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import type { AppointmentStatus } from '../../../server/db/types.ts';
import { AppError } from '../../../server/errors.ts';
import { isUuid } from '../../../shared/ids.ts';
import { appointmentQuery, practitionerName } from '../../scheduling/appointments.ts';
import { bookAppointment, changeAppointmentStatus, rescheduleAppointment, type StatusAction } from '../../scheduling/booking.ts';
import { asUnprocessable, fhirError, preconditionFailed, resourceNotFound } from '../outcome.ts';
import { anyOf, dateCondition, ID_PARAM, LAST_UPDATED_PARAM, parseDateValue, parseToken, referenceId, type SearchRequest } from '../search.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, iso, meta, referencedId, unknownReference } from './common.ts';
import { SERVICE_SYSTEM } from './location.ts';

/**
 * Appointments. Creating one books it through bookAppointment and updating one goes through
 * rescheduleAppointment and changeAppointmentStatus, so every booking rule (hours, notice, overlaps,
 * the status machine) holds for FHIR clients exactly as for staff.
 */

function rows(scope: TenantScope) {
  return appointmentQuery(scope).select(['a.updated_at', 'a.created_at']);
}
type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

export function appointmentToFhir(r: Row): Appointment {
  const participant: AppointmentParticipant[] = [
    { actor: { reference: `Patient/${r.patient_id}`, display: `${r.given_name} ${r.family_name}` }, required: 'required', status: 'accepted' },
    {
      actor: { reference: `Practitioner/${r.practitioner_id}`, display: practitionerName({ prefix: r.prefix, given_name: r.practitioner_given, family_name: r.practitioner_family }) },
      required: 'required',
      status: 'accepted',
    },
    { actor: { reference: `Location/${r.location_id}`, display: r.location_name }, required: 'required', status: 'accepted' },
    { actor: { reference: `HealthcareService/${r.service_id}`, display: r.service_name }, required: 'information-only', status: 'accepted' },
  ];
  return compact({
    resourceType: 'Appointment' as const,
    id: r.id,
    meta: meta(r.version, r.updated_at),
    status: r.status,
    cancelationReason: r.cancel_reason ? { text: r.cancel_reason } : undefined,
    serviceType: [{ coding: [{ system: SERVICE_SYSTEM, code: r.service_id, display: r.service_name }], text: r.service_name }],
    start: iso(r.starts_at),
    end: iso(r.ends_at),
    minutesDuration: Math.round((new Date(r.ends_at).getTime() - new Date(r.starts_at).getTime()) / 60_000),
    created: iso(r.created_at),
    comment: r.notes ?? undefined,
    participant,
  });
}

async function readAppointment(scope: TenantScope, id: string): Promise<Appointment | undefined> {
  const row = isUuid(id) ? await rows(scope).where('a.id', '=', id).executeTakeFirst() : undefined;
  return row ? appointmentToFhir(row) : undefined;
}

/** The Rapport ids an Appointment names: its patient, practitioner, location and service. */
function partiesOf(resource: Appointment) {
  const actor = (type: string) => {
    const found = (resource.participant ?? []).filter((p) => p.actor?.reference && new RegExp(`(^|/)${type}/[^/]+$`).test(p.actor.reference));
    if (found.length > 1) throw fhirError(422, 'invalid', `Appointment.participant names more than one ${type}.`, ['Appointment.participant']);
    return found[0] ? referencedId(found[0].actor, type, 'Appointment.participant.actor') : undefined;
  };
  const serviceCoding = resource.serviceType?.flatMap((c) => c.coding ?? []).find((c) => c.system === SERVICE_SYSTEM)?.code;
  return { patientId: actor('Patient'), practitionerId: actor('Practitioner'), locationId: actor('Location'), serviceId: actor('HealthcareService') ?? serviceCoding };
}

const ACTION_FOR: Partial<Record<AppointmentStatus, StatusAction>> = { arrived: 'check_in', fulfilled: 'complete', cancelled: 'cancel', noshow: 'noshow' };
const STATUSES: readonly string[] = ['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow'];

/** A service refusal about a referenced row (404 of a patient, practitioner ...) is a 422 on the reference. */
function asReferenceProblem(error: unknown): unknown {
  if (error instanceof AppError && error.status === 404) return unknownReference('Appointment.participant', error.message.replace(/ was not found\.$/, ''));
  return asUnprocessable(error);
}

async function createAppointment(scope: TenantScope, resource: Appointment, ctx: FhirContext): Promise<Appointment> {
  if (resource.status !== 'booked') throw fhirError(422, 'business-rule', 'A new Appointment must have status booked; Rapport books it at once or refuses.', ['Appointment.status']);
  const { patientId, practitionerId, locationId, serviceId } = partiesOf(resource);
  const missing = [!patientId && 'a Patient', !practitionerId && 'a Practitioner', !locationId && 'a Location', !serviceId && `a HealthcareService (participant or serviceType ${SERVICE_SYSTEM})`].filter(Boolean);
  if (missing.length) throw fhirError(422, 'required', `Appointment.participant needs ${missing.join(', ')}.`, ['Appointment.participant']);
  if (!resource.start) throw fhirError(422, 'required', 'Appointment.start is required.', ['Appointment.start']);
  if (!isUuid(serviceId!)) throw unknownReference('Appointment.serviceType', `HealthcareService/${serviceId}`);
  try {
    const view = await bookAppointment(
      scope,
      {
        patientId: patientId!,
        practitionerId: practitionerId!,
        locationId: locationId!,
        serviceId: serviceId!,
        startsAt: new Date(resource.start),
        endsAt: resource.end ? new Date(resource.end) : undefined,
        notes: resource.comment ?? null,
        via: 'fhir',
      },
      ctx.now,
    );
    return (await readAppointment(scope, view.id))!;
  } catch (error) {
    throw asReferenceProblem(error);
  }
}

async function updateAppointment(scope: TenantScope, id: string, resource: Appointment, expectedVersion: number | undefined, ctx: FhirContext): Promise<Appointment> {
  const locked = isUuid(id) ? await scope.tx.selectFrom('appointment').select('id').where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  const current = locked ? await rows(scope).where('a.id', '=', id).executeTakeFirst() : undefined;
  if (!current) throw resourceNotFound('Appointment', id);
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw preconditionFailed(`Appointment/${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`);
  }
  if (!STATUSES.includes(resource.status)) throw fhirError(422, 'business-rule', `Rapport keeps appointments as ${STATUSES.join(', ')}; "${resource.status}" is not one.`, ['Appointment.status']);
  const parties = partiesOf(resource);
  if ((parties.patientId && parties.patientId !== current.patient_id) || (parties.serviceId && parties.serviceId !== current.service_id)) {
    throw fhirError(422, 'business-rule', 'The patient and the service of an appointment cannot change; cancel it and book another.', ['Appointment.participant']);
  }
  const startsAt = resource.start ? new Date(resource.start) : current.starts_at;
  const endsAt = resource.end ? new Date(resource.end) : undefined;
  const moved =
    startsAt.getTime() !== new Date(current.starts_at).getTime() ||
    (endsAt !== undefined && endsAt.getTime() !== new Date(current.ends_at).getTime()) ||
    (parties.practitionerId !== undefined && parties.practitionerId !== current.practitioner_id) ||
    (parties.locationId !== undefined && parties.locationId !== current.location_id);
  try {
    if (moved) {
      await rescheduleAppointment(scope, id, { startsAt, endsAt, practitionerId: parties.practitionerId, locationId: parties.locationId, via: 'fhir' }, ctx.now);
    }
    if (resource.status !== current.status) {
      const action = ACTION_FOR[resource.status as AppointmentStatus];
      if (!action) throw fhirError(409, 'business-rule', `A ${current.status} appointment cannot go back to ${resource.status}.`, ['Appointment.status']);
      const reason = resource.cancelationReason?.text ?? resource.cancelationReason?.coding?.[0]?.display ?? (action === 'cancel' ? 'Cancelled through the FHIR API' : null);
      await changeAppointmentStatus(scope, id, { action, reason, via: 'fhir' }, ctx.now);
    }
  } catch (error) {
    throw asReferenceProblem(error);
  }
  return (await readAppointment(scope, id))!;
}

function searchAppointments(scope: TenantScope, request: SearchRequest) {
  const conditions: RawBuilder<boolean>[] = [];
  const refIn = (column: string, type: string, param: string, values: string[]) => {
    const ids = values.map((v) => referenceId(v, type, param)).filter(isUuid);
    return ids.length ? sql<boolean>`${sql.ref(column)} in (${sql.join(ids.map((i) => sql`${i}::uuid`))})` : sql<boolean>`false`;
  };
  for (const p of request.params) {
    if (p.name === '_id') conditions.push(refIn('a.id', 'Appointment', '_id', p.values));
    else if (p.name === 'patient') conditions.push(refIn('a.patient_id', 'Patient', 'patient', p.values));
    else if (p.name === 'practitioner') conditions.push(refIn('a.practitioner_id', 'Practitioner', 'practitioner', p.values));
    else if (p.name === 'location') conditions.push(refIn('a.location_id', 'Location', 'location', p.values));
    else if (p.name === 'service-type') conditions.push(anyOf(p.values.map((v) => (isUuid(parseToken(v).code ?? '') ? sql<boolean>`a.service_id = ${parseToken(v).code}::uuid` : sql<boolean>`false`))));
    else if (p.name === 'status') conditions.push(sql<boolean>`a.status in (${sql.join(p.values.map((v) => parseToken(v).code ?? ''))})`);
    else if (p.name === 'date') conditions.push(anyOf(p.values.map((v) => dateCondition(sql`a.starts_at`, parseDateValue(v, 'date'), 'instant'))));
    else if (p.name === '_lastUpdated') conditions.push(anyOf(p.values.map((v) => dateCondition(sql`a.updated_at`, parseDateValue(v, '_lastUpdated'), 'instant'))));
  }
  let q = rows(scope);
  for (const c of conditions) q = q.where(c);
  const sorts = request.sort.length ? request.sort : [{ name: 'date', desc: false }];
  for (const s of sorts) q = q.orderBy(s.name === '_lastUpdated' ? 'a.updated_at' : 'a.starts_at', s.desc ? 'desc' : 'asc');
  return q.orderBy('a.id').limit(request.count + 1).offset(request.offset).execute();
}

export const appointmentModule: ResourceModule<Appointment> = {
  type: 'Appointment',
  documentation:
    'Appointments (appointment). Create books through the booking rules (status booked; participants Patient, Practitioner, Location and a HealthcareService or serviceType ' +
    `${SERVICE_SYSTEM}|<id>). Update moves it (start, end, practitioner, location) or changes its status: booked -> arrived, fulfilled, cancelled, noshow.`,
  interactions: ['read', 'search-type', 'create', 'update'],
  searchParams: [
    ID_PARAM,
    LAST_UPDATED_PARAM,
    { name: 'patient', type: 'reference', documentation: 'The Patient' },
    { name: 'practitioner', type: 'reference', documentation: 'The Practitioner' },
    { name: 'location', type: 'reference', documentation: 'The Location' },
    { name: 'date', type: 'date', documentation: 'The start, with the prefixes eq, ne, gt, lt, ge, le, sa, eb' },
    { name: 'status', type: 'token', documentation: 'booked | arrived | fulfilled | cancelled | noshow' },
    { name: 'service-type', type: 'token', documentation: `The service, as ${SERVICE_SYSTEM}|<HealthcareService id>` },
  ],
  sorts: ['date', '_lastUpdated'],
  versioned: true,
  conditionalCreate: true,
  read: (scope, id) => readAppointment(scope, id),
  async search(scope, request) {
    return (await searchAppointments(scope, request)).map(appointmentToFhir);
  },
  create: createAppointment,
  update: updateAppointment,
};
