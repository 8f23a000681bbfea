import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { manualClock, testConfig } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { startJobRunner, type JobQueue } from '../../jobs/runner.ts';
import { buildApp } from '../../server/app.ts';
import type { ImportPreview, ImportRunView } from './runs.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/import');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');

for (const engine of engines()) {
  describe(`import API (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let jobs: JobQueue;
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    const config = testConfig();
    before(async () => {
      database = await openTestDatabase(engine);
      jobs = await startJobRunner({ database, deps: { db: database.db, clock, config }, logger: pino({ level: 'silent' }), work: true, pollingIntervalSeconds: 0.5 });
      app = await buildApp({ config, database, clock, jobs, logger: false });
      await app.ready();
    });
    after(async () => {
      await app.close();
      await jobs.stop();
      await database.dispose();
    });

    const postCsv = (cookie: string, csv: string | Buffer, contentType = 'text/csv; charset=utf-8') =>
      app.inject({ method: 'POST', url: '/api/imports/preview', headers: { cookie, 'content-type': contentType }, payload: csv });

    async function waitForRun(call: Awaited<ReturnType<typeof signedInTenant>>['call'], id: string): Promise<ImportRunView> {
      for (let i = 0; i < 200; i++) {
        const res = await call<ImportRunView>('GET', `/api/imports/${id}`);
        assert.equal(res.status, 200);
        if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail('the import did not finish');
    }

    test('preview, start and follow an import to the end', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const csv = fixture('clinic-export.csv');
      const preview = await postCsv(t.cookie, csv);
      assert.equal(preview.statusCode, 200, preview.body);
      const p = JSON.parse(preview.body) as ImportPreview;
      assert.deepEqual(p.headers, ['MRN', 'First Name', 'Last Name', 'DOB', 'Phone', 'Email']);
      assert.deepEqual(p.mapping, { MRN: 'mrn', 'First Name': 'givenName', 'Last Name': 'familyName', DOB: 'birthDate', Phone: 'phone', Email: 'email' });
      assert.equal(p.delimiter, ';');
      assert.equal(p.rowCount, 3);
      assert.deepEqual(p.rows[0], { line: 2, values: { MRN: 'C-1', 'First Name': 'Edith', 'Last Name': 'Morrow', DOB: '03/15/1970', Phone: '413-555-0131', Email: 'edith.morrow@example.org' } });
      assert.deepEqual(p.warnings, []);
      assert.ok(p.targets.some((x) => x.value === 'address.postalCode'));

      const dry = await t.call<ImportRunView>('POST', '/api/imports', { filename: 'clinic-export.csv', csv, mapping: p.mapping, dateFormat: 'MM/DD/YYYY', dryRun: true });
      assert.equal(dry.status, 202, JSON.stringify(dry.body));
      assert.equal(dry.body.status, 'queued');
      assert.equal(dry.body.totalRows, 3);
      const dryDone = await waitForRun(t.call, dry.body.id);
      assert.equal(dryDone.status, 'completed');
      assert.deepEqual(dryDone.counts, { created: 3, updated: 0, unchanged: 0, failed: 0, sentToReview: 0 });
      assert.equal(await t.count('patient'), 0);

      clock.advance(60_000);
      const real = await t.call<ImportRunView>('POST', '/api/imports', { filename: 'clinic-export.csv', csv, dateFormat: 'MM/DD/YYYY', dryRun: false });
      assert.equal(real.status, 202);
      const done = await waitForRun(t.call, real.body.id);
      assert.deepEqual(done.counts, { created: 3, updated: 0, unchanged: 0, failed: 0, sentToReview: 0 });
      assert.equal(done.processedRows, 3);
      assert.equal(await t.count('patient'), 3);
      const history = await t.call<{ items: Array<{ actor: { type: string; id: string | null } }> }>(
        'GET',
        `/api/patients/${(await t.call<{ items: Array<{ id: string }> }>('GET', '/api/patients?q=Morrow')).body.items[0]!.id}/history`,
      );
      assert.deepEqual(history.body.items[0]!.actor.type, 'user', 'history names the person who started the import');
      assert.equal(history.body.items[0]!.actor.id, t.user.id);

      const list = await t.call<{ items: ImportRunView[] }>('GET', '/api/imports');
      assert.deepEqual(list.body.items.map((r) => [r.id, r.dryRun]), [[real.body.id, false], [dry.body.id, true]]);
      assert.deepEqual(list.body.items[0]!.problems, []);
    });

    test('bad rows come back with their lines; bad requests are refused with a reason', async () => {
      const t = await signedInTenant(app, database);
      const started = await t.call<ImportRunView>('POST', '/api/imports', { filename: 'bad.csv', csv: fixture('clinic-export-bad-row.csv'), dateFormat: 'MM/DD/YYYY', dryRun: false });
      const done = await waitForRun(t.call, started.body.id);
      assert.deepEqual(done.problems, [{ line: 3, field: 'DOB', value: '31/12/1980', message: 'is not a real date in the format MM/DD/YYYY or YYYY-MM-DD' }]);
      assert.deepEqual(done.counts, { created: 1, updated: 0, unchanged: 0, failed: 1, sentToReview: 0 });

      const badMap = await t.call<ErrorBody>('POST', '/api/imports', { filename: 'x.csv', csv: 'A,B\n1,2\n', mapping: { A: 'shoeSize' }, dryRun: true });
      assert.equal(badMap.status, 400);
      assert.match(badMap.body.error.message, /mapping\.A "shoeSize" is not an import field/);
      const unclosed = await postCsv(t.cookie, 'A,B\n"1,2\n');
      assert.equal(unclosed.statusCode, 400);
      assert.match(JSON.parse(unclosed.body).error.message, /starts on line 2 is never closed/);
      const wrongType = await postCsv(t.cookie, 'A,B\n1,2\n', 'application/octet-stream');
      assert.equal(wrongType.statusCode, 415);
      assert.match(JSON.parse(wrongType.body).error.message, /text\/csv/);
      const tooBig = await postCsv(t.cookie, Buffer.alloc(20 * 1024 * 1024 + 10, 'a'));
      assert.equal(tooBig.statusCode, 413);
      assert.match(JSON.parse(tooBig.body).error.message, /limit of 20971520 bytes/);
      assert.equal((await t.call('GET', '/api/imports/not-a-run')).status, 404);
    });

    test('only admin and front desk may import; another tenant sees nothing', async () => {
      const owner = await signedInTenant(app, database);
      const started = await owner.call<ImportRunView>('POST', '/api/imports', { filename: 'one.csv', csv: 'MRN,First Name,Last Name\nZ-1,Ada,Lovelace\n', dryRun: true });
      assert.equal(started.status, 202);
      for (const role of ['clinician', 'marketing'] as const) {
        const t = await signedInTenant(app, database, role);
        assert.equal((await postCsv(t.cookie, 'A\n1\n')).statusCode, 403, role);
        assert.equal((await t.call('GET', '/api/imports')).status, 403, role);
      }
      const stranger = await signedInTenant(app, database);
      assert.equal((await stranger.call('GET', `/api/imports/${started.body.id}`)).status, 404);
      assert.deepEqual((await stranger.call<{ items: unknown[] }>('GET', '/api/imports')).body.items, []);
      assert.equal((await app.inject({ method: 'GET', url: '/api/imports' })).statusCode, 401);
      await waitForRun(owner.call, started.body.id);
    });
  });
}
