import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestUser, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import type { Task } from './service.ts';

for (const engine of engines()) {
  describe(`tasks (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    test('my tasks, the overdue view, completion on the patient\'s timeline', async () => {
      const t = await signedInTenant(app, database, 'clinician');
      const colleague = await createTestUser(database, t.tenant, 'front_desk');
      const p = (await t.call<{ id: string }>('POST', '/api/patients', { givenName: 'Ada', familyName: 'Moss' })).body;
      const tomorrow = new Date(clock().getTime() + 86_400_000).toISOString();
      const yesterday = new Date(clock().getTime() - 86_400_000).toISOString();
      const mine = (await t.call<Task>('POST', '/api/tasks', { title: 'Review labs', patientId: p.id, assigneeId: t.user.id, dueAt: yesterday, priority: 'high' })).body;
      await t.call('POST', '/api/tasks', { title: 'Send leaflet', assigneeId: t.user.id, dueAt: tomorrow });
      await t.call('POST', '/api/tasks', { title: 'Book interpreter', assigneeId: colleague.id, dueAt: yesterday });
      await t.call('POST', '/api/tasks', { title: 'Unowned' });

      const my = await t.call<{ items: Task[] }>('GET', '/api/tasks?assignee=me');
      assert.deepEqual(my.body.items.map((x) => [x.title, x.overdue]), [['Review labs', true], ['Send leaflet', false]]);
      assert.equal(my.body.items[0]!.patient?.familyName, 'Moss');
      const overdue = await t.call<{ items: Task[] }>('GET', '/api/tasks?overdue=true');
      assert.deepEqual(overdue.body.items.map((x) => x.title).sort(), ['Book interpreter', 'Review labs']);
      assert.deepEqual((await t.call<{ items: Task[] }>('GET', '/api/tasks?assignee=unassigned')).body.items.map((x) => x.title), ['Unowned']);

      const done = await t.call<Task>('PATCH', `/api/tasks/${mine.id}`, { status: 'done' });
      assert.equal(done.body.status, 'done');
      assert.ok(done.body.completedAt);
      assert.equal((await t.call<{ items: Task[] }>('GET', '/api/tasks?assignee=me')).body.items.length, 1);
      const timeline = await t.call<{ items: Array<{ kind: string }> }>('GET', `/api/patients/${p.id}/timeline?kind=task`);
      assert.deepEqual(timeline.body.items.map((i) => i.kind), ['task.completed', 'task.created']);
      assert.equal((await t.call<{ items: Task[] }>('GET', `/api/tasks?patientId=${p.id}&status=all`)).body.items.length, 1);
    });

    test('bad tasks are refused by name and nothing is stored', async () => {
      const t = await signedInTenant(app, database);
      const other = await signedInTenant(app, database);
      const strangerUser = other.user.id;
      const noTitle = await t.call<ErrorBody>('POST', '/api/tasks', { title: '', dueAt: 'soon', priority: 'whenever' });
      assert.deepEqual(noTitle.body.error.fields?.map((f) => f.path).sort(), ['dueAt', 'priority', 'title']);
      const foreignAssignee = await t.call<ErrorBody>('POST', '/api/tasks', { title: 'x', assigneeId: strangerUser });
      assert.equal(foreignAssignee.status, 400);
      assert.equal(foreignAssignee.body.error.fields?.[0]?.path, 'assigneeId');
      const foreignPatient = (await other.call<{ id: string }>('POST', '/api/patients', { givenName: 'Not', familyName: 'Yours' })).body;
      assert.equal((await t.call('POST', '/api/tasks', { title: 'x', patientId: foreignPatient.id })).status, 404);
      assert.equal((await t.call('PATCH', '/api/tasks/00000000-0000-4000-8000-000000000000', { status: 'done' })).status, 404);
      assert.equal((await t.call<ErrorBody>('GET', '/api/tasks?assignee=everyone')).status, 400);
      assert.equal((await t.call<ErrorBody>('GET', `/api/tasks/${'-'.repeat(36)}`)).status, 404, 'a non-UUID id is not found, not a SQL error');
      assert.equal(await t.count('task'), 0);
    });
  });
}
