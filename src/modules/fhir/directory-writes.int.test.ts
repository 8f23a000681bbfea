import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Appointment, Bundle, Consent, HealthcareService, Location, OperationOutcome, Organization, Practitioner, Task } from '@medplum/fhirtypes';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import { fhirTenant } from './fhir-test-helpers.ts';
import { CHANNEL_SYSTEM, PURPOSE_SYSTEM } from './resources/communication.ts';
import { DURATION_URL, MODE_URL } from './resources/healthcare-service.ts';
import { SERVICE_SYSTEM, TIMEZONE_URL } from './resources/location.ts';

type Caller = Awaited<ReturnType<typeof fhirTenant>>;
const NPI = 'http://hl7.org/fhir/sid/us-npi';

const location = (name: string, extra: Partial<Location> = {}): Location => ({
  resourceType: 'Location',
  name,
  status: 'active',
  telecom: [{ system: 'phone', value: '(413) 555-0142' }],
  address: { line: ['5 River Road'], city: 'Springfield', postalCode: '01103' },
  extension: [{ url: TIMEZONE_URL, valueCode: 'America/Chicago' }],
  ...extra,
});
const practitioner = (family: string, given: string, extra: Partial<Practitioner> = {}): Practitioner => ({
  resourceType: 'Practitioner',
  name: [{ use: 'official', family, given: [given], prefix: ['Dr.'] }],
  ...extra,
});
const service = (name: string, locationId: string, extra: Partial<HealthcareService> = {}): HealthcareService => ({
  resourceType: 'HealthcareService',
  name,
  location: [{ reference: `Location/${locationId}` }],
  extension: [{ url: DURATION_URL, valueDuration: { value: 20, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' } }],
  ...extra,
});
const issueText = (o: OperationOutcome) => o.issue.map((i) => `${i.details?.text ?? ''} [${i.expression?.join(',') ?? ''}]`).join(' | ');

for (const engine of engines()) {
  describe(`FHIR R4 API: directory writes (${engine})`, () => {
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

    const rowCount = (t: Caller, table: 'location' | 'practitioner' | 'service' | 'organization') =>
      withTenant(database.db, t.system, async (s) => Number((await s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
    const actionsFor = async (t: Caller, id: string) => (await t.audit()).filter((a) => a.entity_id === id && a.outcome === 'success').map((a) => a.action);

    test('Location: create, read back, search, update with If-Match, a stale one 412; the Clinic setup API sees it; audited', async () => {
      const t = await fhirTenant(app, database);
      const created = await t.call<Location>('POST', '/fhir/R4/Location', { body: location('Riverside Clinic', { identifier: [{ system: 'urn:example:site', value: 'RS-1' }] }) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id!;
      const v1 = created.body.meta!.versionId!;
      assert.equal(created.headers.location, `http://localhost:80/fhir/R4/Location/${id}`);
      assert.equal(created.headers.etag, `W/"${v1}"`);
      assert.deepEqual(created.body.telecom, [{ system: 'phone', value: '+14135550142' }]);
      assert.deepEqual(created.body.identifier, [{ system: 'urn:example:site', value: 'RS-1' }]);
      assert.deepEqual(created.body.extension, [{ url: TIMEZONE_URL, valueCode: 'America/Chicago' }]);
      assert.equal(created.body.managingOrganization?.reference, `Organization/${t.tenant.id}`);

      const read = await t.call<Location>('GET', `/fhir/R4/Location/${id}`);
      assert.deepEqual(read.body, created.body);
      assert.equal(read.headers.etag, `W/"${v1}"`);
      const ids = async (q: string) => ((await t.call<Bundle>('GET', `/fhir/R4/Location?${q}`)).body.entry ?? []).map((e) => e.resource!.id);
      assert.deepEqual(await ids('name=river'), [id]);
      assert.deepEqual(await ids('identifier=urn:example:site|RS-1'), [id]);
      assert.deepEqual(await ids('identifier=RS-1'), [id]);
      assert.deepEqual(await ids('identifier=urn:other|RS-1'), []);
      const setup = await t.call<{ items: Array<{ id: string; timeZone: string; phone: string }> }>('GET', '/api/scheduling/locations');
      assert.deepEqual(setup.body.items.filter((l) => l.id === id).map((l) => [l.timeZone, l.phone]), [['America/Chicago', '+14135550142']]);

      const changed = { ...read.body, name: 'Riverside Family Clinic', status: 'inactive' as const, extension: [{ url: TIMEZONE_URL, valueCode: 'America/Denver' }] };
      const updated = await t.call<Location>('PUT', `/fhir/R4/Location/${id}`, { body: changed, headers: { 'if-match': `W/"${v1}"` } });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.name, 'Riverside Family Clinic');
      assert.equal(updated.body.status, 'inactive');
      assert.notEqual(updated.body.meta!.versionId, v1);
      assert.equal(updated.headers.etag, `W/"${updated.body.meta!.versionId}"`);
      const stale = await t.call<OperationOutcome>('PUT', `/fhir/R4/Location/${id}`, { body: { ...changed, name: 'Lost update' }, headers: { 'if-match': `W/"${v1}"` } });
      assert.equal(stale.status, 412, JSON.stringify(stale.body));
      assert.equal(stale.body.resourceType, 'OperationOutcome');
      assert.equal((await t.call<Location>('GET', `/fhir/R4/Location/${id}`)).body.name, 'Riverside Family Clinic');

      assert.deepEqual(await actionsFor(t, id), ['scheduling.location.create', 'fhir.create', 'fhir.read', 'scheduling.location.update', 'fhir.update', 'fhir.read']);
    });

    test('Practitioner: create with an NPI, read back, search by name and identifier, update with If-Match and 412; audited', async () => {
      const t = await fhirTenant(app, database);
      const body = practitioner('Okonkwo', 'Ada', {
        identifier: [{ system: NPI, value: '1234567893' }],
        telecom: [{ system: 'email', value: 'Ada.Okonkwo@Example.org' }, { system: 'phone', value: '413-555-0150' }],
        qualification: [{ code: { text: 'Dermatology' } }],
      });
      const created = await t.call<Practitioner>('POST', '/fhir/R4/Practitioner', { body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id!;
      assert.deepEqual(created.body.name, [{ use: 'official', family: 'Okonkwo', given: ['Ada'], prefix: ['Dr.'] }]);
      assert.deepEqual(created.body.telecom?.map((c) => c.value), ['+14135550150', 'ada.okonkwo@example.org']);
      assert.deepEqual(created.body.identifier, [{ system: NPI, value: '1234567893' }]);
      assert.equal(created.body.qualification?.[0]?.code.text, 'Dermatology');
      assert.deepEqual((await t.call<Practitioner>('GET', `/fhir/R4/Practitioner/${id}`)).body, created.body);
      const ids = async (q: string) => ((await t.call<Bundle>('GET', `/fhir/R4/Practitioner?${q}`)).body.entry ?? []).map((e) => e.resource!.id);
      assert.deepEqual(await ids('name=okon'), [id]);
      assert.deepEqual(await ids(`identifier=${NPI}|1234567893`), [id]);
      const setup = await t.call<{ items: Array<{ id: string; specialty: string }> }>('GET', '/api/scheduling/practitioners');
      assert.deepEqual(setup.body.items.map((p) => [p.id, p.specialty]), [[id, 'Dermatology']]);

      const v1 = created.body.meta!.versionId!;
      const updated = await t.call<Practitioner>('PUT', `/fhir/R4/Practitioner/${id}`, {
        body: { ...created.body, active: false, qualification: [{ code: { coding: [{ system: 'http://snomed.info/sct', code: '394582007', display: 'Dermatology (qualifier value)' }] } }] },
        headers: { 'if-match': `W/"${v1}"` },
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.active, false);
      assert.equal(updated.body.qualification?.[0]?.code.text, 'Dermatology (qualifier value)');
      assert.notEqual(updated.body.meta!.versionId, v1);
      const stale = await t.call('PUT', `/fhir/R4/Practitioner/${id}`, { body: { ...created.body, active: true }, headers: { 'if-match': `W/"${v1}"` } });
      assert.equal(stale.status, 412);
      assert.equal((await t.call<Practitioner>('GET', `/fhir/R4/Practitioner/${id}`)).body.active, false);
      assert.deepEqual(await actionsFor(t, id), ['scheduling.practitioner.create', 'fhir.create', 'fhir.read', 'scheduling.practitioner.update', 'fhir.update', 'fhir.read']);
    });

    test('HealthcareService: create at a location, read by id, search, update with If-Match and 412; audited', async () => {
      const t = await fhirTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id, { patients: 0 });
      // Reading the service the clinic already had, by id.
      const existing = await t.call<HealthcareService>('GET', `/fhir/R4/HealthcareService/${clinic.serviceId}`);
      assert.equal(existing.status, 200);
      assert.equal(existing.body.name, 'Follow-up visit');
      assert.deepEqual(existing.body.type?.[0]?.coding?.[0]?.code, clinic.serviceId);
      assert.equal((await t.call('GET', '/fhir/R4/HealthcareService/00000000-0000-4000-8000-000000000000')).status, 404);

      const created = await t.call<HealthcareService>('POST', '/fhir/R4/HealthcareService', { body: service('Skin check', clinic.locationId, { comment: 'Full-body mole check' }) });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id!;
      assert.deepEqual(created.body.location, [{ reference: `Location/${clinic.locationId}` }]);
      assert.equal(created.body.extraDetails, '20 minutes');
      assert.equal(created.body.comment, 'Full-body mole check');
      assert.equal(created.body.extension?.find((e) => e.url === MODE_URL)?.valueCode, 'in_person');
      assert.deepEqual((await t.call<HealthcareService>('GET', `/fhir/R4/HealthcareService/${id}`)).body, created.body);
      const found = await t.call<Bundle>('GET', `/fhir/R4/HealthcareService?location=Location/${clinic.locationId}&name=skin`);
      assert.deepEqual(found.body.entry?.map((e) => e.resource!.id), [id]);

      const v1 = created.body.meta!.versionId!;
      const extension = [
        { url: DURATION_URL, valueDuration: { value: 45, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' } },
        { url: MODE_URL, valueCode: 'video' },
      ];
      const updated = await t.call<HealthcareService>('PUT', `/fhir/R4/HealthcareService/${id}`, { body: { ...created.body, extension }, headers: { 'if-match': `W/"${v1}"` } });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.extraDetails, '45 minutes, by video');
      // Slots of the service are now 45 minutes long: the booking rules read the same row.
      const setup = await t.call<{ items: Array<{ id: string; durationMinutes: number; mode: string }> }>('GET', '/api/scheduling/services');
      assert.deepEqual(setup.body.items.filter((s) => s.id === id).map((s) => [s.durationMinutes, s.mode]), [[45, 'video']]);
      const stale = await t.call('PUT', `/fhir/R4/HealthcareService/${id}`, { body: { ...created.body, name: 'Lost' }, headers: { 'if-match': `W/"${v1}"` } });
      assert.equal(stale.status, 412);
      assert.deepEqual(await actionsFor(t, id), ['scheduling.service.create', 'fhir.create', 'fhir.read', 'scheduling.service.update', 'fhir.update']);
    });

    test('Organization: create in the directory, versions 1 then 2, a stale If-Match 412; the clinic itself is read-only; audited', async () => {
      const t = await fhirTenant(app, database);
      const body: Organization = {
        resourceType: 'Organization',
        name: 'Springfield General Hospital',
        identifier: [{ system: 'urn:example:registry', value: 'SGH' }],
        type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov' }] }],
        telecom: [{ system: 'phone', value: '413 555 0199' }],
        address: [{ line: ['1 Hospital Way'], city: 'Springfield', state: 'MA', postalCode: '01103', country: 'US' }],
      };
      const created = await t.call<Organization>('POST', '/fhir/R4/Organization', { body });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id!;
      assert.equal(created.body.meta?.versionId, '1');
      assert.equal(created.headers.etag, 'W/"1"');
      assert.deepEqual(created.body.address, body.address);
      assert.deepEqual(created.body.identifier, body.identifier);
      const ids = async (q: string) => ((await t.call<Bundle>('GET', `/fhir/R4/Organization?${q}`)).body.entry ?? []).map((e) => e.resource!.id);
      assert.deepEqual(await ids('identifier=urn:example:registry|SGH'), [id]);
      assert.deepEqual(await ids('name=springfield'), [id]);
      assert.deepEqual(await ids(`identifier=urn:rapport:tenant|${t.tenant.slug}`), [t.tenant.id]);

      const updated = await t.call<Organization>('PUT', `/fhir/R4/Organization/${id}`, { body: { ...created.body, name: 'Springfield General' }, headers: { 'if-match': 'W/"1"' } });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.meta?.versionId, '2');
      assert.equal(updated.body.name, 'Springfield General');
      assert.equal((await t.call('PUT', `/fhir/R4/Organization/${id}`, { body: { ...created.body, name: 'Lost' }, headers: { 'if-match': 'W/"1"' } })).status, 412);

      const clinic = (await t.call<Organization>('GET', `/fhir/R4/Organization/${t.tenant.id}`)).body;
      const own = await t.call<OperationOutcome>('PUT', `/fhir/R4/Organization/${t.tenant.id}`, { body: { ...clinic, name: 'Renamed' } });
      assert.equal(own.status, 422);
      assert.deepEqual(own.body.issue[0]!.expression, ['Organization.id']);
      assert.deepEqual(await actionsFor(t, id), ['directory.organization.create', 'fhir.create', 'directory.organization.update', 'fhir.update']);
    });

    test('conditional create: none 201, one 200 with it, several 412, for Practitioner, Location, HealthcareService, Organization', async () => {
      const t = await fhirTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id, { patients: 0 });
      const conditional = async (type: string, body: object, condition: string) => t.call<{ id: string }>('POST', `/fhir/R4/${type}`, { body, headers: { 'if-none-exist': condition } });

      const npi = practitioner('Lindqvist', 'Sven', { identifier: [{ system: NPI, value: '1999999984' }] });
      const first = await conditional('Practitioner', npi, `identifier=${NPI}|1999999984`);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const again = await conditional('Practitioner', npi, `identifier=${NPI}|1999999984`);
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      await t.call('POST', '/fhir/R4/Practitioner', { body: practitioner('Lindqvist', 'Siri') });
      assert.equal((await conditional('Practitioner', practitioner('Lindqvist', 'Saga'), 'name=lindqvist')).status, 412);
      assert.equal(await rowCount(t, 'practitioner'), 3); // the clinic's own, Sven and Siri

      const loc = await conditional('Location', location('Hilltop'), 'name:exact=Hilltop');
      assert.equal(loc.status, 201);
      assert.equal((await conditional('Location', location('Hilltop'), 'name:exact=Hilltop')).body.id, loc.body.id);
      assert.equal(await rowCount(t, 'location'), 2);

      const svc = await conditional('HealthcareService', service('Eye test', clinic.locationId), 'name:exact=Eye test');
      assert.equal(svc.status, 201);
      assert.equal((await conditional('HealthcareService', service('Eye test', clinic.locationId), 'name:exact=Eye test')).status, 200);
      assert.equal(await rowCount(t, 'service'), 2);

      const org = { resourceType: 'Organization', name: 'Valley Labs', identifier: [{ system: 'urn:example:registry', value: 'VL' }] };
      assert.equal((await conditional('Organization', org, 'identifier=urn:example:registry|VL')).status, 201);
      assert.equal((await conditional('Organization', org, 'identifier=urn:example:registry|VL')).status, 200);
      assert.equal(await rowCount(t, 'organization'), 1);
      // An identifier naming another row already is a conflict, not a second owner of it.
      const taken = await t.call<OperationOutcome>('POST', '/fhir/R4/Organization', { body: { ...org, name: 'Valley Labs West' } });
      assert.equal(taken.status, 409, JSON.stringify(taken.body));
      assert.equal(await rowCount(t, 'organization'), 1);
    });

    test('conditional create for Appointment and Task', async () => {
      const t = await fhirTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id, { patients: 1 });
      const patientId = clinic.patientIds[0]!;
      const appointment: Appointment = {
        resourceType: 'Appointment',
        status: 'booked',
        start: '2026-11-23T15:00:00Z',
        end: '2026-11-23T15:30:00Z',
        participant: [
          { actor: { reference: `Patient/${patientId}` }, status: 'accepted' },
          { actor: { reference: `Practitioner/${clinic.practitionerIds[0]}` }, status: 'accepted' },
          { actor: { reference: `Location/${clinic.locationId}` }, status: 'accepted' },
        ],
        serviceType: [{ coding: [{ system: SERVICE_SYSTEM, code: clinic.serviceId }] }],
      };
      const condition = { 'if-none-exist': `patient=Patient/${patientId}&date=2026-11-23T15:00:00Z` };
      const booked = await t.call<Appointment>('POST', '/fhir/R4/Appointment', { body: appointment, headers: condition });
      assert.equal(booked.status, 201, JSON.stringify(booked.body));
      const again = await t.call<Appointment>('POST', '/fhir/R4/Appointment', { body: appointment, headers: condition });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, booked.body.id);
      assert.equal(await t.count('appointment'), 1);

      const task: Task = { resourceType: 'Task', status: 'requested', intent: 'order', description: 'Send the referral letter', for: { reference: `Patient/${patientId}` } };
      const taskCondition = { 'if-none-exist': `patient=${patientId}&status=requested` };
      const made = await t.call<Task>('POST', '/fhir/R4/Task', { body: task, headers: taskCondition });
      assert.equal(made.status, 201);
      assert.equal((await t.call<Task>('POST', '/fhir/R4/Task', { body: task, headers: taskCondition })).body.id, made.body.id);
      await t.call('POST', '/fhir/R4/Task', { body: { ...task, description: 'Book the follow-up' } });
      assert.equal((await t.call('POST', '/fhir/R4/Task', { body: task, headers: taskCondition })).status, 412);
      assert.equal(await t.count('task'), 2);
    });

    test('bad input: wrong resourceType 400, R4-invalid 422, what Rapport needs or refuses 422 naming the element; nothing stored', async () => {
      const t = await fhirTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id, { patients: 0 });
      const refused = async (type: string, body: object, expression: RegExp, status = 422) => {
        const res = await t.call<OperationOutcome>('POST', `/fhir/R4/${type}`, { body });
        assert.equal(res.status, status, `${type}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.resourceType, 'OperationOutcome');
        assert.match(issueText(res.body), expression);
      };
      await refused('Location', practitioner('Wrong', 'Type'), /resourceType/, 400);
      await refused('Location', location('Odd', { status: 'open' as Location['status'] }), /Location\.status/);
      await refused('Practitioner', practitioner('Doe', 'Jane', { birthDate: 'yesterday' }), /Practitioner\.birthDate/);
      await refused('Location', location('No zone', { extension: [] }), /timezone/);
      await refused('Location', location('Mars', { extension: [{ url: TIMEZONE_URL, valueCode: 'Mars/Olympus_Mons' }] }), /Location\.extension\('http:\/\/hl7\.org\/fhir\/StructureDefinition\/timezone'\).*IANA/);
      await refused('Location', location('Bad phone', { telecom: [{ system: 'phone', value: '12' }] }), /Location\.telecom/);
      await refused('Location', location('Hours', { hoursOfOperation: [{ daysOfWeek: ['mon'], openingTime: '09:00:00', closingTime: '17:00:00' }] }), /Location\.hoursOfOperation/);
      await refused('Location', location('Theirs', { managingOrganization: { reference: 'Organization/00000000-0000-4000-8000-000000000000' } }), /Location\.managingOrganization/);
      await refused('Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Onlyfamily' }] }, /Practitioner\.name/);
      await refused('Practitioner', practitioner('Doe', 'Jane', { telecom: [{ system: 'email', value: 'not-an-email' }] }), /Practitioner\.telecom/);
      await refused('Practitioner', practitioner('Doe', 'Jane', { identifier: [{ value: 'no-system' }] }), /Practitioner\.identifier\[0\]/);
      await refused('HealthcareService', { ...service('No length', clinic.locationId), extension: [] }, /service-duration/);
      await refused('HealthcareService', service('Too long', clinic.locationId, { extension: [{ url: DURATION_URL, valueDuration: { value: 2000, code: 'min' } }] }), /service-duration/);
      await refused('HealthcareService', service('Hours', clinic.locationId, { availableTime: [{ daysOfWeek: ['mon'] }] }), /HealthcareService\.availableTime/);
      await refused('HealthcareService', service('Nowhere', '00000000-0000-4000-8000-000000000000'), /HealthcareService\.location\[0\]/);
      await refused('Organization', { resourceType: 'Organization', telecom: [{ system: 'phone', value: '555' }] }, /Organization\.name/);
      await refused('Organization', { resourceType: 'Organization', name: 'X', telecom: [{ system: 'phone', value: '555' }] }, /Organization\.telecom/);
      assert.deepEqual([await rowCount(t, 'location'), await rowCount(t, 'practitioner'), await rowCount(t, 'service'), await rowCount(t, 'organization')], [1, 1, 1, 0]);
    });

    test("another tenant's directory rows are 404 to update and can't be referenced; nothing of theirs changes", async () => {
      const t = await fhirTenant(app, database);
      const other = await fhirTenant(app, database);
      const theirs = await createClinic(database, other.tenant.id, { patients: 0 });
      const theirOrg = await other.call<Organization>('POST', '/fhir/R4/Organization', { body: { resourceType: 'Organization', name: 'Their Lab' } });
      for (const [type, id, body] of [
        ['Location', theirs.locationId, location('Taken over')],
        ['Practitioner', theirs.practitionerIds[0]!, practitioner('Taken', 'Over')],
        ['HealthcareService', theirs.serviceId, service('Taken over', theirs.locationId)],
        ['Organization', theirOrg.body.id!, { resourceType: 'Organization', name: 'Taken over' }],
      ] as const) {
        assert.equal((await t.call('GET', `/fhir/R4/${type}/${id}`)).status, 404, type);
        const res = await t.call<OperationOutcome>('PUT', `/fhir/R4/${type}/${id}`, { body: { ...body, id } });
        assert.equal(res.status, 404, `${type}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.issue[0]!.code, 'not-found');
      }
      // Nor can a service of ours be offered at their location.
      const mine = await createClinic(database, t.tenant.id, { patients: 0 });
      const atTheirs = await t.call<OperationOutcome>('POST', '/fhir/R4/HealthcareService', { body: service('Borrowed room', theirs.locationId) });
      assert.equal(atTheirs.status, 422);
      assert.match(issueText(atTheirs.body), /HealthcareService\.location\[0\]/);
      assert.deepEqual((await t.call<HealthcareService>('GET', `/fhir/R4/HealthcareService/${mine.serviceId}`)).body.location, [{ reference: `Location/${mine.locationId}` }]);
      assert.equal((await other.call<Location>('GET', `/fhir/R4/Location/${theirs.locationId}`)).body.name, 'Clinic America/New_York');
      assert.equal((await other.call<Organization>('GET', `/fhir/R4/Organization/${theirOrg.body.id}`)).body.name, 'Their Lab');
    });

    test('only an admin changes the directory: a front-desk token gets 403 OperationOutcome, through a Bundle too, and still reads', async () => {
      const admin = await fhirTenant(app, database);
      await createClinic(database, admin.tenant.id, { patients: 0 });
      const desk = await fhirTenant(app, database, 'front_desk');
      const deskClinic = await createClinic(database, desk.tenant.id, { patients: 0 });
      for (const [type, body] of [
        ['Location', location('Desk')],
        ['Practitioner', practitioner('Desk', 'Dana')],
        ['HealthcareService', service('Desk', deskClinic.locationId)],
        ['Organization', { resourceType: 'Organization', name: 'Desk Org' }],
      ] as const) {
        const res = await desk.call<OperationOutcome>('POST', `/fhir/R4/${type}`, { body });
        assert.equal(res.status, 403, type);
        assert.equal(res.body.issue[0]!.code, 'forbidden');
      }
      const put = await desk.call<OperationOutcome>('PUT', `/fhir/R4/Location/${deskClinic.locationId}`, { body: { ...location('Desk'), id: deskClinic.locationId } });
      assert.equal(put.status, 403);
      assert.equal((await desk.call('GET', `/fhir/R4/Location/${deskClinic.locationId}`)).status, 200);
      // A batch entry reaches the module another way; it refuses as well.
      const batch = await desk.call<Bundle>('POST', '/fhir/R4', { body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: location('Via bundle'), request: { method: 'POST', url: 'Location' } }] } });
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      assert.equal(batch.body.entry?.[0]?.response?.status, '403 Forbidden');
      assert.equal(await rowCount(desk, 'location'), 1);
      // The admin's batch creates it, through the same module.
      const adminBatch = await admin.call<Bundle>('POST', '/fhir/R4', { body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: location('Via bundle'), request: { method: 'POST', url: 'Location' } }] } });
      assert.equal(adminBatch.body.entry?.[0]?.response?.status, '201 Created', JSON.stringify(adminBatch.body));
      assert.equal(await rowCount(admin, 'location'), 2);
    });

    test('reads by id: Consent and Task, and 404 for an unknown id', async () => {
      const t = await fhirTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id, { patients: 1 });
      const patientId = clinic.patientIds[0]!;
      const consent: Consent = {
        resourceType: 'Consent',
        status: 'active',
        scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
        category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
        patient: { reference: `Patient/${patientId}` },
        policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
        provision: { type: 'permit', action: [{ coding: [{ system: CHANNEL_SYSTEM, code: 'sms' }] }], purpose: [{ system: PURPOSE_SYSTEM, code: 'care' }] },
      };
      const recorded = await t.call<Consent>('POST', '/fhir/R4/Consent', { body: consent });
      assert.equal(recorded.status, 201, JSON.stringify(recorded.body));
      const consentRead = await t.call<Consent>('GET', `/fhir/R4/Consent/${recorded.body.id}`);
      assert.equal(consentRead.status, 200);
      assert.deepEqual(consentRead.body, recorded.body);
      assert.equal(consentRead.body.patient?.reference, `Patient/${patientId}`);

      const made = await t.call<Task>('POST', '/fhir/R4/Task', { body: { resourceType: 'Task', status: 'requested', intent: 'order', description: 'Call about the recall', for: { reference: `Patient/${patientId}` } } });
      const taskRead = await t.call<Task>('GET', `/fhir/R4/Task/${made.body.id}`);
      assert.equal(taskRead.status, 200);
      assert.equal(taskRead.headers.etag, 'W/"1"');
      assert.equal(taskRead.body.description, 'Call about the recall');
      assert.equal(taskRead.body.for?.reference, `Patient/${patientId}`);

      for (const type of ['Consent', 'Task', 'HealthcareService', 'Location', 'Practitioner', 'Organization']) {
        assert.equal((await t.call('GET', `/fhir/R4/${type}/00000000-0000-4000-8000-000000000000`)).status, 404, type);
        assert.equal((await t.call('GET', `/fhir/R4/${type}/not-an-id`)).status, 404, type);
      }
      const reads = (await t.audit()).filter((a) => a.action === 'fhir.read' && a.outcome === 'success').map((a) => `${a.entity_type} ${a.patient_id ?? ''}`);
      assert.deepEqual(reads, [`Consent ${patientId}`, `Task ${patientId}`]);
    });
  });
}
