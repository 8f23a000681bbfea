import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { duplicateCheck } from './duplicate-check.ts';
import { linkPatients, unlinkPatients } from './links.ts';
import { listPatients, patientHistory } from './list.ts';
import {
  archiveBody,
  historyList,
  linkBody,
  newPatientBody,
  patientList,
  patientListQuery,
  patientRecord,
  patientUpdateBody,
} from './schema.ts';
import { getPatient, registerPatient, setPatientArchived, updatePatient } from './service.ts';
import { searchForList } from './search-adapter.ts';

const idParams = z.object({ id: z.string().max(100) });
const access = { access: { roles: PATIENT_STAFF } };
const created = patientRecord.extend({ possibleDuplicates: z.array(z.uuid()) });

export async function registerPatientRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;

  r.get(
    '/api/patients',
    {
      config: access,
      schema: {
        tags: ['patients'],
        summary: 'List patients in name order, filtered; or search them (q) in rank order',
        querystring: patientListQuery,
        response: { 200: patientList, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => inTenant(db, request, (scope) => listPatients(scope, request.query, deps.clock(), searchForList)),
  );

  r.post(
    '/api/patients',
    {
      config: access,
      schema: {
        tags: ['patients'],
        summary: 'Register a patient; a clear duplicate is refused with 409 possible_duplicate unless confirmNotDuplicate',
        body: newPatientBody,
        response: { 201: created, ...errorResponses(400, 401, 403, 409, 413) },
      },
    },
    async (request, reply) => {
      const result = await inTenant(db, request, (scope) =>
        registerPatient(scope, request.body, { now: deps.clock(), findDuplicates: duplicateCheck('create') }),
      );
      return reply.status(201).send({ ...result.patient, possibleDuplicates: result.possibleDuplicates });
    },
  );

  r.get(
    '/api/patients/:id',
    {
      config: access,
      schema: { tags: ['patients'], summary: 'One patient, the whole record', params: idParams, response: { 200: patientRecord, ...errorResponses(401, 403, 404) } },
    },
    async (request) => inTenant(db, request, (scope) => getPatient(scope, request.params.id, deps.clock())),
  );

  r.patch(
    '/api/patients/:id',
    {
      config: access,
      schema: {
        tags: ['patients'],
        summary: 'Change a patient; send `version` to refuse the change if someone else saved first',
        params: idParams,
        body: patientUpdateBody,
        response: { 200: patientRecord, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => updatePatient(scope, request.params.id, request.body, deps.clock())),
  );

  for (const [path, archived, summary] of [
    ['/api/patients/:id/archive', true, 'Archive a patient (kept, but out of lists and search)'],
    ['/api/patients/:id/restore', false, 'Restore an archived patient'],
  ] as const) {
    r.post(
      path,
      {
        config: access,
        schema: { tags: ['patients'], summary, params: idParams, body: archiveBody.optional(), response: { 200: patientRecord, ...errorResponses(401, 403, 404, 409) } },
      },
      async (request) =>
        inTenant(db, request, (scope) => setPatientArchived(scope, request.params.id, { archived, reason: request.body?.reason }, deps.clock())),
    );
  }

  r.get(
    '/api/patients/:id/history',
    {
      config: access,
      schema: {
        tags: ['patients'],
        summary: 'Who changed which field from what to what, newest first',
        params: idParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(500).optional() }),
        response: { 200: historyList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      inTenant(db, request, async (scope) => {
        await getPatient(scope, request.params.id, deps.clock());
        return patientHistory(scope, request.params.id, request.query);
      }),
  );

  r.post(
    '/api/patients/:id/links',
    {
      config: access,
      schema: {
        tags: ['patients'],
        summary: 'Link a household member: guardian_of, guarded_by or shares_phone_with',
        params: idParams,
        body: linkBody,
        response: { 201: z.object({ linkId: z.uuid() }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await inTenant(db, request, (scope) => linkPatients(scope, request.params.id, request.body, deps.clock()))),
  );

  r.delete(
    '/api/patients/:id/links/:linkId',
    {
      config: access,
      schema: {
        tags: ['patients'],
        summary: 'Remove a household link',
        params: z.object({ id: z.string().max(100), linkId: z.string().max(100) }),
        response: { 204: z.null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await inTenant(db, request, (scope) => unlinkPatients(scope, request.params.id, request.params.linkId, deps.clock()));
      return reply.status(204).send(null);
    },
  );
}
