import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { createTestTenant, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant, type Actor } from '../../server/db/scope.ts';
import { FhirError } from '../fhir/outcome.ts';
import { SERVICE_SYSTEM } from '../fhir/resources/location.ts';
import { processBundle } from './bundle.ts';
import { importFhirPath } from './run.ts';

const SYSTEM: Actor = { type: 'system', id: null };
const NOW = new Date('2026-11-22T14:00:00Z');

const patient = (id: string, family: string, mrn = `MRN-${id}`) => ({
  fullUrl: `urn:uuid:${id}`,
  resource: {
    resourceType: 'Patient',
    id,
    identifier: [{ type: { coding: [{ code: 'MR' }] }, system: 'urn:example:ehr', value: mrn }],
    name: [{ family, given: ['Ada'] }],
    birthDate: '1980-04-02',
    telecom: [{ system: 'phone', value: '(413) 555-0101' }],
  },
  request: { method: 'POST', url: 'Patient' },
});
const encounter = (id: string, subject: string, start = '2025-03-01T10:00:00Z') => ({
  fullUrl: `urn:uuid:${id}`,
  resource: { resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, subject: { reference: subject }, period: { start, end: start } },
  request: { method: 'POST', url: 'Encounter' },
});
const ids = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const bundle = (type: 'transaction' | 'batch', entry: unknown[]): Bundle => ({ resourceType: 'Bundle', type, entry: entry as BundleEntry[] });

