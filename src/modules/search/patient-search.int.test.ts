import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, createTestTenant, createTestUser, json, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { NewPatient } from '../../server/db/types.ts';
import { searchPatients } from './patient-search.ts';
import { foldForSearch } from './query.ts';
import type { PatientSearchLine } from './schema.ts';

const TODAY = '2026-11-22';
const system = (tenantId: string) => ({ tenantId, actor: { type: 'system' as const, id: null } });
type Person = Omit<NewPatient, 'tenant_id'>;

for (const engine of engines()) {
  describe(`patient search (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database);
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    /** A tenant of the test's own holding these patients; returns their ids by given name. */
    async function clinicWith(people: Person[]) {
      const tenant = await createTestTenant(database);
      const byName = await withTenant(database.db, system(tenant.id), async (scope) => {
        const rows = await scope.tx
          .insertInto('patient')
          .values(people.map((p) => ({ ...p, tenant_id: tenant.id })))
          .returning(['id', 'given_name', 'family_name'])
          .execute();
        return new Map(rows.map((r) => [`${r.given_name} ${r.family_name}`, r.id]));
      });
      const search = (q: string, limit = 20) =>
        withTenant(database.db, system(tenant.id), (scope) => searchPatients(scope, { q, limit, today: TODAY }));
      const ids = (q: string, limit = 20) => search(q, limit).then((hits) => hits.map((h) => h.id));
      const id = (name: string) => {
        const found = byName.get(name);
        assert.ok(found, `no patient ${name}`);
        return found;
      };
      return { tenant, id, search, ids };
    }

    const smiths: Person[] = [
      { given_name: 'John', family_name: 'Smithson', birth_date: '1990-01-01' },
      { given_name: 'Jon', family_name: 'Smyth', birth_date: '1975-05-05' },
      { given_name: 'Joan', family_name: 'Smith', birth_date: '1962-02-02' },
      {
        given_name: 'John',
        family_name: 'Smith',
        birth_date: '1984-03-07',
        sex: 'male',
        phone: '+14135550123',
        email: 'john.smith@example.org',
        mrn: 'MRN0100001',
        city: 'Springfield',
        created_at: '2020-01-02T10:00:00Z',
      },
      { given_name: 'Jane', family_name: 'Smith', birth_date: '1984-03-07' },
      { given_name: 'Johanna', family_name: 'Schmidt', birth_date: '2001-09-09' },
      { given_name: 'Mary', family_name: 'Jones', preferred_name: 'Molly', birth_date: '1984-03-07', phone: '+16175550142' },
      { given_name: 'Catherine', family_name: 'Ng', birth_date: '1955-12-24' },
    ];

    test('"Jonh Smtih" finds John Smith first among the decoys', async () => {
      const c = await clinicWith(smiths);
      for (const q of ['Jonh Smtih', 'john smith', 'smith john', 'Smith, John', 'JOHN SMIHT']) {
        const hits = await c.search(q);
        assert.equal(hits[0]?.id, c.id('John Smith'), q);
        assert.deepEqual(hits[0]?.matchedOn, ['name'], q);
        assert.ok(hits.length > 1 && hits.every((h, i) => i === 0 || h.score <= hits[i - 1]!.score), `${q}: ranked`);
      }
      const exact = await c.search('john smith');
      assert.equal(exact[0]?.score, 1);
      assert.ok(exact.slice(1).every((h) => h.score < 1), 'the decoys score lower');
      assert.ok(!(await c.ids('Jonh Smtih')).includes(c.id('Mary Jones')));
    });

    test('partial names, preferred names and sound-alikes', async () => {
      const c = await clinicWith(smiths);
      assert.equal((await c.ids('joh smi'))[0], c.id('John Smith'));
      assert.ok((await c.ids('joh smi')).includes(c.id('John Smithson')));
      assert.equal((await c.ids('molly jones'))[0], c.id('Mary Jones'));
      assert.equal((await c.ids('kathryn ng'))[0], c.id('Catherine Ng'), 'double metaphone: Kathryn sounds like Catherine');
      assert.equal((await c.ids('smyth'))[0], c.id('Jon Smyth'));
      assert.ok((await c.ids('smyth')).includes(c.id('John Smith')), 'one letter off');
      assert.deepEqual(
        (await c.ids('j smith')).slice(0, 3).sort(),
        [c.id('Jane Smith'), c.id('Joan Smith'), c.id('John Smith')].sort(),
        'an initial narrows the look-up: the J. Smiths come first',
      );
      assert.deepEqual(await c.ids('m jones'), [c.id('Mary Jones')], 'an initial alone beside a family name');
      assert.deepEqual(await c.ids('zzyzx qwv'), []);
    });

    test('a common name with an initial: the initial narrows the look-up, not only the ranking', async () => {
      const many: Person[] = Array.from({ length: 150 }, (_, i) => ({ given_name: `Zed${'abcdefghij'[i % 10]}`, family_name: 'Smith' }));
      const c = await clinicWith([...many, { given_name: 'Quentin', family_name: 'Smith' }]);
      assert.equal((await c.search('smith', 5)).length, 5);
      assert.deepEqual(await c.ids('q smith', 5), [c.id('Quentin Smith')]);
    });

    test('a phone in any format, a local number and an extra contact point', async () => {
      const c = await clinicWith(smiths);
      for (const q of ['(413) 555-0123', '413.555.0123', '+1 413 555 0123', '4135550123', '1-413-555-0123', '555-0123']) {
        const hits = await c.search(q);
        assert.deepEqual(hits.map((h) => h.id), [c.id('John Smith')], q);
        assert.deepEqual(hits[0]?.matchedOn, ['phone'], q);
      }
      await withTenant(database.db, system(c.tenant.id), (s) =>
        s.tx
          .insertInto('patient_contact_point')
          .values({ tenant_id: c.tenant.id, patient_id: c.id('Jane Smith'), system: 'phone', value: '(508) 555-0199' })
          .execute(),
      );
      assert.deepEqual(await c.ids('508-555-0199'), [c.id('Jane Smith')]);
      assert.deepEqual(await c.ids('smith 0199'), [c.id('Jane Smith')], 'a name with the last four digits');
    });

    test('email exact or by its beginning, and date of birth in four formats', async () => {
      const c = await clinicWith(smiths);
      assert.deepEqual(await c.ids('John.Smith@Example.org'), [c.id('John Smith')]);
      assert.deepEqual(await c.ids('john.smith@exa'), [c.id('John Smith')]);
      assert.deepEqual((await c.search('john.smith@example.org'))[0]?.matchedOn, ['email']);
      const bornThatDay = [c.id('John Smith'), c.id('Jane Smith'), c.id('Mary Jones')].sort();
      for (const q of ['1984-03-07', '03/07/1984', '7 Mar 1984', 'March 7 1984', '3/7/84']) {
        assert.deepEqual((await c.ids(q)).sort(), bornThatDay, q);
      }
      const withName = await c.search('smith 3/7/1984');
      assert.deepEqual(withName.map((h) => h.id).sort(), [c.id('John Smith'), c.id('Jane Smith')].sort());
      assert.deepEqual(withName[0]?.matchedOn, ['name', 'birth_date']);
      assert.equal((await c.ids('jon smith 03/07/1984'))[0], c.id('John Smith'));
    });

    test('MRN and identifiers, exact in any case; keys follow later changes', async () => {
      const c = await clinicWith(smiths);
      for (const q of ['MRN0100001', 'mrn0100001', 'mrn-0100001']) {
        const hits = await c.search(q);
        assert.deepEqual(hits.map((h) => h.id), [c.id('John Smith')], q);
        assert.deepEqual(hits[0]?.matchedOn, ['mrn']);
      }
      assert.deepEqual(await c.ids('MRN010000'), [], 'an MRN matches exactly, not by its beginning');
      await withTenant(database.db, system(c.tenant.id), (s) =>
        s.tx
          .insertInto('patient_identifier')
          .values({ tenant_id: c.tenant.id, patient_id: c.id('Catherine Ng'), system: 'urn:ehr', value: 'EHR-77A' })
          .execute(),
      );
      const byIdentifier = await c.search('ehr-77a');
      assert.deepEqual(byIdentifier.map((h) => h.id), [c.id('Catherine Ng')]);
      assert.deepEqual(byIdentifier[0]?.matchedOn, ['identifier']);
      await withTenant(database.db, system(c.tenant.id), (s) =>
        s.tx.updateTable('patient').set({ family_name: 'Okafor' }).where('id', '=', c.id('Catherine Ng')).execute(),
      );
      assert.deepEqual(await c.ids('catherine okafor'), [c.id('Catherine Ng')], 'a renamed patient is found by the new name');
      assert.deepEqual(await c.ids('catherine ng'), []);
    });

    test('archived and merged patients are never results', async () => {
      const c = await clinicWith(smiths);
      await withTenant(database.db, system(c.tenant.id), async (s) => {
        await s.tx.updateTable('patient').set({ archived_at: new Date() }).where('id', '=', c.id('Jane Smith')).execute();
        await s.tx.updateTable('patient').set({ merged_into_id: c.id('John Smith') }).where('id', '=', c.id('Joan Smith')).execute();
      });
      const found = await c.ids('smith');
      assert.ok(found.includes(c.id('John Smith')));
      assert.ok(!found.includes(c.id('Jane Smith')) && !found.includes(c.id('Joan Smith')));
      assert.deepEqual((await c.ids('1984-03-07')).sort(), [c.id('John Smith'), c.id('Mary Jones')].sort());
    });

    test('another tenant\'s patients are never found', async () => {
      const mine = await clinicWith([{ given_name: 'Ada', family_name: 'Quill', phone: '+14135550111', mrn: 'Q-1' }]);
      const theirs = await clinicWith([{ given_name: 'Ada', family_name: 'Quill', phone: '+14135550111', mrn: 'Q-1' }]);
      for (const q of ['ada quill', 'adq quil', '413-555-0111', 'Q-1']) {
        assert.deepEqual(await mine.ids(q), [mine.id('Ada Quill')], q);
        assert.deepEqual(await theirs.ids(q), [theirs.id('Ada Quill')], q);
      }
      // Without a tenant the candidate function finds nobody, even as the application role.
      const outside = await database.db.transaction().execute(async (tx) => {
        await sql`select set_config('role', 'rapport_app', true)`.execute(tx);
        return sql`select c from rapport_patient_search_candidates(${JSON.stringify([[['=ada']]])}::jsonb, 1, 10) as c`.execute(tx);
      });
      assert.equal(outside.rows.length, 0);
    });

    test('the database folds names the way the search does', async () => {
      const names = ["Zoë O'Núñez-Smith", 'Straße', 'ØSTERGÅRD', 'Łukasz', 'François', 'Ægir', 'Nguyễn Thị'];
      const { rows } = await database.db.transaction().execute((tx) =>
        sql<{ folded: string }>`select rapport_fold(n) as folded from unnest(${names}::text[]) with ordinality as t(n, i) order by i`.execute(tx),
      );
      assert.deepEqual(rows.map((r) => r.folded), names.map(foldForSearch));
    });

    test('GET /api/patients/search: result lines, audit without the query, and refusals', async () => {
      const c = await clinicWith(smiths);
      const user = await createTestUser(database, c.tenant, 'front_desk');
      const cookie = await signInCookie(app, user.email, user.password);
      const get = (qs: string) => app.inject({ url: `/api/patients/search?${qs}`, headers: { cookie } });

      const res = await get(`q=${encodeURIComponent('Jonh Smtih')}&limit=3`);
      assert.equal(res.statusCode, 200, res.body);
      const items = json<{ items: PatientSearchLine[] }>(res).items;
      assert.equal(items.length, 3);
      assert.deepEqual(
        { ...items[0], score: undefined },
        {
          id: c.id('John Smith'), givenName: 'John', familyName: 'Smith', preferredName: null, birthDate: '1984-03-07',
          sex: 'male', mrn: 'MRN0100001', phone: '+14135550123', email: 'john.smith@example.org', city: 'Springfield',
          lifecycleStatus: 'lapsed', lastVisitAt: null, score: undefined, matchedOn: ['name'],
        },
      );
      const audit = await withTenant(database.db, system(c.tenant.id), (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'detail', 'actor_id']).where('action', '=', 'patient.search').execute(),
      );
      assert.equal(audit.length, 1);
      assert.deepEqual(audit[0]?.detail, { returned: 3, patientIds: items.map((i) => i.id) });
      assert.equal(audit[0]?.actor_id, user.id);
      assert.doesNotMatch(JSON.stringify(audit), /jonh|smtih/i, 'the query text is not audited');

      const byId = await app.inject({ url: `/api/patients/${c.id('John Smith')}`, headers: { cookie } });
      assert.equal(byId.statusCode, 200, '/api/patients/:id still answers');

      for (const [qs, path] of [
        ['q=', 'querystring.q'],
        ['q=%20%20', 'querystring.q'],
        [`q=${'a'.repeat(201)}`, 'querystring.q'],
        ['q=%21%21%3F%3F', 'querystring.q'],
        ['q=j', 'querystring.q'],
        ['q=smith&limit=0', 'querystring.limit'],
        ['q=smith&limit=abc', 'querystring.limit'],
        ['q=smith&sort=name', 'sort'],
        ['limit=5', 'querystring.q'],
      ] as const) {
        const bad = await get(qs);
        assert.equal(bad.statusCode, 400, `${qs}: ${bad.body}`);
        const body = json<{ error: { code: string; fields?: Array<{ path: string }> } }>(bad);
        assert.equal(body.error.code, 'validation_failed', qs);
        assert.ok(body.error.fields?.some((f) => f.path.endsWith(path)), `${qs} names ${path}: ${bad.body}`);
      }
    });

    test('GET /api/patients/search needs a patient-facing role', async () => {
      const c = await clinicWith(smiths);
      const anonymous = await app.inject({ url: '/api/patients/search?q=smith' });
      assert.equal(anonymous.statusCode, 401);
      const marketer = await createTestUser(database, c.tenant, 'marketing');
      const cookie = await signInCookie(app, marketer.email, marketer.password);
      const res = await app.inject({ url: '/api/patients/search?q=smith', headers: { cookie } });
      assert.equal(res.statusCode, 403);
    });
  });
}
