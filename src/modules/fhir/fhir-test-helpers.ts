import type { FastifyInstance } from 'fastify';
import { createTestTenant, createTestUser, type TestTenant } from '../../../test/helpers/app.ts';
import type { TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant } from '../../server/db/scope.ts';
import { createApiToken } from '../staff/service.ts';

/** A tenant of the test's own with an API token, and a caller for the FHIR API as it. */
export async function fhirTenant(app: FastifyInstance, database: TestDatabase, role: 'admin' | 'front_desk' | 'clinician' | 'marketing' = 'admin') {
  const tenant: TestTenant = await createTestTenant(database);
  const user = await createTestUser(database, tenant, role);
  const { token } = await createApiToken(database.db, { email: user.email, name: 'fhir test' });
  const call = async <T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
    url: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) => {
    const res = await app.inject({
      method,
      url: url.startsWith('/') ? url : new URL(url).pathname + new URL(url).search,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.body !== undefined || options.raw !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
        ...options.headers,
      },
      ...(options.raw !== undefined ? { payload: options.raw } : options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
    });
    return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : undefined) as T, headers: res.headers };
  };
  const system = { tenantId: tenant.id, actor: { type: 'system' as const, id: null } };
  const count = (table: 'patient' | 'appointment' | 'task' | 'consent_event') =>
    withTenant(database.db, system, async (s) => Number((await s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n));
  const audit = () => withTenant(database.db, system, (s) => s.tx.selectFrom('audit_event').select(['action', 'entity_type', 'entity_id', 'patient_id', 'outcome']).orderBy('occurred_at').execute());
  return { tenant, user, token, call, count, audit, system };
}

export const newPatient = (family: string, given: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  name: [{ use: 'official', family, given: [given] }],
  ...extra,
});
