import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Bundle, CapabilityStatement, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { fhirTenant, newPatient } from './fhir-test-helpers.ts';
import { MRN_SYSTEM } from './resources/patient.ts';

for (const engine of engines()) {
  describe(`FHIR R4 API: plugin, Patient (${engine})`, () => {
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

    test('metadata is a CapabilityStatement generated from the registry, without authentication', async () => {
      const res = await app.inject({ method: 'GET', url: '/fhir/R4/metadata' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /application\/fhir\+json/);
      const cs = JSON.parse(res.body) as CapabilityStatement;
      assert.equal(cs.fhirVersion, '4.0.1');
      const types = cs.rest![0]!.resource!.map((r) => r.type);
      assert.deepEqual(types, ['Patient', 'Practitioner', 'Organization', 'Location', 'HealthcareService', 'Schedule', 'Slot', 'Appointment', 'Communication', 'Consent', 'Task']);
      const patient = cs.rest![0]!.resource!.find((r) => r.type === 'Patient')!;
      assert.deepEqual(patient.interaction!.map((i) => i.code), ['read', 'search-type', 'create', 'update']);
      assert.equal(patient.conditionalCreate, true);
      assert.equal(patient.versioning, 'versioned-update');
      for (const p of ['name', 'family', 'given', 'birthdate', 'identifier', 'phone', 'email', 'telecom', '_id', '_count', '_sort']) {
        assert.ok(patient.searchParam!.some((s) => s.name === p), p);
      }
      assert.equal(patient.searchParam!.find((s) => s.name === 'birthdate')!.type, 'date');
      assert.deepEqual(patient.operation?.map((o) => o.name), ['everything']);
      const slot = cs.rest![0]!.resource!.find((r) => r.type === 'Slot')!;
      assert.deepEqual(slot.interaction!.map((i) => i.code), ['read', 'search-type']);
      // The directory Rapport keeps is writable: create, versioned update, conditional create by identifier or name.
      for (const type of ['Practitioner', 'Organization', 'Location', 'HealthcareService']) {
        const r = cs.rest![0]!.resource!.find((x) => x.type === type)!;
        assert.deepEqual(r.interaction!.map((i) => i.code), ['read', 'search-type', 'create', 'update'], type);
        assert.equal(r.versioning, 'versioned-update', type);
        assert.equal(r.conditionalCreate, true, type);
        assert.ok(r.searchParam!.some((p) => p.name === 'identifier'), type);
      }
      for (const type of ['Appointment', 'Task']) assert.equal(cs.rest![0]!.resource!.find((x) => x.type === type)!.conditionalCreate, true, type);
      const consent = cs.rest![0]!.resource!.find((r) => r.type === 'Consent')!;
      assert.deepEqual(consent.interaction!.map((i) => i.code), ['read', 'search-type', 'create']);
      assert.equal(consent.conditionalCreate, false);
    });

    test('no credentials is 401, a revoked or wrong token is 401, marketing is 403, all as OperationOutcome', async () => {
      const none = await app.inject({ method: 'GET', url: '/fhir/R4/Patient' });
      assert.equal(none.statusCode, 401);
      assert.equal((JSON.parse(none.body) as OperationOutcome).resourceType, 'OperationOutcome');
      const bad = await app.inject({ method: 'GET', url: '/fhir/R4/Patient', headers: { authorization: 'Bearer rpt_nope' } });
      assert.equal(bad.statusCode, 401);
      const marketing = await fhirTenant(app, database, 'marketing');
      const refused = await marketing.call<OperationOutcome>('GET', '/fhir/R4/Patient');
      assert.equal(refused.status, 403);
      assert.equal(refused.body.issue[0]!.code, 'forbidden');
    });

    test('creates, reads with ETag, updates with If-Match, refuses a stale version with 412; all audited', async () => {
      const t = await fhirTenant(app, database);
      const created = await t.call<Patient>('POST', '/fhir/R4/Patient', {
        body: newPatient('Okafor', 'Maya', {
          birthDate: '1988-04-02',
          gender: 'female',
          identifier: [{ system: MRN_SYSTEM, value: 'A-1' }, { system: 'urn:oid:2.16.840.1.113883.3.example', value: 'EHR-991' }],
          telecom: [{ system: 'phone', value: '(413) 555-0123', use: 'mobile' }, { system: 'email', value: 'Maya@Example.org' }],
          address: [{ line: ['12 Elm Street'], city: 'Springfield', state: 'MA', postalCode: '01103', country: 'US' }],
        }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id!;
      assert.equal(created.headers.location, `http://localhost:80/fhir/R4/Patient/${id}`);
      assert.equal(created.headers.etag, 'W/"1"');
      assert.equal(created.body.meta?.versionId, '1');
      assert.deepEqual(created.body.telecom?.map((c) => c.value), ['+14135550123', 'maya@example.org']);
      assert.deepEqual(created.body.identifier?.map((i) => i.value), ['A-1', 'EHR-991']);

      const read = await t.call<Patient>('GET', `/fhir/R4/Patient/${id}`);
      assert.equal(read.status, 200);
      assert.equal(read.headers.etag, 'W/"1"');
      assert.equal(read.body.birthDate, '1988-04-02');
      assert.equal(read.body.address?.[0]?.city, 'Springfield');

      const changed = { ...read.body, birthDate: '1988-04-03', name: [{ use: 'official', family: 'Okafor-Reed', given: ['Maya'] }] };
      const updated = await t.call<Patient>('PUT', `/fhir/R4/Patient/${id}`, { body: changed, headers: { 'if-match': 'W/"1"' } });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.meta?.versionId, '2');
      assert.equal(updated.headers.etag, 'W/"2"');
      assert.equal(updated.body.name?.[0]?.family, 'Okafor-Reed');

      const stale = await t.call<OperationOutcome>('PUT', `/fhir/R4/Patient/${id}`, { body: { ...changed, birthDate: '1990-01-01' }, headers: { 'if-match': 'W/"1"' } });
      assert.equal(stale.status, 412);
      assert.equal(stale.body.resourceType, 'OperationOutcome');
      assert.equal((await t.call<Patient>('GET', `/fhir/R4/Patient/${id}`)).body.birthDate, '1988-04-03');

      const actions = (await t.audit()).filter((a) => a.action.startsWith('fhir.'));
      assert.deepEqual(actions.map((a) => a.action), ['fhir.create', 'fhir.read', 'fhir.update', 'fhir.read']);
      assert.ok(actions.every((a) => a.patient_id === id));
    });

    test('bad input: invalid JSON 400, wrong resourceType 400, invalid resource 422 naming the problem, id mismatch 400; nothing stored', async () => {
      const t = await fhirTenant(app, database);
      const before = await t.count('patient');
      const invalidJson = await t.call<OperationOutcome>('POST', '/fhir/R4/Patient', { raw: '{"resourceType": "Patient", ' });
      assert.equal(invalidJson.status, 400);
      assert.equal(invalidJson.body.issue[0]!.code, 'structure');
      const plainJson = await app.inject({ method: 'POST', url: '/fhir/R4/Patient', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' }, payload: '{oops' });
      assert.equal(plainJson.statusCode, 400);
      assert.equal((JSON.parse(plainJson.body) as OperationOutcome).resourceType, 'OperationOutcome');
      const wrongType = await t.call<OperationOutcome>('POST', '/fhir/R4/Patient', { body: { resourceType: 'Practitioner', name: [{ family: 'X' }] } });
      assert.equal(wrongType.status, 400);
      const invalid = await t.call<OperationOutcome>('POST', '/fhir/R4/Patient', { body: newPatient('Doe', 'Jane', { birthDate: 'yesterday', favouriteColour: 'blue' }) });
      assert.equal(invalid.status, 422);
      const texts = invalid.body.issue.map((i) => `${i.details?.text} ${i.expression?.join(',')}`).join(' | ');
      assert.match(texts, /Patient\.birthDate/);
      assert.match(texts, /favouriteColour/);
      const noName = await t.call<OperationOutcome>('POST', '/fhir/R4/Patient', { body: { resourceType: 'Patient', birthDate: '1990-01-01' } });
      assert.equal(noName.status, 422);
      const badPhone = await t.call<OperationOutcome>('POST', '/fhir/R4/Patient', { body: newPatient('Doe', 'Jane', { telecom: [{ system: 'phone', value: 'not a phone' }] }) });
      assert.equal(badPhone.status, 422, JSON.stringify(badPhone.body));
      const created = await t.call<Patient>('POST', '/fhir/R4/Patient', { body: newPatient('Doe', 'Jane') });
      const mismatch = await t.call<OperationOutcome>('PUT', `/fhir/R4/Patient/${created.body.id}`, { body: { ...created.body, id: '00000000-0000-4000-8000-000000000000' } });
      assert.equal(mismatch.status, 400);
      const badIfMatch = await t.call<OperationOutcome>('PUT', `/fhir/R4/Patient/${created.body.id}`, { body: created.body, headers: { 'if-match': 'banana' } });
      assert.equal(badIfMatch.status, 400);
      assert.equal(await t.count('patient'), before + 1);
    });

    test('unknown type and id are 404, unsupported interactions 405, all OperationOutcome', async () => {
      const t = await fhirTenant(app, database);
      assert.equal((await t.call('GET', '/fhir/R4/Observation')).status, 404);
      assert.equal((await t.call('GET', '/fhir/R4/Patient/00000000-0000-4000-8000-000000000000')).status, 404);
      assert.equal((await t.call('GET', '/fhir/R4/Patient/not-a-uuid')).status, 404);
      const del = await t.call<OperationOutcome>('DELETE', '/fhir/R4/Patient/00000000-0000-4000-8000-000000000000');
      assert.equal(del.status, 405);
      assert.equal(del.body.issue[0]!.code, 'not-supported');
      assert.equal((await t.call('POST', '/fhir/R4/Communication', { body: { resourceType: 'Communication', status: 'completed' } })).status, 405);
      assert.equal((await t.call('PUT', '/fhir/R4/Consent/00000000-0000-4000-8000-000000000000', { body: { resourceType: 'Consent' } })).status, 405);
      assert.equal((await t.call('GET', '/fhir/R4/Patient/x/_history')).status, 404);
    });

    test('tenant isolation: another tenant\'s patient is 404 to read and to update, and never in a search', async () => {
      const a = await fhirTenant(app, database);
      const b = await fhirTenant(app, database);
      const theirs = await b.call<Patient>('POST', '/fhir/R4/Patient', { body: newPatient('Isolated', 'Ivy', { birthDate: '1970-01-01' }) });
      assert.equal((await a.call('GET', `/fhir/R4/Patient/${theirs.body.id}`)).status, 404);
      assert.equal((await a.call('PUT', `/fhir/R4/Patient/${theirs.body.id}`, { body: theirs.body })).status, 404);
      const search = await a.call<Bundle>('GET', '/fhir/R4/Patient?family=isolated');
      assert.equal(search.body.entry?.length ?? 0, 0);
      const everything = await a.call('GET', `/fhir/R4/Patient/${theirs.body.id}/$everything`);
      assert.equal(everything.status, 404);
      const failures = (await a.audit()).filter((e) => e.outcome === 'failure').map((e) => e.action);
      assert.ok(failures.includes('fhir.read'));
    });

    test('conditional create: none creates 201, one returns it with 200, several is 412', async () => {
      const t = await fhirTenant(app, database);
      const body = newPatient('Conditional', 'Cara', { identifier: [{ system: 'urn:example:ehr', value: 'C-1' }] });
      const first = await t.call<Patient>('POST', '/fhir/R4/Patient', { body, headers: { 'if-none-exist': 'identifier=urn:example:ehr|C-1' } });
      assert.equal(first.status, 201);
      const again = await t.call<Patient>('POST', '/fhir/R4/Patient', { body, headers: { 'if-none-exist': 'identifier=urn:example:ehr|C-1' } });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      await t.call('POST', '/fhir/R4/Patient', { body: newPatient('Conditional', 'Carl') });
      const many = await t.call<OperationOutcome>('POST', '/fhir/R4/Patient', { body: newPatient('Conditional', 'Cody'), headers: { 'if-none-exist': 'family=conditional' } });
      assert.equal(many.status, 412);
      assert.equal(await t.count('patient'), 2);
      const unknownParam = await t.call('POST', '/fhir/R4/Patient', { body, headers: { 'if-none-exist': 'favourite=blue' } });
      assert.equal(unknownParam.status, 400);
    });

    test('search by name, family, given, birthdate with prefixes, identifier, phone, email, telecom, _id, gender', async () => {
      const t = await fhirTenant(app, database);
      const make = async (family: string, given: string, extra: Record<string, unknown>) => (await t.call<Patient>('POST', '/fhir/R4/Patient', { body: newPatient(family, given, extra) })).body.id!;
      const smith = await make('Smith', 'John', { birthDate: '1980-05-01', gender: 'male', telecom: [{ system: 'phone', value: '+1 413 555 0101' }, { system: 'email', value: 'john.smith@example.org' }], identifier: [{ system: MRN_SYSTEM, value: 'MRN-1' }] });
      const smyth = await make('Smythe', 'Jane', { birthDate: '1990-07-15', gender: 'female', telecom: [{ system: 'phone', value: '413-555-0102' }], identifier: [{ system: 'urn:example:ehr', value: 'E-2' }] });
      const garcia = await make('García', 'José', { birthDate: '2001-01-31', telecom: [{ system: 'email', value: 'jose@example.net' }] });
      const ids = async (query: string) => {
        const res = await t.call<Bundle<Patient>>('GET', `/fhir/R4/Patient?${query}`);
        assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.type, 'searchset');
        return (res.body.entry ?? []).map((e) => e.resource!.id).sort();
      };
      assert.deepEqual(await ids('name=smi'), [smith]);
      assert.deepEqual(await ids('name=sm'), [smith, smyth].sort());
      assert.deepEqual(await ids('family=smith'), [smith]);
      assert.deepEqual(await ids('family:exact=Smith'), [smith]);
      assert.deepEqual(await ids('family:exact=smith'), []);
      assert.deepEqual(await ids('family=garcia'), [garcia]);
      assert.deepEqual(await ids('given=jos'), [garcia]);
      assert.deepEqual(await ids('name=jo%20smi'), [smith]);
      assert.deepEqual(await ids('name=smith,garcia'), [smith, garcia].sort());
      assert.deepEqual(await ids('birthdate=1980-05-01'), [smith]);
      assert.deepEqual(await ids('birthdate=1990'), [smyth]);
      assert.deepEqual(await ids('birthdate=ge1990-01-01'), [smyth, garcia].sort());
      assert.deepEqual(await ids('birthdate=lt1990-07-15'), [smith]);
      assert.deepEqual(await ids('birthdate=gt1990-07-15'), [garcia]);
      assert.deepEqual(await ids('birthdate=le1990-07-15'), [smith, smyth].sort());
      assert.deepEqual(await ids('birthdate=ge1980-01-01&birthdate=le1995-12-31'), [smith, smyth].sort());
      assert.deepEqual(await ids('family=smi&birthdate=1980-05-01'), [smith]);
      assert.deepEqual(await ids(`identifier=${encodeURIComponent(`${MRN_SYSTEM}|MRN-1`)}`), [smith]);
      assert.deepEqual(await ids('identifier=urn:example:ehr|E-2'), [smyth]);
      assert.deepEqual(await ids('identifier=E-2'), [smyth]);
      assert.deepEqual(await ids('identifier=MRN-1'), [smith]);
      assert.deepEqual(await ids('identifier=urn:other|E-2'), []);
      assert.deepEqual(await ids('phone=4135550101'), [smith]);
      assert.deepEqual(await ids('phone=(413)%20555-0102'), [smyth]);
      assert.deepEqual(await ids('phone=555-0101'), [smith]);
      assert.deepEqual(await ids('email=JOHN.SMITH@example.org'), [smith]);
      assert.deepEqual(await ids('telecom=jose@example.net'), [garcia]);
      assert.deepEqual(await ids('telecom=phone|4135550102'), [smyth]);
      assert.deepEqual(await ids(`_id=${garcia}`), [garcia]);
      assert.deepEqual(await ids('gender=female'), [smyth]);
      assert.deepEqual(await ids('favourite=blue'), [smith, smyth, garcia].sort());
      const strict = await t.call<OperationOutcome>('GET', '/fhir/R4/Patient?favourite=blue', { headers: { prefer: 'handling=strict' } });
      assert.equal(strict.status, 400);
      assert.match(strict.body.issue[0]!.details!.text!, /favourite/);
      assert.equal((await t.call('GET', '/fhir/R4/Patient?birthdate=last-tuesday')).status, 400);
      assert.equal((await t.call('GET', '/fhir/R4/Patient?phone=12')).status, 400);
      assert.equal((await t.call('GET', '/fhir/R4/Patient?_sort=colour')).status, 400);
      const audit = (await t.audit()).filter((a) => a.action === 'fhir.search');
      assert.ok(audit.length > 10);
    });

    test('_count, _sort and paging links that stay on this server and in the tenant', async () => {
      const t = await fhirTenant(app, database);
      const other = await fhirTenant(app, database);
      for (let i = 0; i < 5; i++) {
        await t.call('POST', '/fhir/R4/Patient', { body: newPatient(`Page${i}`, 'Pat', { birthDate: `198${i}-01-01` }) });
        await other.call('POST', '/fhir/R4/Patient', { body: newPatient(`Page${i}`, 'Other', { birthDate: `198${i}-01-01` }) });
      }
      const first = await t.call<Bundle<Patient>>('GET', '/fhir/R4/Patient?family=page&_count=2&_sort=-birthdate');
      assert.deepEqual(first.body.entry!.map((e) => e.resource!.birthDate), ['1984-01-01', '1983-01-01']);
      const link = (b: Bundle, rel: string) => b.link?.find((l) => l.relation === rel)?.url;
      assert.equal(link(first.body, 'previous'), undefined);
      const next = link(first.body, 'next')!;
      assert.match(next, /^http:\/\/localhost:80\/fhir\/R4\/Patient\?/);
      assert.doesNotMatch(next, new RegExp(t.tenant.id));
      const second = await t.call<Bundle<Patient>>('GET', next);
      assert.deepEqual(second.body.entry!.map((e) => e.resource!.birthDate), ['1982-01-01', '1981-01-01']);
      assert.ok(link(second.body, 'previous'));
      const third = await t.call<Bundle<Patient>>('GET', link(second.body, 'next')!);
      assert.deepEqual(third.body.entry!.map((e) => e.resource!.name![0]!.given![0]), ['Pat']);
      assert.equal(link(third.body, 'next'), undefined);
      // The same link followed by another tenant shows that tenant's patients, never these.
      const theirs = await other.call<Bundle<Patient>>('GET', next);
      assert.ok(theirs.body.entry!.every((e) => e.resource!.name![0]!.given![0] === 'Other'));
      const byFamily = await t.call<Bundle<Patient>>('GET', '/fhir/R4/Patient?family=page&_sort=family&_count=1000');
      assert.deepEqual(byFamily.body.entry!.map((e) => e.resource!.name![0]!.family), ['Page0', 'Page1', 'Page2', 'Page3', 'Page4']);
      const lastUpdated = await t.call<Bundle<Patient>>('GET', '/fhir/R4/Patient?family=page&_sort=-_lastUpdated&_count=5000');
      assert.equal(lastUpdated.body.entry!.length, 5);
      const withPublicUrl = await buildTestApp(database, { clock, config: { publicUrl: 'https://rapport.example.org' } });
      try {
        const res = await withPublicUrl.inject({ method: 'GET', url: '/fhir/R4/Patient?_count=1', headers: { authorization: `Bearer ${t.token}` } });
        const url = (JSON.parse(res.body) as Bundle).link!.find((l) => l.relation === 'next')!.url;
        assert.match(url, /^https:\/\/rapport\.example\.org\/fhir\/R4\/Patient\?/);
      } finally {
        await withPublicUrl.close();
      }
    });

    test('a staff session cookie works as well as a token', async () => {
      const t = await fhirTenant(app, database);
      const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: t.user.email, password: t.user.password } });
      const cookie = login.cookies.find((c) => c.name === 'rapport_session')!;
      const res = await app.inject({ method: 'GET', url: '/fhir/R4/Patient', headers: { cookie: `rapport_session=${cookie.value}` } });
      assert.equal(res.statusCode, 200);
    });
  });
}

for (const engine of engines()) {
  describe(`FHIR R4 API: transaction and batch Bundles at the base (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock: manualClock() });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    test('POST /fhir/R4 takes a transaction Bundle; a Bundle of another type is a 400 OperationOutcome', async () => {
      const t = await fhirTenant(app, database);
      const res = await t.call<Bundle>('POST', '/fhir/R4', {
        body: { resourceType: 'Bundle', type: 'transaction', entry: [{ fullUrl: 'urn:uuid:7f1c9c2e-0000-4000-8000-000000000001', resource: newPatient('Bundled', 'Bea', { id: '7f1c9c2e-0000-4000-8000-000000000001' }), request: { method: 'POST', url: 'Patient' } }] },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.type, 'transaction-response');
      assert.equal(await t.count('patient'), 1);
      const wrong = await t.call<OperationOutcome>('POST', '/fhir/R4', { body: { resourceType: 'Bundle', type: 'collection' } });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.resourceType, 'OperationOutcome');
    });
  });
}
