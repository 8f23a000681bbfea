import type { FastifyInstance } from 'fastify';
import { createTestTenant, createTestUser, json, signInCookie, type TestTenant } from './app.ts';
import type { TestDatabase } from './database.ts';
import { withTenant } from '../../src/server/db/scope.ts';

export type ErrorBody = {
  error: { code: string; message: string; fields?: Array<{ path: string; message: string }>; details?: unknown };
};

/** A tenant of the test's own with a signed-in user, and small helpers to call the API as them. */
export async function signedInTenant(app: FastifyInstance, database: TestDatabase, role: 'admin' | 'front_desk' | 'clinician' | 'marketing' = 'admin') {
  const tenant: TestTenant = await createTestTenant(database);
  const user = await createTestUser(database, tenant, role);
  const cookie = await signInCookie(app, user.email, user.password);
  const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const res = await app.inject({ method, url, headers: { cookie }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    return { status: res.statusCode, body: res.body ? json<T>(res) : (undefined as T), raw: res };
  };
  const system = { tenantId: tenant.id, actor: { type: 'system' as const, id: null } };
  const count = (table: 'patient' | 'patient_identifier' | 'patient_tag' | 'patient_change' | 'timeline_event' | 'task' | 'lead' | 'patient_contact_point') =>
    withTenant(database.db, system, async (s) =>
      Number((await s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n),
    );
  const audit = () =>
    withTenant(database.db, system, (s) =>
      s.tx.selectFrom('audit_event').select(['action', 'patient_id', 'outcome', 'entity_id']).orderBy('occurred_at').execute(),
    );
  return { tenant, user, cookie, call, count, audit, system };
}
