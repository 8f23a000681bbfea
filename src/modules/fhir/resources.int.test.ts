import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Appointment, Bundle, Communication, Consent, OperationOutcome, Organization, Patient, Schedule, Slot, Task } from '@medplum/fhirtypes';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import { fhirTenant, newPatient } from './fhir-test-helpers.ts';
import { SERVICE_SYSTEM } from './resources/location.ts';
import { CHANNEL_SYSTEM, PURPOSE_SYSTEM } from './resources/communication.ts';

for (const engine of engines()) {
  describe(`FHIR R4 API: scheduling, messages, consent, tasks, $everything (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    // A Sunday; the test clinic works Monday to Friday 09:00-17:00 in New York.
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    async function setUp() {
      const t = await fhirTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id, { practitioners: 2, patients: 2 });
      const appointment = (patientId: string, start: string, extra: Partial<Appointment> = {}): Appointment => ({
        resourceType: 'Appointment',
        status: 'booked',
        start,
        end: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
        participant: [
          { actor: { reference: `Patient/${patientId}` }, status: 'accepted' },
          { actor: { reference: `Practitioner/${clinic.practitionerIds[0]}` }, status: 'accepted' },
          { actor: { reference: `Location/${clinic.locationId}` }, status: 'accepted' },
        ],
        serviceType: [{ coding: [{ system: SERVICE_SYSTEM, code: clinic.serviceId }] }],
        ...extra,
      });
      return { t, clinic, appointment };
    }

    test('Appointment: books through the booking rules, reads, searches, reschedules and cancels with versions', async () => {
      const { t, clinic, appointment } = await setUp();
      const [p1, p2] = clinic.patientIds as [string, string];
      const created = await t.call<Appointment>('POST', '/fhir/R4/Appointment', { body: appointment(p1, '2026-11-23T15:00:00Z') });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id!;
      assert.equal(created.body.status, 'booked');
      assert.equal(created.body.end, '2026-11-23T15:30:00.000Z');
      assert.equal(created.body.meta?.versionId, '1');
      assert.ok(created.body.participant.some((p) => p.actor?.reference === `HealthcareService/${clinic.serviceId}`));

      // The same time for the same practitioner is taken: the booking rules answer 409.
      const clash = await t.call<OperationOutcome>('POST', '/fhir/R4/Appointment', { body: appointment(p2, '2026-11-23T15:00:00Z') });
      assert.equal(clash.status, 409, JSON.stringify(clash.body));
      // Outside working hours (a Sunday) is refused too.
      const sunday = await t.call<OperationOutcome>('POST', '/fhir/R4/Appointment', { body: appointment(p2, '2026-11-29T15:00:00Z') });
      assert.ok(sunday.status === 409 || sunday.status === 422, `${sunday.status} ${JSON.stringify(sunday.body)}`);
      assert.equal(await t.count('appointment'), 1);

      await t.call('POST', '/fhir/R4/Appointment', { body: appointment(p2, '2026-11-24T15:00:00Z') });
      const ids = async (q: string) => ((await t.call<Bundle<Appointment>>('GET', `/fhir/R4/Appointment?${q}`)).body.entry ?? []).map((e) => e.resource!.id);
      assert.deepEqual(await ids(`patient=Patient/${p1}`), [id]);
      assert.equal((await ids(`practitioner=${clinic.practitionerIds[0]}`)).length, 2);
      assert.deepEqual(await ids('date=2026-11-23'), [id]);
      assert.equal((await ids('date=ge2026-11-23&date=le2026-11-24')).length, 2);
      assert.equal((await ids('date=gt2026-11-23')).length, 1);
      assert.deepEqual(await ids('status=booked&_sort=-date&_count=1').then((x) => x.length), 1);
      assert.equal((await ids('status=cancelled')).length, 0);

      const moved = await t.call<Appointment>('PUT', `/fhir/R4/Appointment/${id}`, {
        body: { ...created.body, start: '2026-11-23T16:00:00Z', end: '2026-11-23T16:30:00Z' },
        headers: { 'if-match': 'W/"1"' },
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.start, '2026-11-23T16:00:00.000Z');
      assert.equal(moved.body.meta?.versionId, '2');
      const stale = await t.call<OperationOutcome>('PUT', `/fhir/R4/Appointment/${id}`, { body: { ...moved.body, status: 'cancelled' }, headers: { 'if-match': 'W/"1"' } });
      assert.equal(stale.status, 412);
      const cancelled = await t.call<Appointment>('PUT', `/fhir/R4/Appointment/${id}`, {
        body: { ...moved.body, status: 'cancelled', cancelationReason: { text: 'Patient called' } },
        headers: { 'if-match': 'W/"2"' },
      });
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
      assert.equal(cancelled.body.status, 'cancelled');
      assert.equal(cancelled.body.cancelationReason?.text, 'Patient called');
      const back = await t.call<OperationOutcome>('PUT', `/fhir/R4/Appointment/${id}`, { body: { ...cancelled.body, status: 'booked', cancelationReason: undefined } });
      assert.equal(back.status, 409, JSON.stringify(back.body));
      const proposed = await t.call<OperationOutcome>('POST', '/fhir/R4/Appointment', { body: appointment(p1, '2026-11-25T15:00:00Z', { status: 'proposed' }) });
      assert.equal(proposed.status, 422);
    });

    test('Appointment: a reference to another tenant\'s or a missing patient is 422 and nothing is stored', async () => {
      const { t, appointment } = await setUp();
      const other = await fhirTenant(app, database);
      const theirs = await other.call<Patient>('POST', '/fhir/R4/Patient', { body: newPatient('Elsewhere', 'Eve') });
      const res = await t.call<OperationOutcome>('POST', '/fhir/R4/Appointment', { body: appointment(theirs.body.id!, '2026-11-23T15:00:00Z') });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      const malformed = await t.call<OperationOutcome>('POST', '/fhir/R4/Appointment', { body: appointment('not-an-id', '2026-11-23T15:00:00Z') });
      assert.equal(malformed.status, 422);
      assert.equal(await t.count('appointment'), 0);
      assert.equal((await t.call<Bundle>('GET', `/fhir/R4/Appointment?patient=${theirs.body.id}`)).body.entry?.length, 0);
    });

    test('directory: Practitioner, Organization (the clinic and its directory), Location, HealthcareService, Schedule and Slot', async () => {
      const { t, clinic } = await setUp();
      const practitioners = await t.call<Bundle>('GET', '/fhir/R4/Practitioner?name=test1');
      assert.equal(practitioners.body.entry?.length, 1);
      const pr = await t.call('GET', `/fhir/R4/Practitioner/${clinic.practitionerIds[0]}`);
      assert.equal(pr.status, 200);

      await withTenant(database.db, t.system, (s) => s.tx.insertInto('organization').values({ tenant_id: t.tenant.id, name: 'Springfield General Hospital', kind: 'prov' }).execute());
      const orgs = await t.call<Bundle<Organization>>('GET', '/fhir/R4/Organization');
      assert.deepEqual(orgs.body.entry!.map((e) => e.resource!.name), [t.tenant.name, 'Springfield General Hospital']);
      assert.equal((await t.call<Organization>('GET', `/fhir/R4/Organization/${t.tenant.id}`)).body.name, t.tenant.name);
      assert.equal((await t.call<Bundle>('GET', '/fhir/R4/Organization?name=springfield')).body.entry?.length, 1);

      assert.equal((await t.call('GET', `/fhir/R4/Location/${clinic.locationId}`)).status, 200);
      const services = await t.call<Bundle>('GET', `/fhir/R4/HealthcareService?location=Location/${clinic.locationId}`);
      assert.equal(services.body.entry?.length, 1);

      const schedules = await t.call<Bundle<Schedule>>('GET', `/fhir/R4/Schedule?actor=Practitioner/${clinic.practitionerIds[0]}`);
      assert.equal(schedules.body.entry?.length, 1);
      const schedule = schedules.body.entry![0]!.resource!;
      assert.equal((await t.call<Schedule>('GET', `/fhir/R4/Schedule/${schedule.id}`)).body.id, schedule.id);
      const slots = await t.call<Bundle<Slot>>('GET', `/fhir/R4/Slot?schedule=Schedule/${schedule.id}&start=ge2026-11-23T00:00:00Z&start=le2026-11-23T23:59:59Z&_count=100`);
      assert.equal(slots.status, 200, JSON.stringify(slots.body));
      // 09:00-17:00 New York in 30-minute visits: 16 slots, the first at 14:00Z.
      assert.equal(slots.body.entry?.length, 16);
      assert.equal(slots.body.entry![0]!.resource!.start, '2026-11-23T14:00:00.000Z');
      assert.equal(slots.body.entry![0]!.resource!.status, 'free');
      // Booking one takes it out of the free slots.
      const { appointment } = { appointment: (start: string): Appointment => ({
        resourceType: 'Appointment', status: 'booked', start, end: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
        participant: [
          { actor: { reference: `Patient/${clinic.patientIds[0]}` }, status: 'accepted' },
          { actor: { reference: `Practitioner/${clinic.practitionerIds[0]}` }, status: 'accepted' },
          { actor: { reference: `Location/${clinic.locationId}` }, status: 'accepted' },
          { actor: { reference: `HealthcareService/${clinic.serviceId}` }, status: 'accepted' },
        ],
      }) };
      assert.equal((await t.call('POST', '/fhir/R4/Appointment', { body: appointment('2026-11-23T14:00:00Z') })).status, 201);
      const after = await t.call<Bundle<Slot>>('GET', `/fhir/R4/Slot?schedule=${schedule.id}&start=ge2026-11-23T00:00:00Z&start=le2026-11-23T23:59:59Z&service=HealthcareService/${clinic.serviceId}&_count=100`);
      assert.equal(after.body.entry?.length, 15);
      assert.equal((await t.call('GET', '/fhir/R4/Slot')).status, 400);
      // A slot found by a search reads back while it is free; once booked (or with an id naming nothing) it is 404.
      const free = after.body.entry![0]!.resource!;
      const read = await t.call<Slot>('GET', `/fhir/R4/Slot/${free.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, free);
      assert.equal((await t.call('POST', '/fhir/R4/Appointment', { body: appointment(free.start) })).status, 201);
      assert.equal((await t.call('GET', `/fhir/R4/Slot/${free.id}`)).status, 404);
      assert.equal((await t.call('GET', `/fhir/R4/Slot/${schedule.id}`)).status, 404);
    });

    test('Communication reads the message table; Consent records to the ledger and reads it back', async () => {
      const { t, clinic } = await setUp();
      const patientId = clinic.patientIds[0]!;
      await withTenant(database.db, t.system, (s) =>
        s.tx
          .insertInto('message')
          .values({ tenant_id: t.tenant.id, patient_id: patientId, channel: 'sms', purpose: 'care', status: 'sent', idempotency_key: 'k1', due_at: clock(), sent_at: clock(), body_text: 'See you Monday', created_by_type: 'system' })
          .execute(),
      );
      const comms = await t.call<Bundle<Communication>>('GET', `/fhir/R4/Communication?patient=Patient/${patientId}`);
      assert.equal(comms.body.entry?.length, 1);
      const c = comms.body.entry![0]!.resource!;
      assert.equal(c.status, 'completed');
      assert.equal(c.payload?.[0]?.contentString, 'See you Monday');
      assert.equal((await t.call('GET', `/fhir/R4/Communication/${c.id}`)).status, 200);

      const consent = (type: 'permit' | 'deny'): Consent => ({
        resourceType: 'Consent',
        status: 'active',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { reference: `Patient/${patientId}` },
        policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: type === 'permit' ? 'OPTIN' : 'OPTOUT' }] },
        provision: { type, action: [{ coding: [{ system: CHANNEL_SYSTEM, code: 'email' }] }], purpose: [{ system: PURPOSE_SYSTEM, code: 'marketing' }] },
      });
      const granted = await t.call<Consent>('POST', '/fhir/R4/Consent', { body: consent('permit') });
      assert.equal(granted.status, 201, JSON.stringify(granted.body));
      clock.advance(1000);
      const withdrawn = await t.call<Consent>('POST', '/fhir/R4/Consent', { body: consent('deny') });
      assert.equal(withdrawn.status, 201);
      assert.equal(withdrawn.body.provision?.type, 'deny');
      assert.equal(await t.count('consent_event'), 2);
      const ledger = await t.call<Bundle<Consent>>('GET', `/fhir/R4/Consent?patient=${patientId}`);
      assert.deepEqual(ledger.body.entry!.map((e) => `${e.resource!.provision!.type} ${e.resource!.status}`), ['deny active', 'permit inactive']);
      const noChannel = await t.call<OperationOutcome>('POST', '/fhir/R4/Consent', { body: { ...consent('permit'), provision: { type: 'permit' } } });
      assert.equal(noChannel.status, 422);
      assert.equal(await t.count('consent_event'), 2);
    });

    test('Task: create, read, search, update with If-Match and 412', async () => {
      const { t, clinic } = await setUp();
      const patientId = clinic.patientIds[0]!;
      const created = await t.call<Task>('POST', '/fhir/R4/Task', {
        body: { resourceType: 'Task', status: 'requested', intent: 'order', priority: 'urgent', description: 'Call back about results', for: { reference: `Patient/${patientId}` }, restriction: { period: { end: '2026-11-25T17:00:00Z' } } },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.meta?.versionId, '1');
      assert.equal(created.body.priority, 'urgent');
      const id = created.body.id!;
      assert.equal((await t.call<Bundle>('GET', `/fhir/R4/Task?patient=${patientId}&status=requested`)).body.entry?.length, 1);
      const done = await t.call<Task>('PUT', `/fhir/R4/Task/${id}`, { body: { ...created.body, status: 'completed' }, headers: { 'if-match': 'W/"1"' } });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.status, 'completed');
      assert.equal(done.body.meta?.versionId, '2');
      assert.equal((await t.call('PUT', `/fhir/R4/Task/${id}`, { body: { ...done.body, status: 'requested' }, headers: { 'if-match': 'W/"1"' } })).status, 412);
      assert.equal((await t.call<Bundle>('GET', '/fhir/R4/Task?status=completed')).body.entry?.length, 1);
      const other = await fhirTenant(app, database);
      const noPatient = await other.call<OperationOutcome>('POST', '/fhir/R4/Task', { body: { ...created.body, id: undefined, meta: undefined } });
      assert.equal(noPatient.status, 422);
      assert.equal(await other.count('task'), 0);
    });

    test('Patient/$everything: the patient, appointments, messages, consents, tasks and records from other systems', async () => {
      const { t, clinic, appointment } = await setUp();
      const patientId = clinic.patientIds[0]!;
      await t.call('POST', '/fhir/R4/Appointment', { body: appointment(patientId, '2026-11-23T15:00:00Z') });
      await t.call('POST', '/fhir/R4/Task', { body: { resourceType: 'Task', status: 'requested', intent: 'order', description: 'Recall', for: { reference: `Patient/${patientId}` } } });
      await withTenant(database.db, t.system, async (s) => {
        const enc = await s.tx
          .insertInto('encounter')
          .values({ tenant_id: t.tenant.id, patient_id: patientId, status: 'finished', class_code: 'AMB', type_display: 'Check-up', started_at: '2025-01-10T10:00:00Z', ended_at: '2025-01-10T10:30:00Z', source: 'fhir' })
          .returning('id')
          .executeTakeFirstOrThrow();
        await s.tx.insertInto('immunization').values({ tenant_id: t.tenant.id, patient_id: patientId, encounter_id: enc.id, status: 'completed', vaccine_display: 'Influenza', vaccine_code: '140', vaccine_system: 'http://hl7.org/fhir/sid/cvx', occurred_at: '2025-01-10T10:10:00Z', source: 'fhir' }).execute();
        await s.tx.insertInto('condition').values({ tenant_id: t.tenant.id, patient_id: patientId, clinical_status: 'active', display: 'Diabetes', code: '44054006', code_system: 'http://snomed.info/sct', source: 'fhir' }).execute();
        await s.tx.insertInto('patient_medication').values({ tenant_id: t.tenant.id, patient_id: patientId, status: 'active', display: 'Metformin', source: 'fhir' }).execute();
        await s.tx.insertInto('care_plan').values({ tenant_id: t.tenant.id, patient_id: patientId, status: 'active', title: 'Diabetes self-management', activities: JSON.stringify([{ code: null, display: 'Diet', status: 'in-progress' }]), source: 'fhir' }).execute();
        await s.tx.insertInto('claim').values({ tenant_id: t.tenant.id, patient_id: patientId, status: 'active', total_cents: 12500, payer: 'Acme Health', source: 'fhir' }).execute();
      });
      const res = await t.call<Bundle>('GET', `/fhir/R4/Patient/${patientId}/$everything`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const types = res.body.entry!.map((e) => e.resource!.resourceType);
      assert.equal(types[0], 'Patient');
      for (const type of ['Appointment', 'Task', 'Encounter', 'Immunization', 'Condition', 'MedicationRequest', 'CarePlan', 'Claim']) assert.ok(types.includes(type as never), type);
      assert.ok(!res.body.entry!.some((e) => e.resource!.resourceType === 'Patient' && e.resource!.id !== patientId));
      const audit = (await t.audit()).filter((a) => a.action === 'fhir.everything');
      assert.equal(audit[0]?.patient_id, patientId);
    });
  });
}
