import { withTenant, type TenantScope } from '../../src/server/db/scope.ts';
import type { Database } from '../../src/server/db/connection.ts';
import type { NewPatient } from '../../src/server/db/types.ts';

/**
 * Fixtures for the duplicate and merge tests: patients and the rows around them, inserted straight
 * into the tables in a tenant scope (not through the patient API, so these tests do not depend on it).
 */

export const SYSTEM = { type: 'system', id: null } as const;

export function asTenant<T>(database: Database, tenantId: string, work: (scope: TenantScope) => Promise<T>): Promise<T> {
  return withTenant(database.db, { tenantId, actor: SYSTEM }, work);
}

export type PatientFixture = Omit<NewPatient, 'tenant_id'>;

/** Inserts a patient and returns its id. */
export async function insertPatient(database: Database, tenantId: string, fields: PatientFixture): Promise<string> {
  return asTenant(database, tenantId, async (scope) => {
    const row = await scope.tx.insertInto('patient').values({ tenant_id: tenantId, ...fields }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  });
}

/** The clinic structure an appointment needs: one location, practitioner and service. */
export async function insertClinic(database: Database, tenantId: string): Promise<{ locationId: string; practitionerId: string; serviceId: string }> {
  return asTenant(database, tenantId, async (scope) => {
    const location = await scope.tx
      .insertInto('location')
      .values({ tenant_id: tenantId, name: 'Main', time_zone: 'America/New_York' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const practitioner = await scope.tx
      .insertInto('practitioner')
      .values({ tenant_id: tenantId, given_name: 'Ada', family_name: 'Byron' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const service = await scope.tx
      .insertInto('service')
      .values({ tenant_id: tenantId, name: 'Check-up', duration_minutes: 30 })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { locationId: location.id, practitionerId: practitioner.id, serviceId: service.id };
  });
}
