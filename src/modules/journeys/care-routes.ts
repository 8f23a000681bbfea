import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import {
  idParams,
  invoiceChangeBody,
  invoiceSchema,
  newInvoiceBody,
  newReminderBody,
  patientRunSchema,
  reminderChangeBody,
  reminderSchema,
} from './api-schema.ts';
import { addMedicationReminder, changeMedicationReminder, listMedicationReminders } from './care.ts';
import { addInvoice, changeInvoice, listInvoices } from './invoices.ts';
import { cancelJourneyRun, patientJourneys } from './runs.ts';

/** One patient's side of journeys: their runs, medication reminders and invoices. */
export async function registerCareRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const config = { access: { roles: PATIENT_STAFF } };

  r.get(
    '/api/patients/:id/journeys',
    { config, schema: { tags: ['journeys'], summary: "The patient's journey runs, newest first, with each step's outcome", params: idParams, response: { 200: z.object({ items: z.array(patientRunSchema) }), ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, async (scope) => ({ items: await patientJourneys(scope, request.params.id) })),
  );
  r.post(
    '/api/journey-runs/:id/cancel',
    {
      config,
      schema: { tags: ['journeys'], summary: 'Stop a journey for one patient, with its messages not yet sent (409 run_finished when it has ended)', params: idParams, response: { 200: patientRunSchema, ...errorResponses(401, 403, 404, 409) } },
    },
    async (request) => inTenant(db, request, (scope) => cancelJourneyRun(scope, request.params.id, deps.clock())),
  );

  const care = ['care'];
  r.get(
    '/api/patients/:id/medication-reminders',
    {
      config,
      schema: {
        tags: care,
        summary: "The patient's medication reminders, active first, and the time zone their times are in (the patient's, else the clinic's)",
        params: idParams,
        response: { 200: z.object({ items: z.array(reminderSchema), timeZone: z.string() }), ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => inTenant(db, request, (scope) => listMedicationReminders(scope, request.params.id)),
  );
  r.post(
    '/api/patients/:id/medication-reminders',
    {
      config,
      schema: {
        tags: care,
        summary: "Remind the patient of a medication at times of day in their own zone (1-8, HH:MM) from startDate to endDate (within two years), by SMS, email or in-app",
        params: idParams,
        body: newReminderBody,
        response: { 201: reminderSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => addMedicationReminder(scope, request.params.id, request.body, deps.clock()))),
  );
  r.patch(
    '/api/medication-reminders/:id',
    {
      config,
      schema: {
        tags: care,
        summary: 'Change a medication reminder, or stop it (active false): reminders already planned for doses that no longer exist are stopped',
        params: idParams,
        body: reminderChangeBody,
        response: { 200: reminderSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => changeMedicationReminder(scope, request.params.id, request.body, deps.clock())),
  );

  r.get(
    '/api/patients/:id/invoices',
    { config, schema: { tags: care, summary: "The patient's invoices, latest due first", params: idParams, response: { 200: z.object({ items: z.array(invoiceSchema) }), ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, async (scope) => ({ items: await listInvoices(scope, request.params.id) })),
  );
  r.post(
    '/api/patients/:id/invoices',
    {
      config,
      schema: { tags: care, summary: 'Record an invoice with an open balance (billing notices follow its due date)', params: idParams, body: newInvoiceBody, response: { 201: invoiceSchema, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => addInvoice(scope, request.params.id, request.body, deps.clock()))),
  );
  r.patch(
    '/api/invoices/:id',
    {
      config,
      schema: {
        tags: care,
        summary: 'Record a payment against the balance, or mark the invoice paid or void; once settled its billing notices stop',
        params: idParams,
        body: invoiceChangeBody,
        response: { 200: invoiceSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => changeInvoice(scope, request.params.id, request.body, deps.clock())),
  );
}