for (const engine of engines()) {
  describe(`FHIR transaction and batch bundles, bad input (${engine})`, () => {
    let database: TestDatabase;
    let dir: string;
    before(async () => {
      database = await openTestDatabase(engine);
      dir = mkdtempSync(path.join(tmpdir(), 'rapport-fhir-'));
    });
    after(async () => {
      await database.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    const asTenant = <T>(tenant: TestTenant, work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, { tenantId: tenant.id, actor: SYSTEM }, work);
    const count = (tenant: TestTenant, table: 'patient' | 'encounter' | 'external_ref') =>
      asTenant(tenant, async (scope) => Number((await scope.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));

    test('a transaction with one bad entry stores nothing and answers an OperationOutcome naming the entry', async () => {
      const tenant = await createTestTenant(database);
      const bad = { ...encounter(ids(3), `urn:uuid:${ids(1)}`), resource: { ...encounter(ids(3), `urn:uuid:${ids(1)}`).resource, period: undefined } };
      const tx = bundle('transaction', [patient(ids(1), 'Lovelace'), encounter(ids(2), `urn:uuid:${ids(1)}`), bad]);
      await assert.rejects(
        asTenant(tenant, (scope) => processBundle(scope, tx, { now: NOW, label: 'upload' })),
        (error: unknown) => {
          assert.ok(error instanceof FhirError);
          assert.equal(error.status, 422);
          assert.equal(error.outcome.issue?.length, 1);
          assert.deepEqual(error.outcome.issue?.[0]?.expression, ['Bundle.entry[2]']);
          assert.match(error.outcome.issue?.[0]?.details?.text ?? '', /upload entry 2: Encounter\.period\.start is required\. Nothing of the bundle was stored/);
          return true;
        },
      );
      assert.equal(await count(tenant, 'patient'), 0);
      assert.equal(await count(tenant, 'encounter'), 0);
      assert.equal(await count(tenant, 'external_ref'), 0);

      // The same bundle without the bad entry goes in whole.
      const ok = await asTenant(tenant, (scope) => processBundle(scope, bundle('transaction', tx.entry!.slice(0, 2)), { now: NOW }));
      assert.equal(ok.type, 'transaction-response');
      assert.deepEqual(ok.entry!.map((e) => e.response!.status), ['201 Created', '201 Created']);
      assert.equal(await count(tenant, 'encounter'), 1);
    });

    test('a batch stores its good entries; the bad one answers with its OperationOutcome', async () => {
      const tenant = await createTestTenant(database);
      const b = bundle('batch', [
        patient(ids(11), 'Hopper'),
        // A valid R4 Encounter (class is 1..1) whose subject names nothing Rapport holds.
        { resource: { resourceType: 'Encounter', id: ids(12), status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/nobody' }, period: { start: '2025-01-01' } } },
        { resource: { resourceType: 'Spaceship', id: 'x1' } },
        { resource: { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'Weight' } } },
        encounter(ids(13), `Patient?identifier=urn:example:ehr|MRN-${ids(11)}`),
      ]);
      const res = await asTenant(tenant, (scope) => processBundle(scope, b, { now: NOW }));
      assert.equal(res.type, 'batch-response');
      const statuses = res.entry!.map((e) => e.response!.status);
      assert.deepEqual(statuses, ['201 Created', '422 Unprocessable Entity', '400 Bad Request', '200 OK', '201 Created']);
      assert.match(res.entry![1]!.response!.outcome!.issue![0]!.details!.text!, /Encounter\.subject "Patient\/nobody" is neither in this bundle nor already in Rapport/);
      assert.match(res.entry![2]!.response!.outcome!.issue![0]!.details!.text!, /unknown resourceType "Spaceship"/);
      assert.match(res.entry![3]!.response!.outcome!.issue![0]!.details!.text!, /not kept by Rapport/);
      assert.equal(res.entry![3]!.response!.outcome!.issue![0]!.severity, 'information');
      assert.equal(await count(tenant, 'patient'), 1);
      assert.equal(await count(tenant, 'encounter'), 1, 'the conditional reference found the patient by identifier');
    });

    const rows = (tenant: TestTenant, table: 'appointment' | 'task') =>
      asTenant(tenant, async (scope) => Number((await scope.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
    /** An Appointment entry booked with the test clinic's practitioner, location and service; Monday 2026-11-23 is a working day. */
    const appointmentEntry = (clinic: { practitionerIds: string[]; locationId: string; serviceId: string }, patientRef: string, start = '2026-11-23T15:00:00Z') => ({
      fullUrl: `urn:uuid:${crypto.randomUUID()}`,
      resource: {
        resourceType: 'Appointment',
        status: 'booked',
        start,
        end: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
        participant: [
          { actor: { reference: patientRef }, status: 'accepted' },
          { actor: { reference: `Practitioner/${clinic.practitionerIds[0]}` }, status: 'accepted' },
          { actor: { reference: `Location/${clinic.locationId}` }, status: 'accepted' },
        ],
        serviceType: [{ coding: [{ system: SERVICE_SYSTEM, code: clinic.serviceId }] }],
      },
      request: { method: 'POST', url: 'Appointment' },
    });

    test('a transaction books an Appointment through the booking rules for a Patient created earlier in the same bundle', async () => {
      const tenant = await createTestTenant(database);
      const clinic = await createClinic(database, tenant.id, { patients: 0 });
      const tx = bundle('transaction', [patient(ids(41), 'Franklin'), appointmentEntry(clinic, `urn:uuid:${ids(41)}`)]);
      const res = await asTenant(tenant, (scope) => processBundle(scope, tx, { now: NOW, label: 'POST /fhir/R4' }));
      assert.equal(res.type, 'transaction-response');
      assert.deepEqual(res.entry!.map((e) => e.response!.status), ['201 Created', '201 Created'], JSON.stringify(res));
      const patientId = /^Patient\/([0-9a-f-]{36})$/.exec(res.entry![0]!.response!.location!)![1]!;
      const m = /^Appointment\/([0-9a-f-]{36})\/_history\/1$/.exec(res.entry![1]!.response!.location!);
      assert.ok(m, res.entry![1]!.response!.location);
      assert.equal(res.entry![1]!.response!.etag, 'W/"1"');
      const stored = await asTenant(tenant, (scope) => scope.tx.selectFrom('appointment').select(['id', 'patient_id', 'practitioner_id', 'status']).execute());
      assert.equal(stored.length, 1);
      assert.equal(stored[0]!.id, m[1]);
      assert.equal(stored[0]!.patient_id, patientId, "the appointment's patient is the bundle's new patient");
      assert.equal(stored[0]!.practitioner_id, clinic.practitionerIds[0]);
      assert.equal(stored[0]!.status, 'booked');
      assert.equal(await count(tenant, 'patient'), 1);
      const audit = await asTenant(tenant, (scope) => scope.tx.selectFrom('audit_event').select(['action', 'entity_id', 'patient_id']).where('action', '=', 'fhir.create').execute());
      assert.deepEqual(audit, [{ action: 'fhir.create', entity_id: m[1], patient_id: patientId }]);
    });

    test('a transaction whose Appointment clashes with a booking stores nothing, not even its Patient', async () => {
      const tenant = await createTestTenant(database);
      const clinic = await createClinic(database, tenant.id, { patients: 1 });
      // The practitioner is already booked at 15:00 (through a bundle too, for a patient already in Rapport).
      const first = await asTenant(tenant, (scope) => processBundle(scope, bundle('transaction', [appointmentEntry(clinic, `Patient/${clinic.patientIds[0]}`)]), { now: NOW }));
      assert.equal(first.entry![0]!.response!.status, '201 Created');
      const before = { patients: await count(tenant, 'patient'), refs: await count(tenant, 'external_ref'), appointments: await rows(tenant, 'appointment') };
      assert.deepEqual(before, { patients: 1, refs: 0, appointments: 1 });

      const tx = bundle('transaction', [patient(ids(51), 'Meitner'), appointmentEntry(clinic, `urn:uuid:${ids(51)}`)]);
      await assert.rejects(
        asTenant(tenant, (scope) => processBundle(scope, tx, { now: NOW, label: 'POST /fhir/R4' })),
        (error: unknown) => {
          assert.ok(error instanceof FhirError);
          assert.ok(error.status === 409 || error.status === 422, String(error.status));
          assert.equal(error.outcome.resourceType, 'OperationOutcome');
          const first = error.outcome.issue![0]!;
          assert.equal(first.expression?.[0], 'Bundle.entry[1]');
          assert.match(first.details?.text ?? '', /^POST \/fhir\/R4 entry 1: .*Nothing of the bundle was stored\.$/);
          return true;
        },
      );
      assert.deepEqual({ patients: await count(tenant, 'patient'), refs: await count(tenant, 'external_ref'), appointments: await rows(tenant, 'appointment') }, before);
      const names = await asTenant(tenant, (scope) => scope.tx.selectFrom('patient').select('family_name').execute());
      assert.ok(!names.some((n) => n.family_name === 'Meitner'), 'the bundle\'s patient was rolled back');
    });

    test('a batch writes its Task through the API (201) and answers an Encounter failing R4 validation with 422 naming the problem', async () => {
      const tenant = await createTestTenant(database);
      const clinic = await createClinic(database, tenant.id, { patients: 1 });
      const b = bundle('batch', [
        { fullUrl: 'urn:uuid:7a5c0000-0000-4000-8000-000000000001', resource: { resourceType: 'Task', status: 'requested', intent: 'order', description: 'Call back about results', for: { reference: `Patient/${clinic.patientIds[0]}` } }, request: { method: 'POST', url: 'Task' } },
        { ...encounter(ids(61), `Patient/${clinic.patientIds[0]}`), resource: { ...encounter(ids(61), `Patient/${clinic.patientIds[0]}`).resource, status: 'bogus' } },
      ]);
      const res = await asTenant(tenant, (scope) => processBundle(scope, b, { now: NOW, label: 'POST /fhir/R4' }));
      assert.equal(res.type, 'batch-response');
      assert.deepEqual(res.entry!.map((e) => e.response!.status), ['201 Created', '422 Unprocessable Entity'], JSON.stringify(res));
      assert.match(res.entry![0]!.response!.location!, /^Task\/[0-9a-f-]{36}\/_history\/1$/);
      const issue = res.entry![1]!.response!.outcome!.issue![0]!;
      assert.equal(issue.severity, 'error');
      assert.equal(issue.expression?.[0], 'Bundle.entry[1]');
      assert.match(issue.details?.text ?? '', /^POST \/fhir\/R4 entry 1: .*bogus/);
      assert.match(JSON.stringify(issue), /Encounter\.status/);
      assert.equal(await rows(tenant, 'task'), 1);
      assert.equal(await count(tenant, 'encounter'), 0);
    });

    test('what is not a transaction or batch Bundle is refused with 400', async () => {
      const tenant = await createTestTenant(database);
      for (const [input, message] of [
        ['[1,2]', /not a FHIR resource/],
        [{ resourceType: 'Patient' }, /is a Patient, not a Bundle/],
        [{ resourceType: 'Bundle', type: 'collection', entry: [] }, /type "collection"; only transaction and batch/],
      ] as const) {
        await assert.rejects(
          asTenant(tenant, (scope) => processBundle(scope, input === '[1,2]' ? [1, 2] : input, { now: NOW })),
          (error: unknown) => error instanceof FhirError && error.status === 400 && message.test(error.outcome.issue![0]!.details!.text!),
        );
      }
    });

    test('files: invalid JSON, a non-Bundle and a broken NDJSON line are named by file and line; the rest imports', async () => {
      const tenant = await createTestTenant(database);
      const folder = mkdtempSync(path.join(dir, 'mixed-'));
      writeFileSync(path.join(folder, 'broken.json'), '{"resourceType": "Bundle", "type": "batch",\n  "entry": [ }');
      writeFileSync(path.join(folder, 'single.json'), JSON.stringify({ resourceType: 'Patient', id: 'p' }));
      writeFileSync(path.join(folder, 'Encounter.ndjson'), `${JSON.stringify(encounter(ids(22), `Patient/${ids(21)}`).resource)}\n`);
      writeFileSync(path.join(folder, 'Patient.ndjson'), `${JSON.stringify(patient(ids(21), 'Turing').resource)}\n{"resourceType": "Patient", "id": \n${JSON.stringify({ resourceType: 'Bogus' })}\n`);
      writeFileSync(path.join(folder, 'notes.txt'), 'not FHIR');
      const { report } = await importFhirPath({ db: database.db, clock: () => NOW }, { tenantId: tenant.id, path: folder, dryRun: false });
      const failures = report.failures.map((f) => `${f.where}: ${f.reason}`);
      assert.equal(failures.length, 4, failures.join('\n'));
      assert.match(failures.find((f) => f.startsWith('broken.json'))!, /^broken\.json: is not valid JSON: .* at line 2, column \d+$/);
      assert.match(failures.find((f) => f.startsWith('single.json'))!, /is a Patient, not a Bundle/);
      assert.match(failures.find((f) => f.startsWith('Patient.ndjson line 2'))!, /is not valid JSON/);
      assert.match(failures.find((f) => f.startsWith('Patient.ndjson line 3'))!, /unknown resourceType "Bogus"/);
      assert.equal(report.byType.Patient!.created, 1);
      assert.equal(report.byType.Encounter!.created, 1, 'Patient.ndjson is read before Encounter.ndjson');
      assert.equal(await count(tenant, 'encounter'), 1);
      const run = await asTenant(tenant, (scope) => scope.tx.selectFrom('import_run').selectAll().executeTakeFirstOrThrow());
      assert.equal(run.status, 'completed');
      assert.equal(run.failed, 4);
      assert.equal(run.problem_count, 4);
      assert.match(JSON.stringify(run.warnings), /notes\.txt/);
    });

    test('a dry run reports what would happen and stores nothing', async () => {
      const tenant = await createTestTenant(database);
      const file = path.join(dir, 'dry.json');
      writeFileSync(file, JSON.stringify(bundle('transaction', [patient(ids(31), 'Noether'), encounter(ids(32), `urn:uuid:${ids(31)}`)])));
      const { report } = await importFhirPath({ db: database.db, clock: () => NOW }, { tenantId: tenant.id, path: file, dryRun: true });
      assert.equal(report.byType.Patient!.created, 1);
      assert.equal(report.byType.Encounter!.created, 1);
      assert.equal(await count(tenant, 'patient'), 0);
      assert.equal(await count(tenant, 'external_ref'), 0);
    });
  });
}
