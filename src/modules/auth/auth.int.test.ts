import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildTestApp, createTestTenant, createTestUser, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant } from '../../server/db/scope.ts';
import { requireDeclaredAccess } from '../../server/http/access.ts';
import { createApiToken } from '../staff/service.ts';

for (const engine of engines()) {
  describe(`staff sign-in, sessions and tokens (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock();
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock, config: { sessionIdleMinutes: 30, sessionMaxHours: 12, loginMaxFailures: 3 } });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    test('signs in with email and password, sets an httpOnly cookie, and knows who is signed in', async () => {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant, 'front_desk');
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: user.email.toUpperCase(), password: user.password },
      });
      assert.equal(res.statusCode, 200);
      const cookie = res.cookies.find((c) => c.name === 'rapport_session');
      assert.ok(cookie?.httpOnly, 'session cookie is httpOnly');
      assert.equal(cookie?.sameSite, 'Lax');
      const me = await app.inject({ url: '/api/auth/me', headers: { cookie: `rapport_session=${cookie.value}` } });
      assert.equal(me.statusCode, 200);
      assert.deepEqual(json(me), {
        user: { id: user.id, email: user.email, displayName: user.email.split('@')[0], role: 'front_desk' },
        tenant: { id: tenant.id, name: tenant.name },
      });
    });

    test('a wrong password or unknown email is refused the same way, and audited for a known user', async () => {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant);
      const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: 'nope' } });
      const unknown = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'nobody@staff.example.org', password: 'nope' },
      });
      assert.equal(wrong.statusCode, 401);
      assert.equal(unknown.statusCode, 401);
      assert.deepEqual(json(wrong), json(unknown));
      assert.equal(json<{ error: { code: string } }>(wrong).error.code, 'invalid_credentials');
      const audit = await withTenant(database.db, { tenantId: tenant.id, actor: { type: 'system', id: null } }, (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'outcome', 'entity_id']).where('action', '=', 'auth.login').execute(),
      );
      assert.deepEqual(audit, [{ action: 'auth.login', outcome: 'denied', entity_id: user.id }]);
    });

    test('repeated failures lock the email out with 429, even with the right password', async () => {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant);
      for (let i = 0; i < 3; i++) {
        const r = await app.inject({
          method: 'POST',
          url: '/api/auth/login',
          remoteAddress: `10.9.0.${i}`,
          payload: { email: user.email, password: `wrong-${i}` },
        });
        assert.equal(r.statusCode, 401);
      }
      const locked = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: user.email, password: user.password },
      });
      assert.equal(locked.statusCode, 429);
      assert.equal(locked.headers['retry-after'], String(15 * 60), 'Retry-After says how long the lock-out lasts');
      assert.equal(json<{ error: { code: string } }>(locked).error.code, 'rate_limited');
      clock.advance(16 * 60_000);
      const later = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: user.password } });
      assert.equal(later.statusCode, 200);
    });

    test('a session ends after 30 idle minutes but lives on while used', async () => {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant);
      const cookie = await signInCookie(app, user.email, user.password);
      for (let i = 0; i < 3; i++) {
        clock.advance(20 * 60_000);
        const r = await app.inject({ url: '/api/auth/me', headers: { cookie } });
        assert.equal(r.statusCode, 200, `still signed in after ${(i + 1) * 20} active minutes`);
      }
      clock.advance(31 * 60_000);
      const expired = await app.inject({ url: '/api/auth/me', headers: { cookie } });
      assert.equal(expired.statusCode, 401);
    });

    test('logout ends the session', async () => {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant);
      const cookie = await signInCookie(app, user.email, user.password);
      const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
      assert.equal(out.statusCode, 204);
      assert.equal(out.cookies.find((c) => c.name === 'rapport_session')?.value, '');
      const after = await app.inject({ url: '/api/auth/me', headers: { cookie } });
      assert.equal(after.statusCode, 401);
    });

    test('an API token works as a bearer credential; a made-up one is refused', async () => {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant, 'clinician');
      const { token } = await createApiToken(database.db, { email: user.email, name: 'ehr-sync' });
      const ok = await app.inject({ url: '/api/patients', headers: { authorization: `Bearer ${token}` } });
      assert.equal(ok.statusCode, 200);
      const bad = await app.inject({ url: '/api/patients', headers: { authorization: 'Bearer rpt_madeup' } });
      assert.equal(bad.statusCode, 401);
    });

    test('roles are enforced per route: marketing cannot list patients', async () => {
      const tenant = await createTestTenant(database);
      const marketer = await createTestUser(database, tenant, 'marketing');
      const cookie = await signInCookie(app, marketer.email, marketer.password);
      const res = await app.inject({ url: '/api/patients', headers: { cookie } });
      assert.equal(res.statusCode, 403);
      assert.equal(json<{ error: { code: string } }>(res).error.code, 'forbidden');
      const denied = await withTenant(database.db, { tenantId: tenant.id, actor: { type: 'system', id: null } }, (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'outcome', 'actor_id']).where('action', '=', 'access.denied').execute(),
      );
      assert.deepEqual(denied, [{ action: 'access.denied', outcome: 'denied', actor_id: marketer.id }]);
      const overview = await app.inject({ url: '/api/clinic/overview', headers: { cookie } });
      assert.equal(overview.statusCode, 200);
    });

    test('without credentials every staff route answers 401 before looking at the body', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/patients', payload: '{not json', headers: { 'content-type': 'application/json' } });
      assert.equal(res.statusCode, 401);
      assert.equal(json<{ error: { code: string } }>(res).error.code, 'unauthenticated');
    });

    test('a route that does not declare who may call it stops the app from starting', async () => {
      const bare = Fastify();
      requireDeclaredAccess(bare);
      bare.get('/api/declared', { config: { access: { public: true } } }, async () => ({ ok: true }));
      assert.throws(() => bare.get('/api/undeclared', async () => ({ secret: true })), /does not declare config.access/);
      await bare.close();
    });
  });
}
