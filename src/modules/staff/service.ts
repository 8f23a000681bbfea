import type { Kysely } from 'kysely';
import { z } from 'zod';
import { conflict, notFound, validationFailed } from '../../server/errors.ts';
import { withSystem, withTenant, type Actor } from '../../server/db/scope.ts';
import { STAFF_ROLES, type AppUser, type DB, type StaffRole } from '../../server/db/types.ts';
import { generatePassword, hashPassword, newSecret } from '../auth/secrets.ts';

const emailSchema = z.email({ message: 'must be an email address' });

export type NewStaffInput = { tenantId: string; email: string; role: string; displayName?: string };

/** Creates a staff user with a generated one-time password, returned once and never stored in clear. */
export async function createStaffUser(
  db: Kysely<DB>,
  input: NewStaffInput,
  actor: Actor = { type: 'system', id: null },
): Promise<{ user: AppUser; password: string }> {
  const email = input.email.trim().toLowerCase();
  const problems = [];
  if (!emailSchema.safeParse(email).success) problems.push({ path: 'email', message: 'must be an email address' });
  if (!STAFF_ROLES.includes(input.role as StaffRole))
    problems.push({ path: 'role', message: `must be one of ${STAFF_ROLES.join(', ')}` });
  if (problems.length) throw validationFailed(problems);

  const password = generatePassword();
  const passwordHash = await hashPassword(password);
  const displayName = input.displayName?.trim() || email.split('@')[0] || email;

  // The email index spans tenants, which the tenant scope cannot see; check it first.
  const existing = await withSystem(db, (tx) =>
    tx
      .selectFrom('app_user')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .executeTakeFirst(),
  );
  if (existing) throw conflict(`A user with email ${email} already exists.`);

  const user = await withTenant(db, { tenantId: input.tenantId, actor }, async (scope) => {
    const created = await scope.tx
      .insertInto('app_user')
      .values({
        tenant_id: input.tenantId,
        email,
        display_name: displayName,
        role: input.role as StaffRole,
        password_hash: passwordHash,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await scope.audit({ action: 'staff.create', entityType: 'app_user', entityId: created.id, detail: { role: created.role } });
    return created;
  });
  return { user, password };
}

export async function findStaffByEmail(db: Kysely<DB>, email: string): Promise<AppUser | undefined> {
  return withSystem(db, (tx) =>
    tx
      .selectFrom('app_user')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
      .executeTakeFirst(),
  );
}

/** Issues an API token for an integration acting as `email`; the token is shown once. */
export async function createApiToken(
  db: Kysely<DB>,
  input: { email: string; name?: string },
): Promise<{ token: string; user: AppUser }> {
  const user = await findStaffByEmail(db, input.email);
  if (!user) throw notFound(`User ${input.email}`);
  const { token, hash } = newSecret('rpt');
  await withTenant(db, { tenantId: user.tenant_id, actor: { type: 'system', id: null } }, async (scope) => {
    const row = await scope.tx
      .insertInto('api_token')
      .values({ tenant_id: user.tenant_id, user_id: user.id, token_hash: hash, name: input.name ?? 'cli' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await scope.audit({ action: 'api_token.create', entityType: 'api_token', entityId: row.id, detail: { userId: user.id } });
  });
  return { token, user };
}
