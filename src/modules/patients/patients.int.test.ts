import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestTenant, createTestUser, json, signInCookie, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { PatientSummary } from './schema.ts';

type ErrorBody = { error: { code: string; message: string; fields?: Array<{ path: string; message: string }> } };

for (const engine of engines()) {
  describe(`patients API (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { config: { bodyLimitBytes: 4096 } });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    async function signedInTenant(): Promise<{ tenant: TestTenant; cookie: string }> {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant, 'front_desk');
      return { tenant, cookie: await signInCookie(app, user.email, user.password) };
    }

    const countPatients = (tenantId: string) =>
      withTenant(database.db, { tenantId, actor: { type: 'system', id: null } }, async (s) =>
        Number((await s.tx.selectFrom('patient').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
      );

    const auditActions = (tenantId: string) =>
      withTenant(database.db, { tenantId, actor: { type: 'system', id: null } }, (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'patient_id', 'outcome', 'request_id']).orderBy('occurred_at').execute(),
      );

    test('registers a patient, reads it back, and audits both', async () => {
      const { tenant, cookie } = await signedInTenant();
      const created = await app.inject({
        method: 'POST',
        url: '/api/patients',
        headers: { cookie, 'x-request-id': 'req-create-1' },
        payload: { givenName: 'Maya', familyName: 'Okafor', birthDate: '1988-04-02', email: 'Maya@Example.org', mrn: 'A-1' },
      });
      assert.equal(created.statusCode, 201, created.body);
      const patient = json<PatientSummary>(created);
      assert.equal(patient.email, 'maya@example.org');
      assert.equal(patient.lifecycleStatus, 'active');
      const read = await app.inject({ url: `/api/patients/${patient.id}`, headers: { cookie } });
      assert.equal(read.statusCode, 200);
      assert.equal(json<PatientSummary>(read).familyName, 'Okafor');
      const audit = await auditActions(tenant.id);
      assert.deepEqual(
        audit.filter((a) => a.action.startsWith('patient.')).map((a) => [a.action, a.patient_id, a.outcome]),
        [
          ['patient.create', patient.id, 'success'],
          ['patient.read', patient.id, 'success'],
        ],
      );
      assert.equal(audit.find((a) => a.action === 'patient.create')?.request_id, 'req-create-1');
    });

    test('lists patients in name order, pages with a cursor and searches', async () => {
      const { cookie } = await signedInTenant();
      for (const [givenName, familyName, phone] of [
        ['Zoe', 'Adams', '+14135550111'],
        ['Yusuf', 'Brown', '+14135550122'],
        ['Xena', 'Brown', undefined],
        ['Will', 'Chen', undefined],
      ] as const) {
        const r = await app.inject({
          method: 'POST',
          url: '/api/patients',
          headers: { cookie },
          payload: { givenName, familyName, ...(phone ? { phone } : {}) },
        });
        assert.equal(r.statusCode, 201);
      }
      const first = json<{ items: PatientSummary[]; nextCursor: string | null }>(
        await app.inject({ url: '/api/patients?limit=3', headers: { cookie } }),
      );
      assert.deepEqual(first.items.map((p) => p.givenName), ['Zoe', 'Xena', 'Yusuf']);
      assert.ok(first.nextCursor);
      const second = json<{ items: PatientSummary[]; nextCursor: string | null }>(
        await app.inject({ url: `/api/patients?limit=3&cursor=${first.nextCursor}`, headers: { cookie } }),
      );
      assert.deepEqual(second.items.map((p) => p.givenName), ['Will']);
      assert.equal(second.nextCursor, null);
      const byName = json<{ items: PatientSummary[] }>(await app.inject({ url: '/api/patients?q=brown', headers: { cookie } }));
      assert.deepEqual(byName.items.map((p) => p.givenName), ['Xena', 'Yusuf']);
      const byPhone = json<{ items: PatientSummary[] }>(
        await app.inject({ url: '/api/patients?q=(413) 555-0122', headers: { cookie } }),
      );
      assert.deepEqual(byPhone.items.map((p) => p.givenName), ['Yusuf']);
      const pct = json<{ items: PatientSummary[] }>(await app.inject({ url: '/api/patients?q=%25', headers: { cookie } }));
      assert.equal(pct.items.length, 0, 'a % in the search is a literal, not a wildcard');
    });

    test('another tenant\'s patient is not found, and its data never leaks', async () => {
      const a = await signedInTenant();
      const b = await signedInTenant();
      const created = await app.inject({
        method: 'POST',
        url: '/api/patients',
        headers: { cookie: a.cookie },
        payload: { givenName: 'Secret', familyName: 'Person' },
      });
      const id = json<PatientSummary>(created).id;
      const res = await app.inject({ url: `/api/patients/${id}`, headers: { cookie: b.cookie } });
      assert.equal(res.statusCode, 404);
      assert.deepEqual(json(res), { error: { code: 'not_found', message: 'Patient was not found.' } });
      const list = json<{ items: PatientSummary[] }>(await app.inject({ url: '/api/patients', headers: { cookie: b.cookie } }));
      assert.equal(list.items.length, 0);
      const notUuid = await app.inject({ url: '/api/patients/not-a-uuid', headers: { cookie: b.cookie } });
      assert.equal(notUuid.statusCode, 404);
    });

    const badBodies: Array<[string, string, number, string, string?]> = [
      ['malformed JSON', '{"givenName": "A",', 400, 'malformed_json'],
      ['an unknown field', JSON.stringify({ givenName: 'A', familyName: 'B', ssn: '123' }), 400, 'validation_failed', 'ssn'],
      ['a wrong type', JSON.stringify({ givenName: 42, familyName: 'B' }), 400, 'validation_failed', 'givenName'],
      ['a missing field', JSON.stringify({ givenName: 'A' }), 400, 'validation_failed', 'familyName'],
      ['a bad date', JSON.stringify({ givenName: 'A', familyName: 'B', birthDate: '02/04/1988' }), 400, 'validation_failed', 'birthDate'],
      ['a bad email', JSON.stringify({ givenName: 'A', familyName: 'B', email: 'not-an-email' }), 400, 'validation_failed', 'email'],
      ['an array instead of an object', '[]', 400, 'validation_failed'],
      ['an oversized body', JSON.stringify({ givenName: 'A', familyName: 'B', preferredName: 'x'.repeat(5000) }), 413, 'payload_too_large'],
    ];
    for (const [label, payload, status, code, field] of badBodies) {
      test(`refuses ${label} with ${status} ${code} and stores nothing`, async () => {
        const { tenant, cookie } = await signedInTenant();
        const res = await app.inject({
          method: 'POST',
          url: '/api/patients',
          headers: { cookie, 'content-type': 'application/json' },
          payload,
        });
        assert.equal(res.statusCode, status, res.body);
        const body = json<ErrorBody>(res);
        assert.equal(body.error.code, code);
        assert.ok(body.error.message.length > 0);
        if (field) assert.ok(body.error.fields?.some((f) => f.path === field), `names ${field}: ${res.body}`);
        assert.doesNotMatch(res.body, /at .*\.ts:\d+|select |insert into/i, 'no stack or SQL in the response');
        assert.equal(await countPatients(tenant.id), 0);
      });
    }

    test('refuses a bad query string and a forged cursor by name', async () => {
      const { cookie } = await signedInTenant();
      const limit = await app.inject({ url: '/api/patients?limit=abc', headers: { cookie } });
      assert.equal(limit.statusCode, 400);
      assert.ok(json<ErrorBody>(limit).error.fields?.some((f) => f.path === 'querystring.limit'));
      const cursor = await app.inject({ url: '/api/patients?cursor=forged', headers: { cookie } });
      assert.equal(cursor.statusCode, 400);
      assert.equal(json<ErrorBody>(cursor).error.fields?.[0]?.path, 'querystring.cursor');
    });

    test('a duplicate MRN is a conflict and stores nothing more', async () => {
      const { tenant, cookie } = await signedInTenant();
      const payload = { givenName: 'A', familyName: 'B', mrn: 'MRN-7' };
      assert.equal((await app.inject({ method: 'POST', url: '/api/patients', headers: { cookie }, payload })).statusCode, 201);
      const again = await app.inject({ method: 'POST', url: '/api/patients', headers: { cookie }, payload });
      assert.equal(again.statusCode, 409);
      assert.equal(await countPatients(tenant.id), 1);
    });
  });
}
