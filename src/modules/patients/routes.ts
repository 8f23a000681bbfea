import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant } from '../../server/db/scope.ts';
import { actorOf, originOf, PATIENT_STAFF, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { newPatientBody, patientList, patientListQuery, patientSummary } from './schema.ts';
import { getPatient, listPatients, registerPatient } from './service.ts';

export async function registerPatientRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const scoped = <T>(request: Parameters<typeof requirePrincipal>[0], work: Parameters<typeof withTenant<T>>[2]) => {
    const principal = requirePrincipal(request);
    return withTenant(
      deps.database.db,
      { tenantId: principal.tenantId, actor: actorOf(principal), origin: originOf(request) },
      work,
    );
  };

  r.get(
    '/api/patients',
    {
      config: { access: { roles: PATIENT_STAFF } },
      schema: {
        tags: ['patients'],
        summary: 'List patients in name order, optionally searched',
        querystring: patientListQuery,
        response: { 200: patientList, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => scoped(request, (scope) => listPatients(scope, request.query)),
  );

  r.get(
    '/api/patients/:id',
    {
      config: { access: { roles: PATIENT_STAFF } },
      schema: {
        tags: ['patients'],
        summary: 'One patient',
        params: z.object({ id: z.string() }),
        response: { 200: patientSummary, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => scoped(request, (scope) => getPatient(scope, request.params.id)),
  );

  r.post(
    '/api/patients',
    {
      config: { access: { roles: PATIENT_STAFF } },
      schema: {
        tags: ['patients'],
        summary: 'Register a patient',
        body: newPatientBody,
        response: { 201: patientSummary, ...errorResponses(400, 401, 403, 409, 413) },
      },
    },
    async (request, reply) => {
      const created = await scoped(request, (scope) => registerPatient(scope, request.body));
      return reply.status(201).send(created);
    },
  );
}
