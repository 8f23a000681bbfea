import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import type { TimelineItem } from './service.ts';

type Timeline = { items: TimelineItem[]; nextCursor: string | null };

for (const engine of engines()) {
  describe(`patient timeline (${engine})`, () => {
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

    test('notes, calls and tasks land on one timeline, newest first, filterable by kind and paged', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const p = (await t.call<{ id: string }>('POST', '/api/patients', { givenName: 'Tia', familyName: 'Nguyen' })).body;
      clock.advance(60_000);
      const note = await t.call<{ id: string }>('POST', `/api/patients/${p.id}/notes`, { body: 'Prefers morning slots.\nAsked about parking.' });
      assert.equal(note.status, 201);
      clock.advance(60_000);
      assert.equal(
        (await t.call('POST', `/api/patients/${p.id}/calls`, { direction: 'outbound', outcome: 'voicemail', durationSeconds: 45, notes: 'Left a message about the recall.' })).status,
        201,
      );
      clock.advance(60_000);
      assert.equal((await t.call('POST', '/api/tasks', { title: 'Call back about results', patientId: p.id })).status, 201);

      const all = await t.call<Timeline>('GET', `/api/patients/${p.id}/timeline`);
      assert.deepEqual(all.body.items.map((i) => i.kind), ['task.created', 'call', 'note', 'record.created']);
      const call = all.body.items[1]!;
      assert.equal(call.summary, 'Outbound call, left a voicemail, 1 min');
      assert.equal(call.actor.id, t.user.id);
      assert.deepEqual(all.body.items[2]!.detail, { body: 'Prefers morning slots.\nAsked about parking.' });
      assert.equal(all.body.items[2]!.summary, 'Prefers morning slots.');

      const onlyTalk = await t.call<Timeline>('GET', `/api/patients/${p.id}/timeline?kind=note,call`);
      assert.deepEqual(onlyTalk.body.items.map((i) => i.kind), ['call', 'note']);
      const tasks = await t.call<Timeline>('GET', `/api/patients/${p.id}/timeline?kind=task`);
      assert.deepEqual(tasks.body.items.map((i) => i.kind), ['task.created']);

      const page1 = await t.call<Timeline>('GET', `/api/patients/${p.id}/timeline?limit=3`);
      const page2 = await t.call<Timeline>('GET', `/api/patients/${p.id}/timeline?limit=3&cursor=${page1.body.nextCursor}`);
      assert.deepEqual([...page1.body.items, ...page2.body.items].map((i) => i.id), all.body.items.map((i) => i.id));
      assert.equal(page2.body.nextCursor, null);
      assert.ok((await t.audit()).some((a) => a.action === 'patient.timeline.read' && a.patient_id === p.id));
    });

    test('bad notes, calls and timeline queries are refused by name; another tenant\'s patient is not found', async () => {
      const t = await signedInTenant(app, database);
      const p = (await t.call<{ id: string }>('POST', '/api/patients', { givenName: 'Bo', familyName: 'Lind' })).body;
      const empty = await t.call<ErrorBody>('POST', `/api/patients/${p.id}/notes`, { body: '   ' });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.error.fields?.[0]?.path, 'body');
      const call = await t.call<ErrorBody>('POST', `/api/patients/${p.id}/calls`, { direction: 'sideways', outcome: 'answered', durationSeconds: -5 });
      assert.deepEqual(call.body.error.fields?.map((f) => f.path).sort(), ['direction', 'durationSeconds']);
      const when = await t.call<ErrorBody>('POST', `/api/patients/${p.id}/notes`, { body: 'x', occurredAt: 'yesterday' });
      assert.equal(when.body.error.fields?.[0]?.path, 'occurredAt');
      const kind = await t.call<ErrorBody>('GET', `/api/patients/${p.id}/timeline?kind=DROP TABLE`);
      assert.equal(kind.status, 400);
      assert.equal((await t.call<ErrorBody>('GET', `/api/patients/${p.id}/timeline?cursor=nope`)).status, 400);
      const other = await signedInTenant(app, database);
      assert.equal((await other.call('GET', `/api/patients/${p.id}/timeline`)).status, 404);
      assert.equal((await other.call('POST', `/api/patients/${p.id}/notes`, { body: 'sneaky' })).status, 404);
      assert.equal(await t.count('timeline_event'), 1, 'only the record.created event exists');
    });
  });
}
