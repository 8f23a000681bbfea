import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestTenant, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant, type Actor } from '../../server/db/scope.ts';
import { FhirError } from '../fhir/outcome.ts';
import { processBundle } from './bundle.ts';
import { importFhirPath } from './run.ts';

/**
 * One file, one judgement: `rapport import fhir` checks entries against R4 as POST /fhir/R4 does.
 * The entries below are ones the mappers alone would take (an Encounter without class, a
 * MedicationRequest without intent); R4 requires both elements.
 */

const SYSTEM: Actor = { type: 'system', id: null };
const NOW = new Date('2026-11-22T14:00:00Z');
const uuid = (n: number) => `c0f00000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const patient = (id: string) => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:example:ehr', value: `MRN-${id.slice(-4)}` }],
  name: [{ family: 'Quimby', given: ['Rosa'] }],
  birthDate: '1969-07-20',
});
const encounterWithoutClass = (id: string, subject: string) => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  subject: { reference: subject },
  period: { start: '2025-02-03T10:00:00Z' },
});
const medicationWithoutIntent = (id: string, subject: string) => ({
  resourceType: 'MedicationRequest',
  id,
  status: 'active',
  medicationCodeableConcept: { text: 'Metformin 500 mg' },
  subject: { reference: subject },
});
const entry = (resource: { resourceType: string; id: string; [element: string]: unknown }) => ({ fullUrl: `urn:uuid:${resource.id}`, resource, request: { method: 'POST', url: resource.resourceType } });

for (const engine of engines()) {
  describe(`FHIR import: entries checked against R4 on every entry point (${engine})`, () => {
    let database: TestDatabase;
    let dir: string;
    before(async () => {
      database = await openTestDatabase(engine);
      dir = mkdtempSync(path.join(tmpdir(), 'rapport-fhir-r4-'));
    });
    after(async () => {
      await database.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    const asTenant = <T>(tenant: TestTenant, work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, { tenantId: tenant.id, actor: SYSTEM }, work);
    const count = (tenant: TestTenant, table: 'patient' | 'encounter' | 'patient_medication' | 'external_ref') =>
      asTenant(tenant, async (scope) => Number((await scope.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
    const importFile = (tenant: TestTenant, file: string) => importFhirPath({ db: database.db, clock: () => NOW }, { tenantId: tenant.id, path: file, dryRun: false });

    test('a transaction file with an Encounter R4 refuses is refused whole, by the CLI and by POST /fhir/R4 alike', async () => {
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          entry(patient(uuid(1))),
          entry(encounterWithoutClass(uuid(2), `urn:uuid:${uuid(1)}`)),
          entry({ resourceType: 'Observation', id: uuid(3), status: 'final', code: { text: 'Weight' } }),
        ],
      };
      const file = path.join(dir, 'visit.json');
      writeFileSync(file, JSON.stringify(bundle));

      const cli = await createTestTenant(database);
      const { report } = await importFile(cli, file);
      const failures = report.failures.map((f) => `${f.where}: ${f.reason}`);
      assert.deepEqual(failures, [
        'visit.json entry 0: not stored: visit.json is all or nothing and visit.json entry 1 failed',
        'visit.json entry 1: does not conform to FHIR R4: Encounter.class: Missing required property',
        'visit.json entry 2: not stored: visit.json is all or nothing and visit.json entry 1 failed',
      ]);
      assert.equal(report.byType.Encounter!.failed, 1);
      assert.equal(await count(cli, 'patient'), 0);
      assert.equal(await count(cli, 'external_ref'), 0);

      const api = await createTestTenant(database);
      await assert.rejects(
        asTenant(api, (scope) => processBundle(scope, bundle, { now: NOW, label: 'visit.json' })),
        (error: unknown) => {
          assert.ok(error instanceof FhirError);
          assert.equal(error.status, 422);
          assert.deepEqual(
            error.outcome.issue?.map((i) => [i.expression, i.details?.text]),
            [[['Bundle.entry[1]', 'Encounter.class'], 'visit.json entry 1: Missing required property (at Encounter.class). Nothing of the bundle was stored.']],
          );
          return true;
        },
      );
      assert.equal(await count(api, 'patient'), 0);
    });

    test('NDJSON and batch files: an entry R4 refuses fails on its own, naming the element; the others import', async () => {
      const tenant = await createTestTenant(database);
      const folder = mkdtempSync(path.join(dir, 'bulk-'));
      const subject = `Patient/${uuid(11)}`;
      writeFileSync(path.join(folder, 'Patient.ndjson'), `${JSON.stringify(patient(uuid(11)))}\n`);
      writeFileSync(
        path.join(folder, 'Encounter.ndjson'),
        [encounterWithoutClass(uuid(12), subject), { ...encounterWithoutClass(uuid(13), subject), class: { code: 'AMB' } }].map((r) => JSON.stringify(r)).join('\n'),
      );
      writeFileSync(
        path.join(folder, 'meds.json'),
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'batch',
          entry: [entry(medicationWithoutIntent(uuid(14), subject)), entry({ ...medicationWithoutIntent(uuid(15), subject), intent: 'order' })],
        }),
      );
      const { report } = await importFile(tenant, folder);
      assert.deepEqual(
        report.failures.map((f) => `${f.where}: ${f.reason}`),
        [
          'meds.json entry 0: does not conform to FHIR R4: MedicationRequest.intent: Missing required property',
          'Encounter.ndjson line 1: does not conform to FHIR R4: Encounter.class: Missing required property',
        ],
      );
      assert.deepEqual(report.byType.Encounter, { created: 1, updated: 0, unchanged: 0, skipped: 0, failed: 1 });
      assert.deepEqual(report.byType.MedicationRequest, { created: 1, updated: 0, unchanged: 0, skipped: 0, failed: 1 });
      assert.equal(await count(tenant, 'encounter'), 1);
      assert.equal(await count(tenant, 'patient_medication'), 1);
      const run = await asTenant(tenant, (scope) => scope.tx.selectFrom('import_run').select(['failed', 'problems']).executeTakeFirstOrThrow());
      assert.equal(run.failed, 2);
      assert.match(JSON.stringify(run.problems), /Encounter\.class: Missing required property/);
    });
  });
}
