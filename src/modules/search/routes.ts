import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant } from '../../server/db/scope.ts';
import { actorOf, originOf, PATIENT_STAFF, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { searchResultLines } from './lines.ts';
import { searchPatients } from './patient-search.ts';
import { patientSearchQuery, patientSearchResult } from './schema.ts';

export async function registerSearchRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/patients/search',
    {
      config: { access: { roles: PATIENT_STAFF } },
      schema: {
        tags: ['patients'],
        summary: 'Search patients by name (typos welcome), phone, email, date of birth or MRN, best first',
        querystring: patientSearchQuery,
        response: { 200: patientSearchResult, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      const now = deps.clock();
      const context = { tenantId: principal.tenantId, actor: actorOf(principal), origin: originOf(request) };
      return withTenant(deps.database.db, context, async (scope) => {
        const hits = await searchPatients(scope, { ...request.query, today: now.toISOString().slice(0, 10) });
        return { items: await searchResultLines(scope, hits, now) };
      });
    },
  );
}
