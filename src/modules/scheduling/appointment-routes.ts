import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { AppError } from '../../server/errors.ts';
import { ALL_STAFF, PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { isIanaTimeZone } from '../patients/normalize.ts';
import { appointmentHistory, getAppointment, listAppointments } from './appointments.ts';
import { bookAppointment, bookSeries, changeAppointmentStatus, rescheduleAppointment, type StatusAction } from './booking.ts';
import { CARE_INSTRUCTION_ROLES, setVisitCareInstructions } from './care-instructions.ts';
import { careInstructionsText } from './directory-schema.ts';
import { findSlots, MAX_SLOT_RANGE_DAYS } from './slots.ts';

const status = z.enum(['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow']);

export const appointmentSchema = z.object({
  id: z.uuid(),
  status,
  startsAt: z.string(),
  endsAt: z.string(),
  timeZone: z.string(),
  version: z.number().int(),
  confirmedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  cancelReason: z.string().nullable(),
  bookedVia: z.string(),
  seriesId: z.uuid().nullable(),
  notes: z.string().nullable(),
  careInstructions: z.string().nullable(),
  patient: z.object({
    id: z.uuid(),
    givenName: z.string(),
    familyName: z.string(),
    preferredName: z.string().nullable(),
    birthDate: z.string().nullable(),
    phone: z.string().nullable(),
  }),
  practitioner: z.object({ id: z.uuid(), name: z.string() }),
  location: z.object({ id: z.uuid(), name: z.string(), timeZone: z.string() }),
  service: z.object({ id: z.uuid(), name: z.string(), durationMinutes: z.number().int(), mode: z.enum(['in_person', 'video']) }),
  room: z.object({ id: z.uuid(), name: z.string() }).nullable(),
});

const historyEntry = z.object({
  action: z.string(),
  fromStatus: status.nullable(),
  toStatus: status,
  previousStartsAt: z.string().nullable(),
  startsAt: z.string(),
  reason: z.string().nullable(),
  via: z.string(),
  actor: z.object({ type: z.string(), name: z.string().nullable() }),
  occurredAt: z.string(),
});

const slot = z.object({
  startsAt: z.string(),
  endsAt: z.string(),
  practitionerId: z.uuid(),
  locationId: z.uuid(),
  roomId: z.uuid().nullable(),
  timeZone: z.string(),
});

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)');

const slotQuery = z.strictObject({
  serviceId: z.uuid(),
  from: date,
  to: date,
  practitionerId: z.uuid().optional(),
  locationId: z.uuid().optional(),
});

/**
 * A start time: an ISO 8601 date-time with its offset, or a local date-time with `timeZone`
 * naming the IANA zone it is in.
 */
const startTime = z
  .string()
  .max(40)
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/, 'must be an ISO 8601 date-time, e.g. 2026-03-09T09:00:00-05:00');

const place = {
  startsAt: startTime,
  /** Only for a visit longer than the service's duration; never shorter. */
  endsAt: startTime.optional(),
  timeZone: z.string().max(64).optional(),
};

const bookingBody = z.strictObject({
  patientId: z.uuid(),
  serviceId: z.uuid(),
  practitionerId: z.uuid(),
  locationId: z.uuid(),
  ...place,
  roomId: z.uuid().nullable().optional(),
  notes: z.string().trim().max(2000).optional(),
});

const seriesBody = bookingBody.extend({ rrule: z.string().trim().min(1).max(500) });

const rescheduleBody = z.strictObject({
  ...place,
  practitionerId: z.uuid().optional(),
  locationId: z.uuid().optional(),
  roomId: z.uuid().nullable().optional(),
  version: z.number().int().min(1),
});

const statusBody = z.strictObject({ version: z.number().int().min(1).optional() });
/** Completing may carry the visit's care instructions (clinicians and administrators only). */
const completeBody = statusBody.extend({ careInstructions: careInstructionsText.optional() });
const careInstructionsBody = z.strictObject({ careInstructions: careInstructionsText, version: z.number().int().min(1).optional() });
const cancelBody = z.strictObject({ reason: z.string().trim().min(1, 'is required to cancel').max(500), version: z.number().int().min(1).optional() });

