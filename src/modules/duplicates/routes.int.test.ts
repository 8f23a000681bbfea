import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestTenant, createTestUser, json, signInCookie, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { asTenant, insertPatient } from '../../../test/helpers/duplicates.ts';
import type { StaffRole } from '../../server/db/types.ts';
import type { DuplicateCandidate } from './queue.ts';
import type { MergeRecord } from './merge.ts';

type ErrorBody = { error: { code: string; message: string; fields?: Array<{ path: string; message: string }> } };
type Queue = { items: DuplicateCandidate[]; nextCursor: string | null };

for (const engine of engines()) {
  describe(`duplicates API (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database);
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    async function signedIn(tenant: TestTenant, role: StaffRole): Promise<string> {
      const user = await createTestUser(database, tenant, role);
      return signInCookie(app, user.email, user.password);
    }

    /** A clinic with two pairs of duplicates (one clear, one likely) and a stranger, scanned by its admin. */
    async function scannedClinic() {
      const tenant = await createTestTenant(database);
      const admin = await signedIn(tenant, 'admin');
      const desk = await signedIn(tenant, 'front_desk');
      const base = { given_name: 'Maya', family_name: 'Okafor', birth_date: '1988-04-02', email: 'maya@example.org' };
      const maya = await insertPatient(database, tenant.id, base);
      const maya2 = await insertPatient(database, tenant.id, { ...base, given_name: 'Mya', email: null });
      const bob = await insertPatient(database, tenant.id, { given_name: 'Robert', family_name: 'Lindqvist', phone: '+15085550100' });
      const bob2 = await insertPatient(database, tenant.id, { given_name: 'Bob', family_name: 'Lindqvist', phone: '+15085550100' });
      await insertPatient(database, tenant.id, { given_name: 'Noor', family_name: 'Haddad', birth_date: '1988-04-02' });
      const scan = await app.inject({ method: 'POST', url: '/api/duplicates/scan', headers: { cookie: admin } });
      assert.equal(scan.statusCode, 200, scan.body);
      assert.deepEqual(json(scan), { ...json(scan), patients: 5, clear: 1, likely: 1 });
      return { tenant, admin, desk, maya, maya2, bob, bob2 };
    }

    test('the review queue shows both records side by side with the reasons, best first, in pages', async () => {
      const c = await scannedClinic();
      const res = await app.inject({ url: '/api/duplicates', headers: { cookie: c.desk } });
      assert.equal(res.statusCode, 200, res.body);
      const queue = json<Queue>(res);
      assert.deepEqual(queue.items.map((i) => i.level), ['clear', 'likely']);
      assert.ok(queue.items[0]!.score >= queue.items[1]!.score);
      const first = queue.items[0]!;
      assert.deepEqual(new Set(first.patients.map((p) => p.id)), new Set([c.maya, c.maya2]));
      assert.deepEqual(new Set(first.patients.map((p) => p.givenName)), new Set(['Maya', 'Mya']));
      assert.ok(first.reasons.some((r) => r.detail === 'same date of birth 1988-04-02'));
      assert.equal(first.detectedBy, 'scan');

      const page1 = json<Queue>(await app.inject({ url: '/api/duplicates?limit=1', headers: { cookie: c.desk } }));
      assert.equal(page1.items.length, 1);
      assert.ok(page1.nextCursor);
      const page2 = json<Queue>(await app.inject({ url: `/api/duplicates?limit=1&cursor=${page1.nextCursor}`, headers: { cookie: c.desk } }));
      assert.deepEqual(page2.items.map((i) => i.id), [queue.items[1]!.id]);
      assert.equal(page2.nextCursor, null);
      const forged = await app.inject({ url: '/api/duplicates?cursor=abc', headers: { cookie: c.desk } });
      assert.equal(forged.statusCode, 400);
      const audit = await asTenant(database, c.tenant.id, (s) => s.tx.selectFrom('audit_event').select('detail').where('action', '=', 'duplicate.list').orderBy('occurred_at').execute());
      assert.equal(audit.length, 3, 'each page read is audited (the forged cursor read nothing)');
      assert.deepEqual(new Set((audit[0]!.detail as { patientIds: string[] }).patientIds), new Set([c.maya, c.maya2, c.bob, c.bob2]));
    });

    test('who may see the queue and run a scan', async () => {
      const tenant = await createTestTenant(database);
      const marketing = await signedIn(tenant, 'marketing');
      const desk = await signedIn(tenant, 'front_desk');
      assert.equal((await app.inject({ url: '/api/duplicates' })).statusCode, 401);
      assert.equal((await app.inject({ url: '/api/duplicates', headers: { cookie: marketing } })).statusCode, 403);
      assert.equal((await app.inject({ method: 'POST', url: '/api/duplicates/scan', headers: { cookie: desk } })).statusCode, 403);
      assert.equal((await app.inject({ method: 'POST', url: '/api/patients/merge', headers: { cookie: marketing }, payload: {} })).statusCode, 403);
    });

    test("one patient's pairs, and dismissing a pair for good", async () => {
      const c = await scannedClinic();
      const mine = json<{ items: DuplicateCandidate[] }>(await app.inject({ url: `/api/patients/${c.bob}/duplicates`, headers: { cookie: c.desk } }));
      assert.equal(mine.items.length, 1);
      assert.deepEqual(new Set(mine.items[0]!.patients.map((p) => p.id)), new Set([c.bob, c.bob2]));
      assert.equal((await app.inject({ url: `/api/patients/${crypto.randomUUID()}/duplicates`, headers: { cookie: c.desk } })).statusCode, 404);

      const dismissed = await app.inject({ method: 'POST', url: `/api/duplicates/${mine.items[0]!.id}/dismiss`, headers: { cookie: c.desk } });
      assert.equal(dismissed.statusCode, 200, dismissed.body);
      assert.equal(json<DuplicateCandidate>(dismissed).status, 'dismissed');
      const again = await app.inject({ method: 'POST', url: `/api/duplicates/${mine.items[0]!.id}/dismiss`, headers: { cookie: c.desk } });
      assert.equal(again.statusCode, 409);
      assert.match(json<ErrorBody>(again).error.message, /already dismissed/);
      assert.equal((await app.inject({ method: 'POST', url: `/api/duplicates/${crypto.randomUUID()}/dismiss`, headers: { cookie: c.desk } })).statusCode, 404);
      await app.inject({ method: 'POST', url: '/api/duplicates/scan', headers: { cookie: c.admin } });
      const queue = json<Queue>(await app.inject({ url: '/api/duplicates', headers: { cookie: c.desk } }));
      assert.ok(!queue.items.some((i) => i.id === mine.items[0]!.id), 'a rescan does not reopen a dismissed pair');
      const audit = await asTenant(database, c.tenant.id, (s) => s.tx.selectFrom('audit_event').select('patient_id').where('action', '=', 'duplicate.dismiss').execute());
      assert.deepEqual(new Set(audit.map((a) => a.patient_id)), new Set([c.bob, c.bob2]));

      const other = await createTestTenant(database);
      const stranger = await signedIn(other, 'admin');
      assert.equal((await app.inject({ url: `/api/patients/${c.maya}/duplicates`, headers: { cookie: stranger } })).statusCode, 404);
      const foreignDismiss = await app.inject({ method: 'POST', url: `/api/duplicates/${queue.items[0]!.id}/dismiss`, headers: { cookie: stranger } });
      assert.equal(foreignDismiss.statusCode, 404);
    });

    test('merge from the queue, read the merge, undo it, and the pair is back', async () => {
      const c = await scannedClinic();
      const payload = { survivorId: c.maya, mergedId: c.maya2, choices: { givenName: 'survivor' }, expectedVersions: { survivor: 1, merged: 1 } };
      const res = await app.inject({ method: 'POST', url: '/api/patients/merge', headers: { cookie: c.desk }, payload });
      assert.equal(res.statusCode, 201, res.body);
      const merge = json<MergeRecord>(res);
      assert.equal(merge.survivorId, c.maya);
      assert.equal(merge.chosen.givenName, 'survivor');
      assert.equal(merge.undoneAt, null);
      const read = await app.inject({ url: `/api/merges/${merge.id}`, headers: { cookie: c.desk } });
      assert.equal(read.statusCode, 200);
      assert.deepEqual(json<MergeRecord>(read), merge);
      let queue = json<Queue>(await app.inject({ url: '/api/duplicates', headers: { cookie: c.desk } }));
      assert.deepEqual(queue.items.map((i) => i.level), ['likely'], 'the merged pair left the queue');
      const stale = await app.inject({ method: 'POST', url: '/api/patients/merge', headers: { cookie: c.desk }, payload });
      assert.equal(stale.statusCode, 409);

      const undo = await app.inject({ method: 'POST', url: `/api/merges/${merge.id}/undo`, headers: { cookie: c.desk } });
      assert.equal(undo.statusCode, 200, undo.body);
      assert.ok(json<MergeRecord>(undo).undoneAt);
      const twice = await app.inject({ method: 'POST', url: `/api/merges/${merge.id}/undo`, headers: { cookie: c.desk } });
      assert.equal(twice.statusCode, 409);
      assert.match(json<ErrorBody>(twice).error.message, /already been undone/);
      queue = json<Queue>(await app.inject({ url: '/api/duplicates', headers: { cookie: c.desk } }));
      assert.deepEqual(queue.items.map((i) => i.level), ['clear', 'likely'], 'the pair is open again');
      const audit = await asTenant(database, c.tenant.id, (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'patient_id', 'outcome']).where('action', 'in', ['patient.merge', 'patient.merge.read', 'patient.merge_undo']).execute(),
      );
      assert.equal(audit.filter((a) => a.outcome === 'success').length, 6, 'merge, read and undo, for both patients');
      assert.equal(audit.filter((a) => a.outcome === 'failure').length, 4, 'the stale merge and the second undo, for both patients');
      assert.ok(audit.every((a) => a.patient_id === c.maya || a.patient_id === c.maya2));

      const other = await createTestTenant(database);
      const stranger = await signedIn(other, 'admin');
      assert.equal((await app.inject({ url: `/api/merges/${merge.id}`, headers: { cookie: stranger } })).statusCode, 404);
      assert.equal((await app.inject({ method: 'POST', url: `/api/merges/${merge.id}/undo`, headers: { cookie: stranger } })).statusCode, 404);
    });

    test('refuses bad merges by name: itself, unknown fields, bad ids, another clinic', async () => {
      const c = await scannedClinic();
      const post = (payload: unknown, cookie = c.desk) => app.inject({ method: 'POST', url: '/api/patients/merge', headers: { cookie }, payload: payload as object });
      const self = await post({ survivorId: c.maya, mergedId: c.maya });
      assert.equal(self.statusCode, 400);
      assert.match(json<ErrorBody>(self).error.message, /cannot be merged into itself/);
      const unknown = await post({ survivorId: c.maya, mergedId: c.maya2, choices: { nickname: 'merged' } });
      assert.equal(unknown.statusCode, 400);
      assert.equal(json<ErrorBody>(unknown).error.code, 'validation_failed');
      assert.ok(json<ErrorBody>(unknown).error.fields?.some((f) => f.path === 'choices.nickname'), unknown.body);
      const badSide = await post({ survivorId: c.maya, mergedId: c.maya2, choices: { sex: 'both' } });
      assert.ok(json<ErrorBody>(badSide).error.fields?.some((f) => f.path === 'choices.sex'), badSide.body);
      const badId = await post({ survivorId: 'me', mergedId: c.maya2 });
      assert.ok(json<ErrorBody>(badId).error.fields?.some((f) => f.path === 'survivorId'));
      const extra = await post({ survivorId: c.maya, mergedId: c.maya2, force: true });
      assert.ok(json<ErrorBody>(extra).error.fields?.some((f) => f.path === 'force'), extra.body);

      const other = await createTestTenant(database);
      const foreign = await insertPatient(database, other.id, { given_name: 'Maya', family_name: 'Okafor' });
      const cross = await post({ survivorId: c.maya, mergedId: foreign });
      assert.equal(cross.statusCode, 404);
      const stranger = await signedIn(other, 'admin');
      assert.equal((await post({ survivorId: foreign, mergedId: c.maya }, stranger)).statusCode, 404);
      const merges = await asTenant(database, c.tenant.id, (s) => s.tx.selectFrom('patient_merge').select('id').execute());
      assert.deepEqual(merges, []);
    });
  });
}
