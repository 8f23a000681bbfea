import { installTenantDefaults } from '../modules/journeys/install.ts';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createStaffUser } from '../modules/staff/service.ts';
import { withSystem } from './db/scope.ts';
import type { DB } from './db/types.ts';

export const DEMO_ADMIN_EMAIL = 'admin@demo-clinic.example.org';
export const DEMO_PATIENTS = 300;

// Any constant works; it only has to be the same in every Rapport process.
const FIRST_START_LOCK = 7_3654_2001;

export type FirstStart = { tenantId: string; admin: { email: string; password: string } } | null;

/**
 * On the very first start, creates the clinic and its administrator, and with `demo` fills it
 * with synthetic data. Later starts (and other processes racing this one) find the tenant and do
 * nothing, so the administrator's password is printed exactly once.
 */
export async function ensureFirstClinic(
  db: Kysely<DB>,
  options: { demo: boolean; now: Date; logger: Logger },
): Promise<FirstStart> {
  const tenantId = await withSystem(db, async (tx) => {
    await sql`select pg_advisory_xact_lock(${FIRST_START_LOCK})`.execute(tx);
    const existing = await tx.selectFrom('tenant').select('id').limit(1).executeTakeFirst();
    if (existing) return null;
    const created = await tx
      .insertInto('tenant')
      .values({
        name: options.demo ? 'Demo Clinic' : 'My Clinic',
        slug: options.demo ? 'demo-clinic' : 'my-clinic',
        time_zone: 'America/New_York',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return created.id;
  });
  if (!tenantId) return null;

  await installTenantDefaults(db, tenantId, options.now);
  const email = options.demo ? DEMO_ADMIN_EMAIL : 'admin@my-clinic.example.org';
  const { user, password } = await createStaffUser(db, { tenantId, email, role: 'admin', displayName: 'Clinic Administrator' });
  if (options.demo) {
    const started = Date.now();
    // Loaded only when needed: the synthetic-data generator is not part of a running clinic.
    const { seedPatients } = await import('../modules/demo/seed.ts');
    const result = await seedPatients(db, { tenantId, patients: DEMO_PATIENTS, now: options.now });
    const { addDemoRelationships } = await import('../modules/demo/relationships.ts');
    await addDemoRelationships(db, { tenantId, adminId: user.id, now: options.now });
    const { ensureDemoCommunications } = await import('../modules/demo/communications.ts');
    await ensureDemoCommunications(db, { tenantId, now: options.now });
    const { scanTenantForDuplicates } = await import('../modules/duplicates/detect.ts');
    await scanTenantForDuplicates({ db, tenantId, actor: { type: 'system', id: null } });
    options.logger.info({ ...result, ms: Date.now() - started }, 'demo clinic created');
  }
  return { tenantId, admin: { email, password } };
}