const listQuery = z.strictObject({
  from: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).optional(),
  to: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).optional(),
  practitionerId: z.uuid().optional(),
  locationId: z.uuid().optional(),
  roomId: z.uuid().optional(),
  patientId: z.uuid().optional(),
  status: z
    .string()
    .max(100)
    .transform((s, ctx) => {
      const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
      for (const p of parts) {
        if (!status.safeParse(p).success) {
          ctx.addIssue({ code: 'custom', message: `"${p}" is not a status (booked, arrived, fulfilled, cancelled, noshow)` });
          return z.NEVER;
        }
      }
      return parts as Array<z.infer<typeof status>>;
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(2000),
});

const idParams = z.object({ id: z.string().max(100) });

/** The instant a request's start names, or a 400 saying what is wrong with it. */
export function parseStart(startsAt: string, timeZone: string | undefined, field = 'startsAt'): Date {
  const hasOffset = /(Z|[+-]\d{2}:\d{2})$/.test(startsAt);
  const fail = (path: string, message: string) => new AppError(400, 'validation_failed', `Invalid request: ${path} ${message}`, [{ path, message }]);
  if (timeZone !== undefined && !isIanaTimeZone(timeZone)) throw fail('timeZone', `"${timeZone}" is not an IANA time zone`);
  if (hasOffset) {
    const parsed = DateTime.fromISO(startsAt, { setZone: true });
    if (!parsed.isValid) throw fail(field, `"${startsAt}" is not a real date and time`);
    return parsed.toJSDate();
  }
  if (!timeZone) throw fail(field, 'needs an offset (e.g. -05:00) or a timeZone beside it');
  const local = DateTime.fromISO(startsAt, { zone: timeZone });
  if (!local.isValid) throw fail(field, `"${startsAt}" is not a real date and time`);
  // A wall-clock time skipped by a daylight saving change does not exist in that zone.
  const wanted = DateTime.fromISO(startsAt, { zone: 'UTC' });
  if (local.hour !== wanted.hour || local.minute !== wanted.minute || local.day !== wanted.day) {
    throw fail(field, `${startsAt} does not exist in ${timeZone} (the clocks skip it for daylight saving time)`);
  }
  return local.toJSDate();
}

const ACTIONS: Array<{ path: string; action: StatusAction; summary: string; body: typeof statusBody | typeof completeBody }> = [
  { path: 'confirm', action: 'confirm', summary: 'Confirm a booked appointment', body: statusBody },
  { path: 'check-in', action: 'check_in', summary: 'Check the patient in (arrived)', body: statusBody },
  { path: 'no-show', action: 'noshow', summary: 'Mark a no-show (once the appointment has started)', body: statusBody },
  {
    path: 'complete',
    action: 'complete',
    summary: "Complete the visit (fulfilled), optionally with the visit's care instructions (clinicians and administrators; 403 for other roles)",
    body: completeBody,
  },
];

