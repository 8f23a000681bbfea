import { installTenantDefaults } from '../journeys/install.ts';
import type { Kysely } from 'kysely';
import { conflict, validationFailed } from '../../server/errors.ts';
import { withSystem } from '../../server/db/scope.ts';
import type { DB, Tenant } from '../../server/db/types.ts';

export type NewTenantInput = { name: string; slug?: string; timeZone?: string };

export function slugify(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'clinic'
  );
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Words the public URLs use beside a clinic's slug (/book/manage/..., /api/public/booking/manage/...). */
const RESERVED_SLUGS = new Set(['manage', 'api', 'book', 'public', 'static', 'assets']);

/** Creates a tenant (a clinic or clinic group). Tenants are created outside any tenant's scope. */
export async function createTenant(db: Kysely<DB>, input: NewTenantInput): Promise<Tenant> {
  const name = input.name.trim();
  const slug = input.slug ?? slugify(name);
  const timeZone = input.timeZone ?? 'UTC';
  const problems = [];
  if (!name || name.length > 200) problems.push({ path: 'name', message: 'must be 1 to 200 characters' });
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug))
    problems.push({ path: 'slug', message: 'must be lowercase letters, digits and dashes, at most 63' });
  else if (RESERVED_SLUGS.has(slug)) problems.push({ path: 'slug', message: `"${slug}" is reserved (it names a page of the public booking site)` });
  if (!isValidTimeZone(timeZone)) problems.push({ path: 'timeZone', message: `"${timeZone}" is not an IANA time zone` });
  if (problems.length) throw validationFailed(problems);

  const tenant = await withSystem(db, async (tx) => {
    const taken = await tx.selectFrom('tenant').select('id').where('slug', '=', slug).executeTakeFirst();
    if (taken) throw conflict(`A tenant with slug "${slug}" already exists.`);
    return tx
      .insertInto('tenant')
      .values({ name, slug, time_zone: timeZone })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  // Every clinic starts with the shipped message templates and journeys, switched on.
  await installTenantDefaults(db, tenant.id, new Date());
  return tenant;
}

export async function findTenantBySlug(db: Kysely<DB>, slug: string): Promise<Tenant | undefined> {
  return withSystem(db, (tx) => tx.selectFrom('tenant').selectAll().where('slug', '=', slug).executeTakeFirst());
}

export async function listTenants(db: Kysely<DB>): Promise<Tenant[]> {
  return withSystem(db, (tx) => tx.selectFrom('tenant').selectAll().orderBy('created_at').execute());
}
