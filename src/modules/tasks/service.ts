import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { TaskPriority, TaskStatus } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { requirePatient } from '../timeline/service.ts';
import { isUuid } from '../../shared/ids.ts';

export type Task = {
  id: string;
  title: string;
  description: string | null;
  status: TaskStatus;
  priority: TaskPriority;
  dueAt: string | null;
  overdue: boolean;
  patient: { id: string; givenName: string; familyName: string } | null;
  assignee: { id: string; name: string } | null;
  createdAt: string;
  completedAt: string | null;
};

export type NewTask = {
  title: string;
  description?: string | undefined;
  patientId?: string | undefined;
  assigneeId?: string | undefined;
  dueAt?: Date | undefined;
  priority?: TaskPriority | undefined;
};

export type TaskChange = {
  title?: string | undefined;
  description?: string | null | undefined;
  assigneeId?: string | null | undefined;
  dueAt?: Date | null | undefined;
  priority?: TaskPriority | undefined;
  status?: TaskStatus | undefined;
};

export type TaskQuery = {
  assignee?: string | undefined;
  status: TaskStatus | 'all';
  overdue?: boolean | undefined;
  patientId?: string | undefined;
  limit: number;
};

function taskQuery(scope: TenantScope, now: Date) {
  return scope.tx
    .selectFrom('task as t')
    .leftJoin('patient as p', 'p.id', 't.patient_id')
    .leftJoin('app_user as u', 'u.id', 't.assignee_id')
    .select([
      't.id', 't.title', 't.description', 't.status', 't.priority', 't.due_at', 't.created_at', 't.completed_at',
      'p.id as patient_id', 'p.given_name', 'p.family_name', 'u.id as assignee_id', 'u.display_name',
      sql<boolean>`t.status = 'open' and t.due_at < ${now}::timestamptz`.as('overdue'),
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof taskQuery>['executeTakeFirstOrThrow']>>;

const present = (r: Row): Task => ({
  id: r.id,
  title: r.title,
  description: r.description,
  status: r.status,
  priority: r.priority,
  dueAt: r.due_at ? new Date(r.due_at).toISOString() : null,
  overdue: Boolean(r.overdue),
  patient: r.patient_id ? { id: r.patient_id, givenName: r.given_name!, familyName: r.family_name! } : null,
  assignee: r.assignee_id ? { id: r.assignee_id, name: r.display_name! } : null,
  createdAt: new Date(r.created_at).toISOString(),
  completedAt: r.completed_at ? new Date(r.completed_at).toISOString() : null,
});

async function requireAssignee(scope: TenantScope, userId: string): Promise<void> {
  const user = await scope.tx.selectFrom('app_user').select('id').where('id', '=', userId).where('disabled_at', 'is', null).executeTakeFirst();
  if (!user) throw new AppError(400, 'validation_failed', 'The assignee is not an active user of this clinic.', [{ path: 'assigneeId', message: 'is not an active user of this clinic' }]);
}

export async function createTask(scope: TenantScope, input: NewTask, now: Date): Promise<Task> {
  const patient = input.patientId ? await requirePatient(scope, input.patientId) : undefined;
  if (input.assigneeId) await requireAssignee(scope, input.assigneeId);
  const actorId = scope.actor.type === 'api_token' ? scope.actor.userId : scope.actor.id;
  const { id } = await scope.tx
    .insertInto('task')
    .values({
      tenant_id: scope.tenantId,
      title: input.title,
      description: input.description ?? null,
      patient_id: patient?.id ?? null,
      assignee_id: input.assigneeId ?? null,
      due_at: input.dueAt ?? null,
      priority: input.priority ?? 'normal',
      created_by: actorId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (patient) {
    await recordTimelineEvent(scope, { patientId: patient.id, kind: 'task.created', summary: `Task: ${input.title}`, detail: { dueAt: input.dueAt?.toISOString() ?? null }, occurredAt: now, subject: { type: 'task', id } });
  }
  await scope.audit({ action: 'task.create', entityType: 'task', entityId: id, patientId: patient?.id ?? null });
  return present(await taskQuery(scope, now).where('t.id', '=', id).executeTakeFirstOrThrow());
}

export async function getTask(scope: TenantScope, id: string, now: Date): Promise<Task> {
  const row = isUuid(id) ? await taskQuery(scope, now).where('t.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('Task');
  await scope.audit({ action: 'task.read', entityType: 'task', entityId: id, patientId: row.patient_id });
  return present(row);
}

/** Changes a task; completing, cancelling or reopening it goes on the patient's timeline. */
export async function changeTask(scope: TenantScope, id: string, change: TaskChange, now: Date): Promise<Task> {
  const current = isUuid(id)
    ? await scope.tx.selectFrom('task').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
    : undefined;
  if (!current) throw notFound('Task');
  if (change.assigneeId) await requireAssignee(scope, change.assigneeId);
  const statusChanged = change.status !== undefined && change.status !== current.status;
  await scope.tx
    .updateTable('task')
    .set({
      ...(change.title !== undefined ? { title: change.title } : {}),
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.assigneeId !== undefined ? { assignee_id: change.assigneeId } : {}),
      ...(change.dueAt !== undefined ? { due_at: change.dueAt } : {}),
      ...(change.priority !== undefined ? { priority: change.priority } : {}),
      ...(statusChanged ? { status: change.status, completed_at: change.status === 'open' ? null : now } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  if (statusChanged && current.patient_id) {
    const verb = change.status === 'done' ? 'completed' : change.status === 'cancelled' ? 'cancelled' : 'reopened';
    await recordTimelineEvent(scope, { patientId: current.patient_id, kind: `task.${verb}`, summary: `Task ${verb}: ${change.title ?? current.title}`, occurredAt: now, subject: { type: 'task', id } });
  }
  await scope.audit({ action: 'task.update', entityType: 'task', entityId: id, patientId: current.patient_id, detail: { fields: Object.keys(change) } });
  return present(await taskQuery(scope, now).where('t.id', '=', id).executeTakeFirstOrThrow());
}

/** Task lists: mine, someone's, unassigned, a patient's, overdue; open ones by due date first. */
export async function listTasks(scope: TenantScope, query: TaskQuery, now: Date, me: string | null): Promise<Task[]> {
  let q = taskQuery(scope, now)
    .orderBy(sql`t.due_at asc nulls last`)
    .orderBy('t.created_at', 'desc')
    .limit(query.limit);
  if (query.status !== 'all') q = q.where('t.status', '=', query.status);
  if (query.assignee === 'me') q = q.where('t.assignee_id', '=', me ?? '00000000-0000-0000-0000-000000000000');
  else if (query.assignee === 'unassigned') q = q.where('t.assignee_id', 'is', null);
  else if (query.assignee) q = q.where('t.assignee_id', '=', query.assignee);
  if (query.patientId) q = q.where('t.patient_id', '=', query.patientId);
  if (query.overdue) q = q.where('t.status', '=', 'open').where('t.due_at', '<', now);
  const rows = await q.execute();
  const patients = [...new Set(rows.map((r) => r.patient_id).filter((p): p is string => Boolean(p)))];
  await scope.audit({ action: 'task.list', entityType: 'task', detail: { returned: rows.length, patientIds: patients } });
  return rows.map(present);
}
