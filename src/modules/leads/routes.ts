import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { PATIENT_STAFF, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { duplicateCheck } from '../patients/duplicate-check.ts';
import { convertBody, lead, leadChangeBody, newLeadBody } from './schema.ts';
import { changeLead, convertLead, createLead, getLead, leadBoard } from './service.ts';
import { registerWebFormRoutes } from './web-form.ts';

const access = { access: { roles: PATIENT_STAFF } };
const idParams = z.object({ id: z.string().max(100) });

export async function registerLeadRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;

  r.get(
    '/api/leads',
    {
      config: access,
      schema: {
        tags: ['leads'],
        summary: 'The lead board: open leads by stage, and those converted or lost in the last 90 days',
        response: { 200: z.object({ stages: z.record(z.string(), z.array(lead)) }), ...errorResponses(401, 403) },
      },
    },
    async (request) => ({ stages: await inTenant(db, request, (scope) => leadBoard(scope, deps.clock())) }),
  );

  r.post(
    '/api/leads',
    {
      config: access,
      schema: { tags: ['leads'], summary: 'Record a lead (a first call, an enquiry) with its source', body: newLeadBody, response: { 201: lead, ...errorResponses(400, 401, 403) } },
    },
    async (request, reply) => {
      const origin = requirePrincipal(request).kind === 'api_token' ? 'api' : 'staff';
      return reply.status(201).send(await inTenant(db, request, (scope) => createLead(scope, request.body, origin, deps.clock())));
    },
  );

  r.get(
    '/api/leads/:id',
    { config: access, schema: { tags: ['leads'], summary: 'One lead', params: idParams, response: { 200: lead, ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getLead(scope, request.params.id)),
  );

  r.patch(
    '/api/leads/:id',
    {
      config: access,
      schema: { tags: ['leads'], summary: 'Move a lead between stages, reassign it', params: idParams, body: leadChangeBody, response: { 200: lead, ...errorResponses(400, 401, 403, 404, 409) } },
    },
    async (request) => inTenant(db, request, (scope) => changeLead(scope, request.params.id, request.body, deps.clock())),
  );

  r.post(
    '/api/leads/:id/convert',
    {
      config: access,
      schema: {
        tags: ['leads'],
        summary: 'Convert a lead into a new patient, or link it to an existing one (patientId)',
        params: idParams,
        body: convertBody,
        response: { 200: z.object({ lead, patientId: z.uuid(), created: z.boolean() }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      inTenant(db, request, (scope) => convertLead(scope, request.params.id, request.body, deps.clock(), duplicateCheck('create'))),
  );

  await registerWebFormRoutes(app, deps);
}
