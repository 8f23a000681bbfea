import { sql, type Kysely } from 'kysely';

/** The role every tenant-scoped transaction runs as: no BYPASSRLS, owns nothing. */
export const APP_ROLE = 'rapport_app';

/**
 * Puts a tenant-owned table behind row-level security: the application role sees and writes only
 * rows of the tenant named by the transaction's `rapport.tenant_id` setting.
 */
export async function isolateTenantTable(
  db: Kysely<unknown>,
  table: string,
  privileges: Array<'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE'> = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
): Promise<void> {
  await sql
    .raw(
      `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ${table}
  USING (tenant_id = rapport_current_tenant())
  WITH CHECK (tenant_id = rapport_current_tenant());
GRANT ${privileges.join(', ')} ON ${table} TO ${APP_ROLE};`,
    )
    .execute(db);
}
