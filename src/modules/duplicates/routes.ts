import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant, type TenantScope } from '../../server/db/scope.ts';
import { actorOf, originOf, PATIENT_STAFF, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { scanTenantForDuplicates } from './detect.ts';
import { getMerge, mergePatients, undoMerge } from './merge.ts';
import { dismissDuplicate, listDuplicateQueue, patientDuplicates } from './queue.ts';
import { duplicateCandidate, duplicateQueue, duplicateQueueQuery, idParams, mergeBody, mergeRecord, patientDuplicateList, scanResult } from './schema.ts';

/** The duplicate review queue, scans, and merging patients (and undoing a merge). */
export async function registerDuplicateRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const context = (request: FastifyRequest) => {
    const principal = requirePrincipal(request);
    return { tenantId: principal.tenantId, actor: actorOf(principal), origin: originOf(request) };
  };
  const scoped = <T>(request: FastifyRequest, work: (scope: TenantScope) => Promise<T>) => withTenant(deps.database.db, context(request), work);
  const staff = { access: { roles: PATIENT_STAFF } };
  const tags = ['duplicates'];

  r.get(
    '/api/duplicates',
    {
      config: staff,
      schema: {
        tags,
        summary: 'The review queue: open pairs of likely duplicates, best score first, both records side by side',
        querystring: duplicateQueueQuery,
        response: { 200: duplicateQueue, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => scoped(request, (scope) => listDuplicateQueue(scope, request.query)),
  );

  r.post(
    '/api/duplicates/:id/dismiss',
    {
      config: staff,
      schema: {
        tags,
        summary: 'Dismiss a pair: they are different people (a later scan does not reopen it)',
        params: idParams,
        response: { 200: duplicateCandidate, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => scoped(request, (scope) => dismissDuplicate(scope, request.params.id)),
  );

  r.post(
    '/api/duplicates/scan',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags,
        summary: "Scan the whole clinic for duplicates now (batches of 1,000 patients); answers when it is done",
        response: { 200: scanResult, ...errorResponses(401, 403) },
      },
    },
    async (request) => scanTenantForDuplicates({ db: deps.database.db, ...context(request) }),
  );

  r.get(
    '/api/patients/:id/duplicates',
    {
      config: staff,
      schema: {
        tags,
        summary: "One patient's open pairs in the review queue",
        params: idParams,
        response: { 200: patientDuplicateList, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => scoped(request, (scope) => patientDuplicates(scope, request.params.id)),
  );

  r.post(
    '/api/patients/merge',
    {
      config: staff,
      schema: {
        tags,
        summary: 'Merge one patient record into another, choosing the surviving value per field',
        body: mergeBody,
        response: { 201: mergeRecord, ...errorResponses(400, 401, 403, 404, 409, 413) },
      },
    },
    async (request, reply) => {
      const merge = await scoped(request, (scope) => mergePatients(scope, request.body));
      return reply.status(201).send(merge);
    },
  );

  r.get(
    '/api/merges/:id',
    {
      config: staff,
      schema: { tags, summary: 'One merge: who, when, what was chosen and moved', params: idParams, response: { 200: mergeRecord, ...errorResponses(401, 403, 404) } },
    },
    async (request) => scoped(request, (scope) => getMerge(scope, request.params.id)),
  );

  r.post(
    '/api/merges/:id/undo',
    {
      config: staff,
      schema: {
        tags,
        summary: 'Undo a merge, restoring both records and their links as they were',
        params: idParams,
        response: { 200: mergeRecord, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => scoped(request, (scope) => undoMerge(scope, request.params.id)),
  );
}