export async function registerAppointmentRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const access = { access: { roles: PATIENT_STAFF } };
  const tags = ['scheduling'];

  r.get(
    '/api/scheduling/slots',
    {
      config: { access: { roles: ALL_STAFF } },
      schema: {
        tags,
        summary: `Open slots for a service between two dates (local at each location, at most ${MAX_SLOT_RANGE_DAYS} days), for one practitioner or location or any`,
        querystring: slotQuery,
        response: { 200: z.object({ slots: z.array(slot) }), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => inTenant(db, request, async (scope) => ({ slots: await findSlots(scope, request.query, deps.clock()) })),
  );

  r.get(
    '/api/appointments',
    {
      config: access,
      schema: {
        tags,
        summary: 'Appointments overlapping from..to (a calendar), or of one patient (patientId)',
        querystring: listQuery,
        response: { 200: z.object({ items: z.array(appointmentSchema) }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query;
      const from = q.from ? new Date(q.from) : undefined;
      const to = q.to ? new Date(q.to) : undefined;
      if (!q.patientId && (!from || !to)) {
        throw new AppError(400, 'validation_failed', 'Invalid request: give from and to, or a patientId', [{ path: 'from', message: 'is required without patientId' }]);
      }
      if (from && to && to <= from) throw new AppError(400, 'validation_failed', 'Invalid request: to must be after from', [{ path: 'to', message: 'must be after from' }]);
      if (from && to && to.getTime() - from.getTime() > MAX_SLOT_RANGE_DAYS * 86_400_000) {
        throw new AppError(400, 'validation_failed', `Invalid request: at most ${MAX_SLOT_RANGE_DAYS} days at once`, [{ path: 'to', message: `is more than ${MAX_SLOT_RANGE_DAYS} days after from` }]);
      }
      return inTenant(db, request, async (scope) => ({
        items: await listAppointments(scope, { ...q, from, to, statuses: q.status }),
      }));
    },
  );

  r.post(
    '/api/appointments',
    {
      config: access,
      schema: {
        tags,
        summary: 'Book an appointment (409 slot_taken with the conflicting times when the practitioner or room is taken)',
        body: bookingBody,
        response: { 201: appointmentSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { startsAt, endsAt, timeZone, ...rest } = request.body;
      const times = { startsAt: parseStart(startsAt, timeZone), endsAt: endsAt === undefined ? undefined : parseStart(endsAt, timeZone, 'endsAt') };
      const view = await inTenant(db, request, (scope) => bookAppointment(scope, { ...rest, ...times }, deps.clock()));
      return reply.status(201).send(view);
    },
  );

  r.post(
    '/api/appointments/series',
    {
      config: access,
      schema: {
        tags,
        summary: 'Book a recurring series (rrule, e.g. FREQ=WEEKLY;COUNT=6): all occurrences or none, with a report per occurrence',
        body: seriesBody,
        response: { 201: z.object({ seriesId: z.uuid(), appointments: z.array(appointmentSchema) }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { startsAt, endsAt, timeZone, rrule, ...rest } = request.body;
      const start = parseStart(startsAt, timeZone);
      const end = endsAt === undefined ? undefined : parseStart(endsAt, timeZone, 'endsAt');
      const result = await inTenant(db, request, (scope) => bookSeries(scope, { ...rest, startsAt: start, endsAt: end, rrule }, deps.clock()));
      return reply.status(201).send(result);
    },
  );

  r.get(
    '/api/appointments/:id',
    {
      config: access,
      schema: {
        tags,
        summary: 'One appointment with its history of changes',
        params: idParams,
        response: { 200: appointmentSchema.extend({ history: z.array(historyEntry) }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) =>
      inTenant(db, request, async (scope) => {
        const view = await getAppointment(scope, request.params.id);
        await scope.audit({ action: 'appointment.read', entityType: 'appointment', entityId: view.id, patientId: view.patient.id });
        return { ...view, history: await appointmentHistory(scope, view.id) };
      }),
  );

  r.post(
    '/api/appointments/:id/reschedule',
    {
      config: access,
      schema: {
        tags,
        summary: 'Move a booked appointment (version from the last read; 409 stale if it changed since)',
        params: idParams,
        body: rescheduleBody,
        response: { 200: appointmentSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { startsAt, endsAt, timeZone, ...rest } = request.body;
      const times = { startsAt: parseStart(startsAt, timeZone), endsAt: endsAt === undefined ? undefined : parseStart(endsAt, timeZone, 'endsAt') };
      return inTenant(db, request, (scope) => rescheduleAppointment(scope, request.params.id, { ...rest, ...times }, deps.clock()));
    },
  );

  r.post(
    '/api/appointments/:id/cancel',
    {
      config: access,
      schema: { tags, summary: 'Cancel with a reason; the slot is offered to the waitlist', params: idParams, body: cancelBody, response: { 200: appointmentSchema, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request) =>
      inTenant(db, request, (scope) => changeAppointmentStatus(scope, request.params.id, { action: 'cancel', ...request.body }, deps.clock())),
  );

  r.put(
    '/api/appointments/:id/care-instructions',
    {
      config: { access: { roles: CARE_INSTRUCTION_ROLES } },
      schema: {
        tags,
        summary:
          "Set the visit's own care instructions (an arrived or completed visit; null or blank clears them): the follow-up email sends them instead of the service's. 409 invalid_status for other visits, 409 stale on an old version",
        params: idParams,
        body: careInstructionsBody,
        response: { 200: appointmentSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => setVisitCareInstructions(scope, request.params.id, request.body, deps.clock())),
  );

  for (const { path, action, summary, body } of ACTIONS) {
    r.post(
      `/api/appointments/:id/${path}`,
      {
        config: access,
        schema: { tags, summary, params: idParams, body: body.nullish(), response: { 200: appointmentSchema, ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request) =>
        inTenant(db, request, (scope) => changeAppointmentStatus(scope, request.params.id, { action, ...(request.body ?? {}) }, deps.clock())),
    );
  }
}
