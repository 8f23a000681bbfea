import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import { fhirTenant, newPatient } from '../fhir/fhir-test-helpers.ts';

/**
 * References by Rapport id in a Bundle posted to /fhir/R4: what a FHIR client that read a resource
 * from this server sends back. The clinic's own rows are found; another clinic's are not there at all.
 */

type Tenant = Awaited<ReturnType<typeof fhirTenant>>;

const encounter = (id: string, subject: string, extra: Record<string, unknown> = {}) => ({
  fullUrl: `urn:uuid:${id}`,
  resource: {
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    type: [{ text: 'Annual check-up' }],
    subject: { reference: subject },
    period: { start: '2026-10-05T09:00:00Z', end: '2026-10-05T09:30:00Z' },
    ...extra,
  },
  request: { method: 'POST', url: 'Encounter' },
});
const immunization = (id: string, patient: string, encounterRef: string) => ({
  fullUrl: `urn:uuid:${id}`,
  resource: {
    resourceType: 'Immunization',
    id,
    status: 'completed',
    vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '140', display: 'Influenza, seasonal, injectable' }] },
    patient: { reference: patient },
    encounter: { reference: encounterRef },
    occurrenceDateTime: '2026-10-05T09:15:00Z',
  },
  request: { method: 'POST', url: 'Immunization' },
});
const newPatientEntry = (id: string, family: string) => ({
  fullUrl: `urn:uuid:${id}`,
  resource: { ...newPatient(family, 'Nell'), id, birthDate: '1990-01-01' },
  request: { method: 'POST', url: 'Patient' },
});
const bundle = (type: 'transaction' | 'batch', entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const uuid = (n: number) => `5e1f0000-0000-4000-8000-${String(n).padStart(12, '0')}`;

for (const engine of engines()) {
  describe(`FHIR Bundles referring to resources by their Rapport id (${engine})`, () => {
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

    const rows = (t: Tenant, table: 'patient' | 'encounter' | 'immunization' | 'external_ref' | 'timeline_event') =>
      withTenant(database.db, t.system, async (s) => Number((await s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
    const snapshot = async (t: Tenant) => ({
      patient: await rows(t, 'patient'),
      encounter: await rows(t, 'encounter'),
      immunization: await rows(t, 'immunization'),
      external_ref: await rows(t, 'external_ref'),
      timeline_event: await rows(t, 'timeline_event'),
    });
    /** A patient created through the REST API, as a client would have it: its Rapport id. */
    const createPatient = async (t: Tenant, family: string) => {
      const res = await t.call<Patient>('POST', '/fhir/R4/Patient', { body: newPatient(family, 'Ines', { birthDate: '1975-06-14' }) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id!;
    };

    test("a transaction whose Encounter names another clinic's real Patient is refused with 422 not-found, storing nothing anywhere", async () => {
      const a = await fhirTenant(app, database);
      const b = await fhirTenant(app, database);
      const theirs = await createPatient(a, 'Aardvark');
      const beforeA = await snapshot(a);
      const beforeB = await snapshot(b);

      const refused = await b.call<OperationOutcome>('POST', '/fhir/R4', {
        body: bundle('transaction', [newPatientEntry(uuid(1), 'Bystander'), encounter(uuid(2), `Patient/${theirs}`)]),
      });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.resourceType, 'OperationOutcome');
      assert.equal(refused.body.issue.length, 1, JSON.stringify(refused.body));
      const issue = refused.body.issue[0]!;
      assert.equal(issue.severity, 'error');
      assert.equal(issue.code, 'not-found');
      assert.deepEqual(issue.expression, ['Bundle.entry[1]']);
      assert.equal(
        issue.details?.text,
        `POST /fhir/R4 entry 1: Encounter.subject "Patient/${theirs}" is neither in this bundle nor already in Rapport. Nothing of the bundle was stored.`,
      );

      // Nothing of the bundle in B (not even its Patient), nothing changed in A.
      assert.deepEqual(await snapshot(b), beforeB);
      assert.deepEqual(await snapshot(a), beforeA);
      const read = await a.call<Patient>('GET', `/fhir/R4/Patient/${theirs}`);
      assert.equal(read.body.meta?.versionId, '1');

      // The answer is the one an id nobody has gets: it does not tell B that A's patient exists.
      const nobody = uuid(999);
      const unknown = await b.call<OperationOutcome>('POST', '/fhir/R4', {
        body: bundle('transaction', [newPatientEntry(uuid(1), 'Bystander'), encounter(uuid(2), `Patient/${nobody}`)]),
      });
      assert.equal(unknown.status, refused.status);
      assert.equal(JSON.stringify(unknown.body).replaceAll(nobody, theirs), JSON.stringify(refused.body));
    });

    test("a batch answers the entry naming another clinic's Patient with 422 not-found and stores the rest", async () => {
      const a = await fhirTenant(app, database);
      const b = await fhirTenant(app, database);
      const theirs = await createPatient(a, 'Aalto');
      const ours = await createPatient(b, 'Bergman');
      const beforeA = await snapshot(a);

      const res = await b.call<Bundle>('POST', '/fhir/R4', {
        body: bundle('batch', [encounter(uuid(11), `Patient/${theirs}`), encounter(uuid(12), `Patient/${ours}`)]),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.type, 'batch-response');
      assert.deepEqual(res.body.entry!.map((e) => e.response!.status), ['422 Unprocessable Entity', '201 Created']);
      const issue = res.body.entry![0]!.response!.outcome!.issue![0]!;
      assert.equal(issue.code, 'not-found');
      assert.match(issue.details!.text!, new RegExp(`^POST /fhir/R4 entry 0: Encounter\\.subject "Patient/${theirs}" is neither`));
      const stored = await withTenant(database.db, b.system, (s) => s.tx.selectFrom('encounter').select('patient_id').execute());
      assert.deepEqual(stored, [{ patient_id: ours }]);
      assert.deepEqual(await snapshot(a), beforeA);
    });

    test("an Encounter naming the clinic's own Patient and Practitioner by Rapport id imports and shows on the patient's timeline", async () => {
      const a = await fhirTenant(app, database);
      const b = await fhirTenant(app, database);
      const clinicA = await createClinic(database, a.tenant.id, { patients: 0 });
      const clinicB = await createClinic(database, b.tenant.id, { patients: 0 });
      const patientId = await createPatient(b, 'Borg');

      const tx = bundle('transaction', [
        encounter(uuid(21), `Patient/${patientId}`, { participant: [{ individual: { reference: `Practitioner/${clinicB.practitionerIds[0]}` } }] }),
        // An absolute reference to this server, and a versioned one, name the same patient.
        immunization(uuid(22), `http://localhost:80/fhir/R4/Patient/${patientId}/_history/1`, `urn:uuid:${uuid(21)}`),
        // An optional reference to another clinic's practitioner is not followed: left empty, as for any unknown one.
        encounter(uuid(23), `Patient/${patientId}`, { participant: [{ individual: { reference: `Practitioner/${clinicA.practitionerIds[0]}` } }], period: { start: '2026-09-01T09:00:00Z' } }),
      ]);
      const res = await b.call<Bundle>('POST', '/fhir/R4', { body: tx });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.type, 'transaction-response');
      assert.deepEqual(res.body.entry!.map((e) => e.response!.status), ['201 Created', '201 Created', '201 Created']);

      const encounters = await withTenant(database.db, b.system, (s) => s.tx.selectFrom('encounter').select(['id', 'patient_id', 'practitioner_id', 'started_at']).orderBy('started_at', 'desc').execute());
      assert.deepEqual(
        encounters.map((e) => [e.patient_id, e.practitioner_id]),
        [
          [patientId, clinicB.practitionerIds[0]],
          [patientId, null],
        ],
      );
      const shots = await withTenant(database.db, b.system, (s) => s.tx.selectFrom('immunization').select(['patient_id', 'encounter_id']).execute());
      assert.deepEqual(shots, [{ patient_id: patientId, encounter_id: encounters[0]!.id }]);

      const timeline = await app.inject({ method: 'GET', url: `/api/patients/${patientId}/timeline`, headers: { authorization: `Bearer ${b.token}` } });
      assert.equal(timeline.statusCode, 200, timeline.body);
      const items = (JSON.parse(timeline.body) as { items: Array<{ kind: string; summary: string; subject: { type: string; id: string } | null }> }).items;
      const visit = items.find((i) => i.kind === 'encounter.imported' && i.subject?.id === encounters[0]!.id);
      assert.ok(visit, JSON.stringify(items));
      assert.equal(visit.summary, 'Visit: Annual check-up');
      assert.ok(items.some((i) => i.kind === 'immunization.imported'), JSON.stringify(items));

      // Posted again, the same bundle changes nothing.
      const again = await b.call<Bundle>('POST', '/fhir/R4', { body: tx });
      assert.deepEqual(again.body.entry!.map((e) => e.response!.status), ['200 OK', '200 OK', '200 OK']);
      assert.equal(await rows(b, 'encounter'), 2);
      assert.equal(await rows(a, 'encounter'), 0);
    });
  });
}
