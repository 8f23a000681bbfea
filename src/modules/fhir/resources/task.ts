import type { Task } from '@medplum/fhirtypes';
import { sql, type RawBuilder } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import type { TaskPriority, TaskStatus } from '../../../server/db/types.ts';
import { AppError } from '../../../server/errors.ts';
import { isUuid } from '../../../shared/ids.ts';
import { changeTask, createTask } from '../../tasks/service.ts';
import { asUnprocessable, fhirError, preconditionFailed, resourceNotFound } from '../outcome.ts';
import { anyOf, dateCondition, ID_PARAM, LAST_UPDATED_PARAM, parseDateValue, parseToken, referenceId, type SearchRequest } from '../search.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, iso, meta, referencedId, unknownReference } from './common.ts';

/**
 * Staff tasks (task) as FHIR Tasks: description is the title, note the longer text, for the
 * patient, restriction.period.end the due time. Writes go through createTask and changeTask;
 * task.version (migration 0009) is bumped by a trigger on every change.
 */

export function taskRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('task as t')
    .leftJoin('app_user as u', 'u.id', 't.assignee_id')
    .select([
      't.id', 't.patient_id', 't.title', 't.description', 't.status', 't.priority', 't.due_at', 't.created_at', 't.updated_at', 't.completed_at', 'u.display_name',
      sql<number>`t.version`.as('version'),
    ]);
}
type Row = Awaited<ReturnType<ReturnType<typeof taskRows>['executeTakeFirstOrThrow']>>;

const STATUS_TO_FHIR: Record<TaskStatus, Task['status']> = { open: 'requested', done: 'completed', cancelled: 'cancelled' };
const PRIORITY_TO_FHIR: Record<TaskPriority, Task['priority']> = { low: 'routine', normal: 'routine', high: 'urgent', urgent: 'asap' };

function statusFromFhir(status: Task['status']): TaskStatus {
  if (status === 'completed') return 'done';
  if (status === 'cancelled' || status === 'rejected' || status === 'failed' || status === 'entered-in-error') return 'cancelled';
  return 'open';
}
function priorityFromFhir(priority: Task['priority']): TaskPriority | undefined {
  return priority === 'urgent' ? 'high' : priority === 'asap' || priority === 'stat' ? 'urgent' : priority === 'routine' ? 'normal' : undefined;
}

export function taskToFhir(r: Row): Task {
  return compact({
    resourceType: 'Task' as const,
    id: r.id,
    meta: meta(r.version, r.updated_at),
    status: STATUS_TO_FHIR[r.status],
    intent: 'order' as const,
    priority: PRIORITY_TO_FHIR[r.priority],
    description: r.title,
    for: r.patient_id ? { reference: `Patient/${r.patient_id}` } : undefined,
    authoredOn: iso(r.created_at),
    lastModified: iso(r.updated_at),
    owner: r.display_name ? { display: r.display_name } : undefined,
    restriction: r.due_at ? { period: { end: iso(r.due_at) } } : undefined,
    executionPeriod: r.completed_at ? { end: iso(r.completed_at) } : undefined,
    note: r.description ? [{ text: r.description }] : undefined,
  });
}

async function readTask(scope: TenantScope, id: string): Promise<Task | undefined> {
  const row = isUuid(id) ? await taskRows(scope).where('t.id', '=', id).executeTakeFirst() : undefined;
  return row ? taskToFhir(row) : undefined;
}

function taskFields(resource: Task) {
  const title = resource.description?.trim();
  if (!title) throw fhirError(422, 'required', 'Task.description (the task itself) is required.', ['Task.description']);
  if (title.length > 200) throw fhirError(422, 'too-long', 'Task.description is longer than 200 characters.', ['Task.description']);
  const due = resource.restriction?.period?.end;
  return {
    title,
    description: resource.note?.map((n) => n.text).join('\n\n') || null,
    dueAt: due ? new Date(due) : null,
    priority: priorityFromFhir(resource.priority),
    status: statusFromFhir(resource.status),
  };
}

