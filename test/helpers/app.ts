import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig, type Config } from '../../src/server/config.ts';
import type { Database } from '../../src/server/db/connection.ts';
import type { StaffRole } from '../../src/server/db/types.ts';
import { createStaffUser } from '../../src/modules/staff/service.ts';
import { createTenant } from '../../src/modules/tenants/service.ts';

let counter = 0;

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ RAPPORT_DEMO: 'false', LOG_LEVEL: 'silent' }), ...overrides };
}

/** A clock tests move by hand; nothing in a test sleeps to wait for time. */
export function manualClock(start = new Date('2026-11-22T14:00:00Z')) {
  let now = start.getTime();
  const clock = () => new Date(now);
  clock.advance = (ms: number) => {
    now += ms;
  };
  clock.set = (to: Date) => {
    now = to.getTime();
  };
  return clock;
}

export async function buildTestApp(
  database: Database,
  options: { config?: Partial<Config>; clock?: () => Date } = {},
): Promise<FastifyInstance> {
  const app = await buildApp({
    config: testConfig(options.config),
    database,
    clock: options.clock ?? (() => new Date()),
    logger: false,
  });
  await app.ready();
  return app;
}

export type TestTenant = { id: string; slug: string; name: string };

/** A tenant of the test's own, so tests never see each other's rows. */
export async function createTestTenant(database: Database, name = 'Test Clinic'): Promise<TestTenant> {
  counter += 1;
  const slug = `t-${process.pid}-${Date.now().toString(36)}-${counter}`;
  const tenant = await createTenant(database.db, { name: `${name} ${counter}`, slug, timeZone: 'America/New_York' });
  return { id: tenant.id, slug: tenant.slug, name: tenant.name };
}

export async function createTestUser(
  database: Database,
  tenant: TestTenant,
  role: StaffRole = 'admin',
): Promise<{ id: string; email: string; password: string }> {
  counter += 1;
  const email = `${role}.${counter}.${tenant.slug}@staff.example.org`;
  const { user, password } = await createStaffUser(database.db, { tenantId: tenant.id, email, role });
  return { id: user.id, email, password };
}

/** Signs in through the API and returns the Cookie header value for later requests. */
export async function signInCookie(app: FastifyInstance, email: string, password: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const cookie = res.cookies.find((c) => c.name === 'rapport_session');
  if (!cookie) throw new Error('no session cookie');
  return `rapport_session=${cookie.value}`;
}

export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T;
}
