import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { HistoryEntry, PatientRecord, PatientSummary } from './schema.ts';

type Page = { items: PatientSummary[]; nextCursor: string | null };

for (const engine of engines()) {
  describe(`patient record API (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock, config: { bodyLimitBytes: 8192 } });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    const fullPatient = {
      givenName: 'Maya',
      familyName: 'Okafor',
      preferredName: 'May',
      birthDate: '1988-04-02',
      sex: 'female',
      genderIdentity: 'woman',
      pronouns: 'she/her',
      mrn: 'A-1',
      identifiers: [{ system: 'urn:oid:2.16.840.1.113883.3.example.ehr', value: 'EHR-991' }],
      phones: [{ value: '(413) 555-0123', use: 'mobile' }, { value: '413.555.0188', use: 'work' }],
      emails: [{ value: 'Maya@Example.org' }],
      address: { line: '12 Elm Street', city: 'Springfield', region: 'MA', postalCode: '01103', country: 'US' },
      language: 'en',
      timeZone: 'America/New_York',
      preferredChannel: 'sms',
      quietHours: { start: '21:00', end: '08:00' },
      tags: ['VIP'],
      customFields: { insurer: 'Acme Health', visits_allowed: 12 },
      source: { channel: 'google ads', campaign: 'spring-checkups', utmSource: 'google', utmMedium: 'cpc' },
    };

    async function withFieldsAndTags(t: Awaited<ReturnType<typeof signedInTenant>>) {
      assert.equal((await t.call('POST', '/api/tags', { name: 'VIP', color: 'grape' })).status, 201);
      assert.equal((await t.call('POST', '/api/custom-fields', { key: 'insurer', label: 'Insurer', type: 'text' })).status, 201);
      assert.equal((await t.call('POST', '/api/custom-fields', { key: 'visits_allowed', label: 'Visits allowed', type: 'number' })).status, 201);
      assert.equal(
        (await t.call('POST', '/api/custom-fields', { key: 'consent_form', label: 'Consent form', type: 'choice', choices: ['signed', 'pending'] })).status,
        201,
      );
    }

    test('registers a whole patient record, normalised, and reads it back; both are audited', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      await withFieldsAndTags(await signedInTenant(app, database));
      // Tags and fields belong to the tenant that made them: this tenant has none yet.
      const refused = await t.call<ErrorBody>('POST', '/api/patients', fullPatient);
      assert.equal(refused.status, 400);
      assert.deepEqual(refused.body.error.fields?.map((f) => f.path).sort(), ['customFields.insurer', 'customFields.visits_allowed', 'tags.0']);

      const admin = await signedInTenant(app, database);
      await withFieldsAndTags(admin);
      const created = await admin.call<PatientRecord & { possibleDuplicates: string[] }>('POST', '/api/patients', fullPatient);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const p = created.body;
      assert.deepEqual(p.phones, [{ value: '+14135550123', use: 'mobile' }, { value: '+14135550188', use: 'work' }]);
      assert.deepEqual(p.emails, [{ value: 'maya@example.org', use: 'home' }]);
      assert.deepEqual(p.identifiers, fullPatient.identifiers);
      assert.deepEqual(p.quietHours, { start: '21:00', end: '08:00' });
      assert.deepEqual(p.tags.map((x) => x.name), ['VIP']);
      assert.deepEqual(p.customFields, { insurer: 'Acme Health', visits_allowed: 12 });
      assert.equal(p.source.utmMedium, 'cpc');
      assert.equal(p.lifecycleStatus, 'active');
      assert.equal(p.version, 1);
      const read = await admin.call<PatientRecord>('GET', `/api/patients/${p.id}`);
      assert.deepEqual(read.body, (({ possibleDuplicates: _, ...rest }) => rest)(p));
      const actions = (await admin.audit()).filter((a) => a.action.startsWith('patient.')).map((a) => [a.action, a.patient_id]);
      assert.deepEqual(actions, [['patient.create', p.id], ['patient.read', p.id]]);
    });

    test('every bad field is named in one 400 and nothing is stored', async () => {
      const t = await signedInTenant(app, database);
      await withFieldsAndTags(t);
      const res = await t.call<ErrorBody>('POST', '/api/patients', {
        givenName: 'Bad',
        familyName: 'Input',
        birthDate: '2199-01-01',
        phones: [{ value: '555-12' }],
        emails: [{ value: 'not-an-email' }],
        timeZone: 'Mars/Olympus',
        tags: ['Unknown tag'],
        customFields: { visits_allowed: 'twelve', consent_form: 'maybe', shoe_size: 9 },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'validation_failed');
      assert.deepEqual(res.body.error.fields?.map((f) => f.path).sort(), [
        'birthDate',
        'customFields.consent_form',
        'customFields.shoe_size',
        'customFields.visits_allowed',
        'emails.0.value',
        'phones.0.value',
        'tags.0',
        'timeZone',
      ]);
      assert.match(res.body.error.message, /phones\.0\.value must be a valid phone number \(got "555-12"\)/);
      for (const table of ['patient', 'patient_identifier', 'patient_change', 'timeline_event'] as const) assert.equal(await t.count(table), 0, table);
    });

    const shapeProblems: Array<[string, string, number, string, string?]> = [
      ['malformed JSON', '{"givenName": "A",', 400, 'malformed_json'],
      ['an unknown field', JSON.stringify({ givenName: 'A', familyName: 'B', ssn: '123' }), 400, 'validation_failed', 'ssn'],
      ['a wrong type', JSON.stringify({ givenName: 42, familyName: 'B' }), 400, 'validation_failed', 'givenName'],
      ['a missing field', JSON.stringify({ givenName: 'A' }), 400, 'validation_failed', 'familyName'],
      ['a bad date', JSON.stringify({ givenName: 'A', familyName: 'B', birthDate: '02/04/1988' }), 400, 'validation_failed', 'birthDate'],
      ['a bad time', JSON.stringify({ givenName: 'A', familyName: 'B', quietHours: { start: '25:00', end: '07:00' } }), 400, 'validation_failed', 'quietHours.start'],
      ['a bad country', JSON.stringify({ givenName: 'A', familyName: 'B', address: { country: 'usa' } }), 400, 'validation_failed', 'address.country'],
      ['an array instead of an object', '[]', 400, 'validation_failed'],
      ['an oversized body', JSON.stringify({ givenName: 'A', familyName: 'B', preferredName: 'x'.repeat(9000) }), 413, 'payload_too_large'],
    ];
    for (const [label, payload, status, code, field] of shapeProblems) {
      test(`refuses ${label} with ${status} ${code} and stores nothing`, async () => {
        const t = await signedInTenant(app, database);
        const res = await app.inject({ method: 'POST', url: '/api/patients', headers: { cookie: t.cookie, 'content-type': 'application/json' }, payload });
        assert.equal(res.statusCode, status, res.body);
        const body = JSON.parse(res.body) as ErrorBody;
        assert.equal(body.error.code, code);
        if (field) assert.ok(body.error.fields?.some((f) => f.path === field), `names ${field}: ${res.body}`);
        assert.doesNotMatch(res.body, /at .*\.ts:\d+|select |insert into/i, 'no stack or SQL in the response');
        assert.equal(await t.count('patient'), 0);
      });
    }

    test('an update records who changed which field from what to what; a stale version is refused', async () => {
      const t = await signedInTenant(app, database);
      await withFieldsAndTags(t);
      const { body: p } = await t.call<PatientRecord>('POST', '/api/patients', fullPatient);
      clock.advance(60_000);
      const changed = await t.call<PatientRecord>('PATCH', `/api/patients/${p.id}`, {
        version: 1,
        phones: [{ value: '+1 413 555 0199' }],
        preferredName: null,
        customFields: { insurer: null, consent_form: 'signed' },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(changed.body.version, 2);
      assert.deepEqual(changed.body.phones, [{ value: '+14135550199', use: 'mobile' }]);
      assert.equal(changed.body.preferredName, null);
      assert.deepEqual(changed.body.customFields, { visits_allowed: 12, consent_form: 'signed' });

      const stale = await t.call<ErrorBody>('PATCH', `/api/patients/${p.id}`, { version: 1, pronouns: 'they/them' });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.code, 'version_conflict');

      const noop = await t.call<PatientRecord>('PATCH', `/api/patients/${p.id}`, { version: 2, givenName: 'Maya' });
      assert.equal(noop.body.version, 2, 'a save that changes nothing keeps the version');

      const history = await t.call<{ items: HistoryEntry[] }>('GET', `/api/patients/${p.id}/history`);
      assert.equal(history.body.items.length, 2);
      const [latest, creation] = history.body.items;
      assert.equal(latest!.actor.id, t.user.id);
      assert.deepEqual(
        latest!.changes.map((c) => [c.field, c.from, c.to]),
        [
          ['customFields.consent_form', null, 'signed'],
          ['customFields.insurer', 'Acme Health', null],
          ['phones', [{ value: '+14135550123', use: 'mobile' }, { value: '+14135550188', use: 'work' }], [{ value: '+14135550199', use: 'mobile' }]],
          ['preferredName', 'May', null],
        ],
      );
      assert.ok(creation!.changes.some((c) => c.field === 'givenName' && c.from === null && c.to === 'Maya'));
      const timeline = await t.call<{ items: Array<{ kind: string; summary: string }> }>('GET', `/api/patients/${p.id}/timeline?kind=record`);
      assert.deepEqual(timeline.body.items.map((i) => i.kind), ['record.changed', 'record.created']);
    });

    test('archive hides a patient from the list; restore brings it back; both are in the history', async () => {
      const t = await signedInTenant(app, database);
      const { body: p } = await t.call<PatientRecord>('POST', '/api/patients', { givenName: 'Ari', familyName: 'Archer' });
      clock.advance(60_000);
      const archived = await t.call<PatientRecord>('POST', `/api/patients/${p.id}/archive`, { reason: 'Moved away' });
      assert.equal(archived.status, 200);
      assert.ok(archived.body.archivedAt);
      assert.equal((await t.call<Page>('GET', '/api/patients')).body.items.length, 0);
      assert.equal((await t.call<Page>('GET', '/api/patients?archived=true')).body.items.length, 1);
      assert.equal((await t.call<ErrorBody>('POST', `/api/patients/${p.id}/archive`, {})).status, 409);
      clock.advance(60_000);
      assert.equal((await t.call('POST', `/api/patients/${p.id}/restore`, {})).status, 200);
      assert.equal((await t.call<Page>('GET', '/api/patients')).body.items.length, 1);
      const history = await t.call<{ items: HistoryEntry[] }>('GET', `/api/patients/${p.id}/history`);
      assert.deepEqual(history.body.items.slice(0, 2).map((h) => h.changes.map((c) => [c.field, c.to])), [[['archived', false]], [['archived', true]]]);
    });

    test('a duplicate MRN or identifier is a 409 naming the field, and nothing more is stored', async () => {
      const t = await signedInTenant(app, database);
      const base = { givenName: 'Mo', familyName: 'Reyes', mrn: 'MRN-7', identifiers: [{ system: 'ehr', value: 'X1' }] };
      assert.equal((await t.call('POST', '/api/patients', base)).status, 201);
      const sameMrn = await t.call<ErrorBody>('POST', '/api/patients', { givenName: 'Other', familyName: 'Person', mrn: 'MRN-7', confirmNotDuplicate: true });
      assert.equal(sameMrn.status, 409);
      assert.deepEqual(sameMrn.body.error.fields, [{ path: 'mrn', message: 'is already in use' }]);
      const sameId = await t.call<ErrorBody>('POST', '/api/patients', { givenName: 'Other', familyName: 'Person', identifiers: [{ system: 'ehr', value: 'X1' }], confirmNotDuplicate: true });
      assert.equal(sameId.status, 409);
      assert.equal(await t.count('patient'), 1);
      assert.equal(await t.count('patient_identifier'), 1);
    });

    test('household links read from both sides; a self link or an unknown patient is refused', async () => {
      const t = await signedInTenant(app, database);
      const parent = (await t.call<PatientRecord>('POST', '/api/patients', { givenName: 'Rosa', familyName: 'Diaz', birthDate: '1980-01-01' })).body;
      const child = (await t.call<PatientRecord>('POST', '/api/patients', { givenName: 'Leo', familyName: 'Diaz', birthDate: '2018-05-05' })).body;
      const link = await t.call<{ linkId: string }>('POST', `/api/patients/${child.id}/links`, { kind: 'guarded_by', relatedId: parent.id });
      assert.equal(link.status, 201);
      const childView = (await t.call<PatientRecord>('GET', `/api/patients/${child.id}`)).body.household;
      const parentView = (await t.call<PatientRecord>('GET', `/api/patients/${parent.id}`)).body.household;
      assert.deepEqual(childView.map((h) => [h.kind, h.patient.givenName]), [['guarded_by', 'Rosa']]);
      assert.deepEqual(parentView.map((h) => [h.kind, h.patient.givenName]), [['guardian_of', 'Leo']]);
      assert.equal((await t.call('POST', `/api/patients/${parent.id}/links`, { kind: 'guardian_of', relatedId: child.id })).status, 409);
      assert.equal((await t.call('POST', `/api/patients/${parent.id}/links`, { kind: 'shares_phone_with', relatedId: parent.id })).status, 400);
      const other = await signedInTenant(app, database);
      const stranger = (await other.call<PatientRecord>('POST', '/api/patients', { givenName: 'Zed', familyName: 'Stranger' })).body;
      assert.equal((await t.call('POST', `/api/patients/${parent.id}/links`, { kind: 'shares_phone_with', relatedId: stranger.id })).status, 404);
      assert.equal((await t.call('DELETE', `/api/patients/${parent.id}/links/${link.body.linkId}`)).status, 204);
      assert.deepEqual((await t.call<PatientRecord>('GET', `/api/patients/${child.id}`)).body.household, []);
    });

    test('lapsed is derived from the last kept visit and the tenant\'s threshold', async () => {
      const t = await signedInTenant(app, database);
      const recent = (await t.call<PatientRecord>('POST', '/api/patients', { givenName: 'Recent', familyName: 'Visitor' })).body;
      const old = (await t.call<PatientRecord>('POST', '/api/patients', { givenName: 'Old', familyName: 'Visitor' })).body;
      await withTenant(database.db, t.system, async (s) => {
        const loc = await s.tx.insertInto('location').values({ tenant_id: t.tenant.id, name: 'Main', time_zone: 'America/New_York' }).returning('id').executeTakeFirstOrThrow();
        const pr = await s.tx.insertInto('practitioner').values({ tenant_id: t.tenant.id, given_name: 'Ann', family_name: 'Doc' }).returning('id').executeTakeFirstOrThrow();
        const sv = await s.tx.insertInto('service').values({ tenant_id: t.tenant.id, name: 'Check-up', duration_minutes: 30 }).returning('id').executeTakeFirstOrThrow();
        const visit = (patient_id: string, daysAgo: number) => ({
          tenant_id: t.tenant.id, patient_id, practitioner_id: pr.id, location_id: loc.id, service_id: sv.id, time_zone: 'America/New_York', status: 'fulfilled' as const,
          starts_at: new Date(clock().getTime() - daysAgo * 86_400_000), ends_at: new Date(clock().getTime() - daysAgo * 86_400_000 + 1_800_000),
        });
        await s.tx.insertInto('appointment').values([visit(recent.id, 30), visit(old.id, 700)]).execute();
        // Registered long ago, so a missing visit does not keep it fresh.
        await s.tx.updateTable('patient').set({ created_at: new Date('2020-01-01T00:00:00Z') } as never).execute();
      });
      const status = async (id: string) => (await t.call<PatientRecord>('GET', `/api/patients/${id}`)).body.lifecycleStatus;
      assert.equal(await status(recent.id), 'active');
      assert.equal(await status(old.id), 'lapsed');
      const lapsed = await t.call<Page>('GET', '/api/patients?lifecycle=lapsed');
      assert.deepEqual(lapsed.body.items.map((p) => p.givenName), ['Old']);
      assert.ok(lapsed.body.items[0]!.lastVisitAt);
      const settings = await t.call<{ lapsedAfterDays: number }>('PATCH', '/api/clinic/settings', { lapsedAfterDays: 1000 });
      assert.equal(settings.status, 200, JSON.stringify(settings.body));
      assert.equal(await status(old.id), 'active');
    });

    test('the list filters by tag, lifecycle, source and last visit, and pages by cursor', async () => {
      const t = await signedInTenant(app, database);
      await t.call('POST', '/api/tags', { name: 'Diabetes programme' });
      for (const [givenName, familyName, extra] of [
        ['Zoe', 'Adams', { tags: ['diabetes programme'], source: { channel: 'referral' } }],
        ['Yusuf', 'Brown', { lifecycleStatus: 'lead', source: { channel: 'Google Ads' } }],
        ['Xena', 'Brown', {}],
        ['Will', 'Chen', { tags: ['Diabetes programme'] }],
      ] as const) {
        assert.equal((await t.call('POST', '/api/patients', { givenName, familyName, ...extra })).status, 201);
      }
      const names = async (q: string) => (await t.call<Page>('GET', `/api/patients${q}`)).body.items.map((p) => p.givenName);
      assert.deepEqual(await names('?tag=Diabetes%20programme'), ['Zoe', 'Will']);
      assert.deepEqual(await names('?lifecycle=lead'), ['Yusuf']);
      assert.deepEqual(await names('?source=google%20ads,referral'), ['Zoe', 'Yusuf']);
      assert.deepEqual(await names('?neverVisited=true&lifecycle=active'), ['Zoe', 'Xena', 'Will']);
      const first = await t.call<Page>('GET', '/api/patients?limit=3');
      assert.deepEqual(first.body.items.map((p) => p.givenName), ['Zoe', 'Xena', 'Yusuf']);
      const second = await t.call<Page>('GET', `/api/patients?limit=3&cursor=${first.body.nextCursor}`);
      assert.deepEqual(second.body.items.map((p) => p.givenName), ['Will']);
      assert.equal(second.body.nextCursor, null);
      const bad = await t.call<ErrorBody>('GET', '/api/patients?lifecycle=sleeping&limit=abc');
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.error.fields?.map((f) => f.path).sort(), ['querystring.lifecycle.0', 'querystring.limit']);
      assert.equal((await t.call<ErrorBody>('GET', '/api/patients?cursor=forged')).status, 400);
    });

    test('another tenant\'s patient is not found, and the failed read is audited', async () => {
      const a = await signedInTenant(app, database);
      const b = await signedInTenant(app, database);
      const p = (await a.call<PatientRecord>('POST', '/api/patients', { givenName: 'Secret', familyName: 'Person' })).body;
      const res = await b.call<ErrorBody>('GET', `/api/patients/${p.id}`);
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { error: { code: 'not_found', message: 'Patient was not found.' } });
      assert.equal((await b.call('PATCH', `/api/patients/${p.id}`, { givenName: 'Hijack' })).status, 404);
      assert.equal((await b.call<Page>('GET', '/api/patients')).body.items.length, 0);
      const audit = await b.audit();
      assert.deepEqual(
        audit.filter((e) => e.action === 'patient.read').map((e) => [e.outcome, e.entity_id, e.patient_id]),
        [['failure', p.id, null]],
      );
      assert.equal((await a.call<PatientRecord>('GET', `/api/patients/${p.id}`)).body.givenName, 'Secret');
    });

    test('a clear duplicate asks before creating; confirmed, it is created and queued for review', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const john = { givenName: 'John', familyName: 'Smith', birthDate: '1984-03-07', phones: [{ value: '413-555-0101' }], emails: [{ value: 'john.smith@example.org' }] };
      const first = await t.call<PatientRecord>('POST', '/api/patients', john);
      assert.equal(first.status, 201);
      const again = await t.call<ErrorBody>('POST', '/api/patients', { ...john, givenName: 'Jon', phones: [{ value: '(413) 555-0101' }] });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'possible_duplicate');
      const matches = (again.body.error.details as { matches: Array<{ patientId: string; reasons: unknown[]; patient: PatientSummary }> }).matches;
      assert.deepEqual(matches.map((m) => m.patientId), [first.body.id]);
      assert.equal(matches[0]!.patient.birthDate, '1984-03-07', 'each match carries a list line to show');
      assert.ok(matches[0]!.reasons.length > 0, 'the reasons are shown');
      assert.equal(await t.count('patient'), 1, 'nothing stored until staff decide');
      const confirmed = await t.call<PatientRecord & { possibleDuplicates: string[] }>('POST', '/api/patients', { ...john, givenName: 'Jon', confirmNotDuplicate: true });
      assert.equal(confirmed.status, 201);
      assert.deepEqual(confirmed.body.possibleDuplicates, [first.body.id]);
      const queue = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('duplicate_candidate').select(['status', 'detected_by']).execute());
      assert.deepEqual(queue, [{ status: 'open', detected_by: 'create' }]);
    });

    test('the list\'s search box finds a misspelled name, a phone in another format, and ranks the best first', async () => {
      const t = await signedInTenant(app, database);
      for (const [givenName, familyName, phone] of [['John', 'Smith', '+14135550111'], ['Joan', 'Smithers', '+14135550122'], ['Mary', 'Jones', '+14135550133']] as const) {
        assert.equal((await t.call('POST', '/api/patients', { givenName, familyName, phones: [{ value: phone }], confirmNotDuplicate: true })).status, 201);
      }
      const typo = await t.call<Page>('GET', `/api/patients?q=${encodeURIComponent('Jonh Smtih')}`);
      assert.equal(typo.body.items[0]?.givenName, 'John');
      const phone = await t.call<Page>('GET', `/api/patients?q=${encodeURIComponent('(413) 555-0133')}`);
      assert.deepEqual(phone.body.items.map((p) => p.givenName), ['Mary']);
      const withFilter = await t.call<Page>('GET', `/api/patients?q=smith&lifecycle=lead`);
      assert.equal(withFilter.body.items.length, 0, 'filters apply to search results');
      const audit = await t.audit();
      assert.ok(audit.some((a) => a.action === 'patient.search'));
    });

    test('marketing staff cannot read patients', async () => {
      const t = await signedInTenant(app, database, 'marketing');
      assert.equal((await t.call('GET', '/api/patients')).status, 403);
      assert.equal((await t.call('POST', '/api/patients', { givenName: 'A', familyName: 'B' })).status, 403);
    });
  });
}
