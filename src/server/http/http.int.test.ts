import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildTestApp, json } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { installErrorHandler } from './error-handler.ts';

for (const engine of engines()) {
  describe(`HTTP basics (${engine})`, () => {
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

    test('/healthz answers while the process is up; /readyz when the database is current', async () => {
      assert.deepEqual(json(await app.inject('/healthz')), { status: 'ok' });
      const ready = await app.inject('/readyz');
      assert.equal(ready.statusCode, 200);
      assert.deepEqual(json(ready), { status: 'ready', database: engine });
    });

    test('/readyz is 503 while migrations are pending', async () => {
      const stale = await openTestDatabase(engine, { migrate: false });
      const staleApp = await buildTestApp(stale);
      try {
        const res = await staleApp.inject('/readyz');
        assert.equal(res.statusCode, 503);
        assert.match(json<{ error: { message: string } }>(res).error.message, /0001_foundation/);
      } finally {
        await staleApp.close();
        await stale.dispose();
      }
    });

    test('every response carries a request id, the caller\'s own when it sent a sane one', async () => {
      const own = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
      assert.equal(own.headers['x-request-id'], 'abc-123');
      const hostile = await app.inject({ url: '/healthz', headers: { 'x-request-id': '<script>' } });
      assert.match(String(hostile.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });

    test('security headers are set', async () => {
      const res = await app.inject('/api/openapi.json');
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    test('the OpenAPI document describes the API and the docs page is served', async () => {
      const doc = json<{ openapi: string; paths: Record<string, unknown> }>(await app.inject('/api/openapi.json'));
      assert.equal(doc.openapi, '3.1.0');
      for (const path of ['/api/auth/login', '/api/patients', '/api/patients/{id}', '/api/clinic/overview']) {
        assert.ok(doc.paths[path], `documents ${path}`);
      }
      const page = await app.inject('/api/docs');
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /swagger/i);
    });

    test('an unknown API path is a 404 in the error format', async () => {
      const res = await app.inject('/api/nope?x=1');
      assert.equal(res.statusCode, 404);
      assert.deepEqual(json(res), { error: { code: 'not_found', message: 'No route GET /api/nope' } });
    });
  });
}

describe('error handler', () => {
  test('an unexpected failure is a 500 that reveals nothing internal', async () => {
    const app = Fastify();
    installErrorHandler(app, 1024);
    app.get('/boom', async () => {
      throw new Error('relation "patient" does not exist at select * from patient');
    });
    const res = await app.inject('/boom');
    assert.equal(res.statusCode, 500);
    assert.deepEqual(json(res), { error: { code: 'internal_error', message: 'Something went wrong on our side.' } });
    await app.close();
  });
});
