import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestTenant, manualClock, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant, type Actor } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { loadPatientRecord } from '../patients/record.ts';
import { registerPatient } from '../patients/service.ts';
import { runImport } from './run-import.ts';
import { createImportRun, getImportRun, type NewImportRun } from './runs.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/import');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const SYSTEM: Actor = { type: 'system', id: null };
const MIXED: Omit<NewImportRun, 'csv' | 'dryRun'> = {
  filename: 'patients-mixed.csv',
  dateFormat: 'MM/DD/YYYY',
  mapping: { Visits: 'customField:visits_allowed', 'EHR ID': 'identifier:urn:example:ehr' },
};
const MIXED_PROBLEMS = [
  { line: 4, field: 'DOB', value: '02/30/1990', message: 'is not a real date in the format MM/DD/YYYY or YYYY-MM-DD' },
  { line: 5, field: 'Mobile', value: '555-12', message: 'must be a valid phone number (got "555-12")' },
  { line: 6, field: 'Tags', value: 'Gold Member', message: '"Gold Member" is not a tag of this clinic' },
  { line: 7, field: 'Last Name', value: '', message: 'is required' },
  { line: 8, field: 'Visits', value: 'twelve', message: 'must be a number such as 12 or 3.5' },
];

for (const engine of engines()) {
  describe(`CSV import of patients (${engine})`, () => {
    let database: TestDatabase;
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      await database.dispose();
    });

    const asTenant = <T>(tenant: TestTenant, work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, { tenantId: tenant.id, actor: SYSTEM }, work);

    /** A clinic with the tags and custom fields the mixed fixture uses. */
    async function clinic(): Promise<TestTenant> {
      const tenant = await createTestTenant(database);
      await asTenant(tenant, async (scope) => {
        await scope.tx.insertInto('tag').values([{ tenant_id: tenant.id, name: 'VIP' }, { tenant_id: tenant.id, name: 'Spanish speaker' }]).execute();
        await scope.tx
          .insertInto('custom_field')
          .values([
            { tenant_id: tenant.id, key: 'insurer', label: 'Insurer', type: 'text', choices: null },
            { tenant_id: tenant.id, key: 'visits_allowed', label: 'Visits allowed', type: 'number', choices: null },
          ])
          .execute();
      });
      return tenant;
    }

    async function importFile(tenant: TestTenant, input: NewImportRun, batchRows?: number) {
      const queued = await asTenant(tenant, (scope) => createImportRun(scope, input, clock()));
      const progress: Array<[number, number]> = [];
      const run = await runImport({ db: database.db, clock }, { tenantId: tenant.id, runId: queued.id }, {
        onProgress: (d, t) => progress.push([d, t]),
        // Batches of exactly batchRows, however slow the machine is.
        ...(batchRows ? { batchRows, batchMillis: 600_000 } : {}),
      });
      return { run, progress };
    }

    const count = (tenant: TestTenant, table: 'patient' | 'patient_change' | 'patient_identifier' | 'timeline_event' | 'duplicate_candidate') =>
      asTenant(tenant, async (s) => Number((await s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
    const patientByMrn = (tenant: TestTenant, mrn: string) =>
      asTenant(tenant, async (s) => {
        const row = await s.tx.selectFrom('patient').select('id').where('mrn', '=', mrn).executeTakeFirst();
        return row ? loadPatientRecord(s, row.id, clock()) : undefined;
      });

    test('a dry run reports every bad row with its line and column, and stores nothing', async () => {
      const tenant = await clinic();
      const { run, progress } = await importFile(tenant, { ...MIXED, csv: fixture('patients-mixed.csv'), dryRun: true }, 3);
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.problems, MIXED_PROBLEMS);
      assert.deepEqual(run.counts, { created: 4, updated: 0, unchanged: 0, failed: 5, sentToReview: 0 });
      assert.equal(run.processedRows, 9);
      assert.deepEqual(progress, [[0, 9], [3, 9], [6, 9], [9, 9]], 'progress after every batch');
      for (const table of ['patient', 'patient_change', 'patient_identifier', 'timeline_event'] as const) assert.equal(await count(tenant, table), 0, table);
      const actions = await asTenant(tenant, (s) => s.tx.selectFrom('audit_event').select('action').orderBy('occurred_at').execute());
      assert.deepEqual(actions.map((a) => a.action), ['import.create', 'import.start', 'import.finish']);
    });

    test('the real run stores the good rows, normalised, and skips the bad ones', async () => {
      const tenant = await clinic();
      const { run } = await importFile(tenant, { ...MIXED, csv: fixture('patients-mixed.csv'), dryRun: false });
      assert.deepEqual(run.problems, MIXED_PROBLEMS);
      assert.deepEqual(run.counts, { created: 4, updated: 0, unchanged: 0, failed: 5, sentToReview: 0 });
      assert.equal(await count(tenant, 'patient'), 4);
      for (const bad of ['MRN-1003', 'MRN-1004', 'MRN-1005', 'MRN-1006', 'MRN-1007']) assert.equal(await patientByMrn(tenant, bad), undefined, bad);

      const maya = (await patientByMrn(tenant, 'MRN-1001'))!;
      assert.equal(maya.birthDate, '1988-04-02');
      assert.equal(maya.sex, 'female');
      assert.deepEqual(maya.phones, [{ value: '+14135550101', use: 'mobile' }]);
      assert.deepEqual(maya.address, { line: '12 Elm Street', city: 'Springfield', region: 'MA', postalCode: '01103', country: 'US' });
      assert.deepEqual(maya.customFields, { insurer: 'Acme Health', visits_allowed: 12 });
      assert.deepEqual(maya.identifiers, [{ system: 'urn:example:ehr', value: 'EHR-501' }]);
      const tomas = (await patientByMrn(tenant, 'MRN-1002'))!;
      assert.deepEqual(tomas.phones, [{ value: '+14135550102', use: 'mobile' }, { value: '+14135550112', use: 'home' }]);
      assert.deepEqual(tomas.tags.map((t) => t.name), ['Spanish speaker', 'VIP']);
      assert.equal(tomas.address.line, '4 Oak Road, Apt 3');
      assert.equal((await patientByMrn(tenant, 'MRN-1009'))!.familyName, 'Costa, Silva');

      const audit = await asTenant(tenant, (s) => s.tx.selectFrom('audit_event').select(['action', 'patient_id']).orderBy('occurred_at').execute());
      assert.equal(audit.filter((a) => a.action === 'patient.create' && a.patient_id).length, 4, 'one audit record per created patient');
      assert.deepEqual(audit.filter((a) => a.action.startsWith('import.')).map((a) => a.action), ['import.create', 'import.start', 'import.finish']);
      const stored = await asTenant(tenant, (s) => s.tx.selectFrom('import_run').select(['csv', 'status', 'finished_at']).where('id', '=', run.id).executeTakeFirstOrThrow());
      assert.equal(stored.csv, null, 'the file is not kept after the run');
      assert.equal(stored.status, 'completed');
    });

    test('importing the same file again creates nothing; an edited row updates with history', async () => {
      const tenant = await clinic();
      const csv = fixture('patients-mixed.csv');
      await importFile(tenant, { ...MIXED, csv, dryRun: false });
      const changesBefore = await count(tenant, 'patient_change');
      const maya = (await patientByMrn(tenant, 'MRN-1001'))!;
      // Staff added a work phone since: a re-import must keep it.
      await asTenant(tenant, (s) => s.tx.insertInto('patient_contact_point').values({ tenant_id: tenant.id, patient_id: maya.id, system: 'phone', value: '+14135550199', use: 'work' }).execute());
      clock.advance(60_000);

      const again = await importFile(tenant, { ...MIXED, csv, dryRun: false });
      assert.deepEqual(again.run.counts, { created: 0, updated: 0, unchanged: 4, failed: 5, sentToReview: 0 });
      assert.equal(await count(tenant, 'patient'), 4);
      assert.equal(await count(tenant, 'patient_change'), changesBefore, 'an unchanged row writes no history');
      const mayaAfter = (await patientByMrn(tenant, 'MRN-1001'))!;
      assert.equal(mayaAfter.version, maya.version);
      assert.equal(mayaAfter.updatedAt, maya.updatedAt, 'an unchanged row does not touch the record');
      assert.equal(mayaAfter.phones.length, 2);

      const edited = csv.replace('maya.okafor@example.org,12 Elm Street,Springfield', 'maya.okafor@example.org,88 Maple Avenue,Chicopee').replace(',VIP,Acme Health,12,', ',VIP,Acme Health,14,');
      const third = await importFile(tenant, { ...MIXED, csv: edited, dryRun: false });
      assert.deepEqual(third.run.counts, { created: 0, updated: 1, unchanged: 3, failed: 5, sentToReview: 0 });
      const updated = (await patientByMrn(tenant, 'MRN-1001'))!;
      assert.equal(updated.version, maya.version + 1);
      assert.deepEqual(updated.address, { line: '88 Maple Avenue', city: 'Chicopee', region: 'MA', postalCode: '01103', country: 'US' });
      assert.deepEqual(updated.customFields, { insurer: 'Acme Health', visits_allowed: 14 });
      assert.deepEqual(updated.phones.map((p) => p.value), ['+14135550101', '+14135550199'], 'phones are added to, never cut');
      const history = await asTenant(tenant, (s) => s.tx.selectFrom('patient_change').select(['field', 'actor_type']).where('patient_id', '=', maya.id).where('changed_at', '=', clock()).execute());
      assert.deepEqual(history.map((h) => h.field).sort(), ['address', 'customFields.visits_allowed']);
      assert.ok(history.every((h) => h.actor_type === 'system'));
    });

    test('an identifier matches too; an MRN and an identifier naming two patients is refused', async () => {
      const tenant = await clinic();
      await importFile(tenant, { ...MIXED, csv: fixture('patients-mixed.csv'), dryRun: false });
      const csv = 'EHR ID,Email,MRN\nEHR-508,jin.park@example.net,\nEHR-501,,MRN-1002\n';
      const { run } = await importFile(tenant, { filename: 'ehr.csv', csv, mapping: { 'EHR ID': 'identifier:urn:example:ehr' }, dryRun: false });
      assert.deepEqual(run.counts, { created: 0, updated: 1, unchanged: 0, failed: 1, sentToReview: 0 });
      assert.deepEqual(run.problems, [
        { line: 3, field: 'EHR ID', value: 'EHR-501', message: 'belongs to a different patient in Rapport than the MRN on this row' },
      ]);
      assert.deepEqual((await patientByMrn(tenant, 'MRN-1008'))!.emails.map((e) => e.value), ['jin.park@example.net', 'jin.park@example.org']);
      assert.ok(run.warnings.some((w) => /givenName/.test(w)));
    });

    test('a clear duplicate without an MRN match is created and sent to duplicate review', async () => {
      const tenant = await clinic();
      const existing = await asTenant(tenant, (scope) =>
        registerPatient(scope, { givenName: 'Jonathan', familyName: 'Whitfield', birthDate: '1979-05-21', phones: [{ value: '413-555-0141' }], emails: [{ value: 'jon.whitfield@example.org' }] }, { now: clock() }),
      );
      const csv = 'First Name,Last Name,DOB,Phone,Email\nJonathan,Whitfield,1979-05-21,(413) 555-0141,jon.whitfield@example.org\nGreta,Lindqvist,1990-01-02,413-555-0142,greta@example.org\n';
      const { run } = await importFile(tenant, { filename: 'dupes.csv', csv, dryRun: false });
      assert.deepEqual(run.counts, { created: 2, updated: 0, unchanged: 0, failed: 0, sentToReview: 1 });
      assert.match(run.warnings[0]!, /No column is mapped to the MRN or an identifier/);
      const pairs = await asTenant(tenant, (s) => s.tx.selectFrom('duplicate_candidate').select(['patient_a', 'patient_b', 'detected_by', 'status']).execute());
      assert.equal(pairs.length, 1);
      assert.equal(pairs[0]!.detected_by, 'import');
      assert.equal(pairs[0]!.status, 'open');
      assert.ok([pairs[0]!.patient_a, pairs[0]!.patient_b].includes(existing.patient.id));
    });

    test('records spanning lines are reported on the line they start; repeated MRNs are refused', async () => {
      const tenant = await clinic();
      const { run } = await importFile(tenant, { filename: 'quoted.csv', csv: fixture('quoted-newlines.csv'), dryRun: true });
      assert.deepEqual(run.problems, [
        { line: 8, field: 'Date of Birth', value: '1999-13-01', message: 'is not a real date in the format YYYY-MM-DD' },
        { line: 11, field: 'Cell', value: 'not a phone', message: 'must be a valid phone number (got "not a phone")' },
      ]);
      assert.deepEqual(run.counts, { created: 3, updated: 0, unchanged: 0, failed: 2, sentToReview: 0 });
      assert.ok(run.warnings.includes('Not imported: "Notes".'));

      const repeated = await importFile(tenant, { filename: 'twice.csv', csv: 'MRN,First Name,Last Name\nR-1,Ada,One\nR-1,Ada,Two\n', dryRun: false });
      assert.deepEqual(repeated.run.problems, [{ line: 3, field: 'MRN', value: 'R-1', message: 'is also on line 2; each patient may appear only once in a file' }]);
      assert.equal((await patientByMrn(tenant, 'R-1'))!.familyName, 'One');
    });

    test('an unreadable file or a bad mapping is refused before anything runs', async () => {
      const tenant = await clinic();
      const refuse = async (input: NewImportRun) => {
        try {
          await asTenant(tenant, (scope) => createImportRun(scope, input, clock()));
        } catch (error) {
          assert.ok(error instanceof AppError);
          return error;
        }
        assert.fail('expected a refusal');
      };
      const unclosed = await refuse({ filename: 'x.csv', csv: 'MRN,First Name\nA,"Ada\nB,Bo\n', dryRun: false });
      assert.equal(unclosed.status, 400);
      assert.match(unclosed.message, /starts on line 2 is never closed/);
      const mapping = await refuse({ filename: 'x.csv', csv: 'MRN,First Name\nA,Ada\n', mapping: { Nope: 'mrn', 'First Name': 'customField:Bad Key' }, dryRun: false });
      assert.deepEqual(mapping.fields?.map((f) => f.path), ['mapping.Nope', 'mapping.First Name']);
      const runs = await asTenant(tenant, (s) => s.tx.selectFrom('import_run').select('id').execute());
      assert.equal(runs.length, 0);

      // A file that went bad after it was accepted (written by something else) fails the run, saying why.
      const broken = await asTenant(tenant, (s) =>
        s.tx.insertInto('import_run').values({ tenant_id: tenant.id, filename: 'b.csv', mapping: '{}', dry_run: false, total_rows: 1, csv: 'a,b\n"1,2\n' }).returning('id').executeTakeFirstOrThrow(),
      );
      await assert.rejects(runImport({ db: database.db, clock }, { tenantId: tenant.id, runId: broken.id }), AppError);
      const failed = await asTenant(tenant, (s) => getImportRun(s, broken.id));
      assert.equal(failed.status, 'failed');
      assert.match(failed.error!, /^The import could not run: The file could not be read as CSV: the quoted value that starts on line 2/);
    });

    test('a run that stops half-way keeps the batches it committed and says how far it got', async () => {
      const tenant = await clinic();
      const queued = await asTenant(tenant, (scope) => createImportRun(scope, { ...MIXED, csv: fixture('patients-mixed.csv'), dryRun: false }, clock()));
      const stopAfterFirstBatch = (done: number) => {
        if (done === 3) throw new Error('worker went away');
      };
      await assert.rejects(
        runImport({ db: database.db, clock }, { tenantId: tenant.id, runId: queued.id }, { batchRows: 3, batchMillis: 600_000, onProgress: stopAfterFirstBatch }),
        /worker went away/,
      );
      const run = await asTenant(tenant, (s) => getImportRun(s, queued.id));
      assert.equal(run.status, 'failed');
      assert.equal(run.processedRows, 3);
      assert.match(run.error!, /stopped after 3 of 9 rows/);
      assert.deepEqual(run.counts, { created: 2, updated: 0, unchanged: 0, failed: 1, sentToReview: 0 });
      assert.equal(await count(tenant, 'patient'), 2);
    });

    test('a run is visible to its own tenant only; a finished run is not run again', async () => {
      const tenant = await clinic();
      const other = await createTestTenant(database);
      const { run } = await importFile(tenant, { filename: 'one.csv', csv: 'MRN,First Name,Last Name\nT-1,Ada,Lovelace\n', dryRun: false });
      await assert.rejects(withTenant(database.db, { tenantId: other.id, actor: SYSTEM }, (s) => getImportRun(s, run.id)), /Import was not found/);
      const again = await runImport({ db: database.db, clock }, { tenantId: tenant.id, runId: run.id });
      assert.deepEqual(again.counts, run.counts);
      assert.equal(await count(tenant, 'patient'), 1);
    });
  });
}
