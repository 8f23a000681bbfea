import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestTenant, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant, type Actor } from '../../server/db/scope.ts';
import { registerPatient } from '../patients/service.ts';
import { processBundle } from './bundle.ts';
import { importFhirPath } from './run.ts';

/**
 * An incoming Patient that holds none of a known patient's identifiers but looks like them is
 * judged by the duplicates module's score (patient-write.ts): a clear match is the same patient,
 * updated; a likely one is registered and queued for staff to review. Never a silent duplicate.
 */

const SYSTEM: Actor = { type: 'system', id: null };
const NOW = new Date('2026-11-22T14:00:00Z');

/** The other EHR's Patient: its own resource id and identifier system, the same person's name and phone. */
const ehrPatient = (id: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:example:ehr-b', value: `B-${id.slice(-3)}` }],
  name: [{ family: 'Okonkwo', given: ['Chidi'] }],
  telecom: [{ system: 'phone', value: '(413) 555-0142', use: 'mobile' }],
  ...extra,
});

for (const engine of engines()) {
  describe(`FHIR import: a Patient without a known identifier that matches a patient by score (${engine})`, () => {
    let database: TestDatabase;
    let dir: string;
    before(async () => {
      database = await openTestDatabase(engine);
      dir = mkdtempSync(path.join(tmpdir(), 'rapport-fhir-match-'));
    });
    after(async () => {
      await database.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    const asTenant = <T>(tenant: TestTenant, work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, { tenantId: tenant.id, actor: SYSTEM }, work);
    /** The patient the clinic registered itself: MRN, name, birth date and phone. */
    const registered = (tenant: TestTenant) =>
      asTenant(tenant, async (scope) => {
        const { patient } = await registerPatient(scope, { givenName: 'Chidi', familyName: 'Okonkwo', birthDate: '1984-03-09', mrn: 'C-100', phones: [{ value: '+14135550142' }] }, { now: NOW });
        return patient.id;
      });
    const patients = (tenant: TestTenant) => asTenant(tenant, (scope) => scope.tx.selectFrom('patient').select(['id', 'given_name', 'family_name', 'birth_date', 'version']).orderBy('created_at').execute());
    const queue = (tenant: TestTenant) =>
      asTenant(tenant, (scope) => scope.tx.selectFrom('duplicate_candidate').select(['patient_a', 'patient_b', 'score', 'status', 'detected_by', 'reasons']).execute());

    test('same name, birth date and phone: a clear match, so the known patient is updated and gains the identifier', async () => {
      const tenant = await createTestTenant(database);
      const known = await registered(tenant);
      const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:b0000000-0000-4000-8000-000000000101', resource: ehrPatient('b0000000-0000-4000-8000-000000000101', { birthDate: '1984-03-09' }) }] };
      const res = await asTenant(tenant, (scope) => processBundle(scope, bundle, { now: NOW }));
      assert.deepEqual(res.entry![0]!.response, { status: '200 OK', location: `Patient/${known}` });
      const rows = await patients(tenant);
      assert.deepEqual(rows.map((p) => [p.id, p.version]), [[known, 2]], 'no second patient');
      const identifiers = await asTenant(tenant, (scope) => scope.tx.selectFrom('patient_identifier').select(['patient_id', 'system', 'value']).execute());
      assert.deepEqual(identifiers, [{ patient_id: known, system: 'urn:example:ehr-b', value: 'B-101' }]);
      assert.deepEqual(await queue(tenant), [], 'nothing to review: it is the same patient');
    });

    test('same name and phone, no birth date: a likely match, so a new patient is registered and the pair queued for review', async () => {
      const tenant = await createTestTenant(database);
      const known = await registered(tenant);
      const file = path.join(dir, `likely-${engine}.ndjson`);
      writeFileSync(file, `${JSON.stringify(ehrPatient('b0000000-0000-4000-8000-000000000202'))}\n`);
      const { report } = await importFhirPath({ db: database.db, clock: () => NOW }, { tenantId: tenant.id, path: file, dryRun: false });
      assert.deepEqual(report.byType.Patient, { created: 1, updated: 0, unchanged: 0, skipped: 0, failed: 0 });
      assert.equal(report.sentToReview, 1);

      const rows = await patients(tenant);
      assert.equal(rows.length, 2);
      const incoming = rows.find((p) => p.id !== known)!;
      assert.deepEqual([incoming.given_name, incoming.family_name, incoming.birth_date], ['Chidi', 'Okonkwo', null]);
      const [candidate, ...more] = await queue(tenant);
      assert.equal(more.length, 0);
      assert.deepEqual(new Set([candidate!.patient_a, candidate!.patient_b]), new Set([known, incoming.id]));
      assert.equal(candidate!.status, 'open');
      assert.equal(candidate!.detected_by, 'import');
      // Names (5 + 6) and phone (6): W = 17, a score of 0.88, under the 0.90 of a clear match.
      assert.equal(Number(candidate!.score), 0.8808);
      assert.match(JSON.stringify(candidate!.reasons), /same phone/);
      const run = await asTenant(tenant, (scope) => scope.tx.selectFrom('import_run').select('sent_to_review').executeTakeFirstOrThrow());
      assert.equal(run.sent_to_review, 1);

      // Imported again, the file finds the patient it made by its resource id: no new patient, no new pair.
      const again = await importFhirPath({ db: database.db, clock: () => NOW }, { tenantId: tenant.id, path: file, dryRun: false });
      assert.equal(again.report.byType.Patient!.unchanged, 1);
      assert.equal((await patients(tenant)).length, 2);
      assert.equal((await queue(tenant)).length, 1);
    });
  });
}
