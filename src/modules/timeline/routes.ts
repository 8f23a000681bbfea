import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { TIMELINE_KIND } from './events.ts';
import { addNote, logCall, patientTimeline } from './service.ts';

const idParams = z.object({ id: z.string().max(100) });
const access = { access: { roles: PATIENT_STAFF } };
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' });

const timelineItem = z.object({
  id: z.uuid(),
  kind: z.string(),
  occurredAt: z.string(),
  summary: z.string(),
  detail: z.record(z.string(), z.unknown()),
  actor: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }),
  subject: z.object({ type: z.string(), id: z.string() }).nullable(),
});

const timelineQuery = z.strictObject({
  kind: z
    .string()
    .max(500)
    .transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(TIMELINE_KIND, 'must be a kind such as note, call or task')).max(20))
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

const noteBody = z.strictObject({ body: z.string().trim().min(1).max(20_000), occurredAt: instant.optional() });
const callBody = z.strictObject({
  direction: z.enum(['inbound', 'outbound']),
  outcome: z.enum(['answered', 'no_answer', 'voicemail', 'busy', 'wrong_number']),
  durationSeconds: z.number().int().min(0).max(24 * 3600).optional(),
  notes: z.string().trim().max(20_000).optional(),
  occurredAt: instant.optional(),
});

export async function registerTimelineRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const at = (s: string | undefined) => (s ? new Date(s) : undefined);

  r.get(
    '/api/patients/:id/timeline',
    {
      config: access,
      schema: {
        tags: ['timeline'],
        summary: 'Every touch with the patient, newest first; filter by kind (note, call, task, record, lead, ...)',
        params: idParams,
        querystring: timelineQuery,
        response: { 200: z.object({ items: z.array(timelineItem), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      inTenant(db, request, (scope) =>
        patientTimeline(scope, request.params.id, { kinds: request.query.kind, limit: request.query.limit, cursor: request.query.cursor }),
      ),
  );

  r.post(
    '/api/patients/:id/notes',
    {
      config: access,
      schema: { tags: ['timeline'], summary: 'Add a note to the patient\'s timeline', params: idParams, body: noteBody, response: { 201: z.object({ id: z.uuid() }), ...errorResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const id = await inTenant(db, request, (scope) =>
        addNote(scope, request.params.id, { body: request.body.body, occurredAt: at(request.body.occurredAt) }, deps.clock()),
      );
      return reply.status(201).send({ id });
    },
  );

  r.post(
    '/api/patients/:id/calls',
    {
      config: access,
      schema: { tags: ['timeline'], summary: 'Log a phone call with the patient', params: idParams, body: callBody, response: { 201: z.object({ id: z.uuid() }), ...errorResponses(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const id = await inTenant(db, request, (scope) =>
        logCall(scope, request.params.id, { ...request.body, occurredAt: at(request.body.occurredAt) }, deps.clock()),
      );
      return reply.status(201).send({ id });
    },
  );
}
