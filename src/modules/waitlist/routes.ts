import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { ALL_STAFF, PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { appointmentSchema } from '../scheduling/appointment-routes.ts';
import { changeWaitlistEntry, getWaitlistEntry, joinWaitlist, listWaitlist } from './entries.ts';
import { acceptOffer, declineOffer, listOffers, type Answer } from './offers.ts';
import { registerWaitlist } from './release.ts';
import { entryChangeBody, entryQuery, entrySchema, idParams, newEntryBody, offerQuery, offerSchema, statsQuery, statsSchema } from './schema.ts';
import { waitlistStats } from './stats.ts';

/** A refusal recorded inside the transaction is answered once it has committed. */
function answer<T>(result: Answer<T>): T {
  if ('refused' in result) throw result.refused;
  return result.ok;
}

export async function registerWaitlistRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  registerWaitlist();
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const access = { access: { roles: PATIENT_STAFF } };
  const tags = ['waitlist'];

  r.get(
    '/api/waitlist',
    {
      config: access,
      schema: { tags, summary: 'The waitlist (waiting entries by default), not recently offered first', querystring: entryQuery, response: { 200: z.object({ items: z.array(entrySchema) }), ...errorResponses(400, 401, 403) } },
    },
    async (request) => inTenant(db, request, async (scope) => ({ items: await listWaitlist(scope, request.query) })),
  );

  r.post(
    '/api/waitlist',
    {
      config: access,
      schema: {
        tags,
        summary: 'Put a patient on the waitlist: service, optionally practitioner, location, weekdays (ISO 1-7), a local time window, dates, and a booking they would move earlier',
        body: newEntryBody,
        response: { 201: entrySchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => joinWaitlist(scope, request.body, deps.clock()))),
  );

  r.get(
    '/api/waitlist/offers',
    {
      config: access,
      schema: { tags, summary: 'Offers made from the waitlist (pending by default), for staff to pass on until messages send them', querystring: offerQuery, response: { 200: z.object({ items: z.array(offerSchema) }), ...errorResponses(400, 401, 403) } },
    },
    async (request) => inTenant(db, request, async (scope) => ({ items: await listOffers(scope, request.query) })),
  );

  r.post(
    '/api/waitlist/offers/:id/accept',
    {
      config: access,
      schema: {
        tags,
        summary: "Accept an offer on the patient's behalf: books the slot (or moves their booking into it); 409 slot_gone if someone was first",
        params: idParams,
        response: { 200: z.object({ offer: offerSchema, appointment: appointmentSchema }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => answer(await inTenant(db, request, (scope) => acceptOffer(scope, request.params.id, deps.clock()))),
  );

  r.post(
    '/api/waitlist/offers/:id/decline',
    {
      config: access,
      schema: { tags, summary: "Decline an offer on the patient's behalf", params: idParams, response: { 200: offerSchema, ...errorResponses(401, 403, 404, 409) } },
    },
    async (request) => answer(await inTenant(db, request, (scope) => declineOffer(scope, request.params.id, deps.clock()))),
  );

  r.get(
    '/api/waitlist/stats',
    {
      config: { access: { roles: ALL_STAFF } },
      schema: { tags, summary: 'Fill rate of freed slots released between two dates (in the clinic zone)', querystring: statsQuery, response: { 200: statsSchema, ...errorResponses(400, 401, 403) } },
    },
    async (request) => inTenant(db, request, (scope) => waitlistStats(scope, request.query)),
  );

  r.get(
    '/api/waitlist/:id',
    { config: access, schema: { tags, summary: 'One waitlist entry', params: idParams, response: { 200: entrySchema, ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getWaitlistEntry(scope, request.params.id)),
  );

  r.patch(
    '/api/waitlist/:id',
    {
      config: access,
      schema: { tags, summary: 'Change what suits the patient, or withdraw (status withdrawn) or reinstate (status waiting) the entry', params: idParams, body: entryChangeBody, response: { 200: entrySchema, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request) => inTenant(db, request, (scope) => changeWaitlistEntry(scope, request.params.id, request.body, deps.clock())),
  );
}
