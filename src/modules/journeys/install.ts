import type { Kysely } from 'kysely';
import { withSystem, withTenant } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { installDefaults } from './defaults.ts';

/** Gives one clinic the shipped templates and journeys (those it lacks, by key). */
export async function installTenantDefaults(db: Kysely<DB>, tenantId: string, now: Date) {
  return withTenant(db, { tenantId, actor: { type: 'system', id: null } }, (scope) => installDefaults(scope, now));
}

/**
 * At start: clinics created before journeys existed get the defaults once. A clinic that has any
 * journey has had them (and may have deleted some on purpose), so it is left alone.
 */
export async function installMissingDefaults(db: Kysely<DB>, now: Date): Promise<number> {
  const tenants = await withSystem(db, (tx) =>
    tx
      .selectFrom('tenant')
      .select('id')
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('journey').select('journey.id').whereRef('journey.tenant_id', '=', 'tenant.id'))))
      .execute(),
  );
  for (const tenant of tenants) await installTenantDefaults(db, tenant.id, now);
  return tenants.length;
}