async function createFhirTask(scope: TenantScope, resource: Task, ctx: FhirContext): Promise<Task> {
  const fields = taskFields(resource);
  const patientId = referencedId(resource.for, 'Patient', 'Task.for');
  try {
    const task = await createTask(scope, { title: fields.title, description: fields.description ?? undefined, patientId, dueAt: fields.dueAt ?? undefined, priority: fields.priority }, ctx.now);
    if (fields.status !== 'open') await changeTask(scope, task.id, { status: fields.status }, ctx.now);
    return (await readTask(scope, task.id))!;
  } catch (error) {
    if (error instanceof AppError && error.status === 404 && patientId) throw unknownReference('Task.for', `Patient/${patientId}`);
    throw asUnprocessable(error);
  }
}

async function updateFhirTask(scope: TenantScope, id: string, resource: Task, expectedVersion: number | undefined, ctx: FhirContext): Promise<Task> {
  const locked = isUuid(id) ? await scope.tx.selectFrom('task').select('id').where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  const current = locked ? await taskRows(scope).where('t.id', '=', id).executeTakeFirst() : undefined;
  if (!current) throw resourceNotFound('Task', id);
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw preconditionFailed(`Task/${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`);
  }
  const fields = taskFields(resource);
  const patientId = referencedId(resource.for, 'Patient', 'Task.for') ?? null;
  if (patientId !== current.patient_id) throw fhirError(422, 'business-rule', 'The patient of a task cannot change.', ['Task.for']);
  try {
    await changeTask(scope, id, { title: fields.title, description: fields.description, dueAt: fields.dueAt, priority: fields.priority, status: fields.status }, ctx.now);
  } catch (error) {
    throw asUnprocessable(error);
  }
  return (await readTask(scope, id))!;
}

function search(scope: TenantScope, request: SearchRequest) {
  const conditions: RawBuilder<boolean>[] = [];
  for (const p of request.params) {
    if (p.name === '_id' || p.name === 'patient' || p.name === 'subject') {
      const ids = p.values.map((v) => referenceId(v, p.name === '_id' ? 'Task' : 'Patient', p.name)).filter(isUuid);
      conditions.push(ids.length ? sql<boolean>`${sql.ref(p.name === '_id' ? 't.id' : 't.patient_id')} in (${sql.join(ids.map((i) => sql`${i}::uuid`))})` : sql<boolean>`false`);
    } else if (p.name === 'status') {
      const statuses = [...new Set(p.values.map((v) => statusFromFhir(parseToken(v).code as Task['status'])))];
      conditions.push(sql<boolean>`t.status in (${sql.join(statuses)})`);
    } else if (p.name === '_lastUpdated') {
      conditions.push(anyOf(p.values.map((v) => dateCondition(sql`t.updated_at`, parseDateValue(v, '_lastUpdated'), 'instant'))));
    }
  }
  let q = taskRows(scope);
  for (const c of conditions) q = q.where(c);
  const sort = request.sort[0];
  q = sort?.name === '_lastUpdated' ? q.orderBy('t.updated_at', sort.desc ? 'desc' : 'asc') : q.orderBy(sql`t.due_at asc nulls last`).orderBy('t.created_at', 'desc');
  return q.orderBy('t.id').limit(request.count + 1).offset(request.offset).execute();
}

export const taskModule: ResourceModule<Task> = {
  type: 'Task',
  documentation:
    'Staff tasks (task): description is the task, note the details, for the Patient, restriction.period.end the due time; status requested (open), completed (done) or cancelled; priority routine, urgent, asap.',
  interactions: ['read', 'search-type', 'create', 'update'],
  searchParams: [
    ID_PARAM,
    LAST_UPDATED_PARAM,
    { name: 'patient', type: 'reference', documentation: 'The Patient (Task.for)' },
    { name: 'subject', type: 'reference', documentation: 'The Patient (Task.for)' },
    { name: 'status', type: 'token', documentation: 'requested | completed | cancelled (other statuses map to these)' },
  ],
  sorts: ['_lastUpdated'],
  versioned: true,
  conditionalCreate: true,
  read: (scope, id) => readTask(scope, id),
  async search(scope, request) {
    return (await search(scope, request)).map(taskToFhir);
  },
  create: createFhirTask,
  update: updateFhirTask,
};
