import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { PATIENT_STAFF, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { changeTask, createTask, getTask, listTasks } from './service.ts';

const access = { access: { roles: PATIENT_STAFF } };
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' });
const priority = z.enum(['low', 'normal', 'high', 'urgent']);
const status = z.enum(['open', 'done', 'cancelled']);

const task = z.object({
  id: z.uuid(),
  title: z.string(),
  description: z.string().nullable(),
  status,
  priority,
  dueAt: z.string().nullable(),
  overdue: z.boolean(),
  patient: z.object({ id: z.uuid(), givenName: z.string(), familyName: z.string() }).nullable(),
  assignee: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});

const newTask = z.strictObject({
  title: z.string().trim().min(1).max(200),
  description: z.string().trim().max(5000).optional(),
  patientId: z.uuid().optional(),
  assigneeId: z.uuid().optional(),
  dueAt: instant.optional(),
  priority: priority.optional(),
});

const taskChange = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  description: z.string().trim().max(5000).nullable().optional(),
  assigneeId: z.uuid().nullable().optional(),
  dueAt: instant.nullable().optional(),
  priority: priority.optional(),
  status: status.optional(),
});

const taskQuery = z.strictObject({
  assignee: z.union([z.literal('me'), z.literal('unassigned'), z.uuid()]).optional(),
  status: z.enum(['open', 'done', 'cancelled', 'all']).default('open'),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  patientId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const date = (s: string | null | undefined) => (s === undefined ? undefined : s === null ? null : new Date(s));

export async function registerTaskRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  r.get(
    '/api/tasks',
    { config: access, schema: { tags: ['tasks'], summary: 'Tasks: assignee=me for my tasks, overdue=true for the overdue view', querystring: taskQuery, response: { 200: z.object({ items: z.array(task) }), ...errorResponses(400, 401, 403) } } },
    async (request) =>
      inTenant(db, request, async (scope) => ({ items: await listTasks(scope, request.query, deps.clock(), requirePrincipal(request).userId) })),
  );
  r.post(
    '/api/tasks',
    { config: access, schema: { tags: ['tasks'], summary: 'Create a task, optionally for a patient', body: newTask, response: { 201: task, ...errorResponses(400, 401, 403, 404) } } },
    async (request, reply) =>
      reply.status(201).send(await inTenant(db, request, (scope) => createTask(scope, { ...request.body, dueAt: date(request.body.dueAt) ?? undefined }, deps.clock()))),
  );
  r.get(
    '/api/tasks/:id',
    { config: access, schema: { tags: ['tasks'], summary: 'One task', params: z.object({ id: z.string().max(100) }), response: { 200: task, ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getTask(scope, request.params.id, deps.clock())),
  );
  r.patch(
    '/api/tasks/:id',
    { config: access, schema: { tags: ['tasks'], summary: 'Change, reassign, complete or cancel a task', params: z.object({ id: z.string().max(100) }), body: taskChange, response: { 200: task, ...errorResponses(400, 401, 403, 404) } } },
    async (request) =>
      inTenant(db, request, (scope) => changeTask(scope, request.params.id, { ...request.body, dueAt: date(request.body.dueAt) }, deps.clock())),
  );
}
