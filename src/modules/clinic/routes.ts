import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant, type TenantScope } from '../../server/db/scope.ts';
import { actorOf, ALL_STAFF, originOf, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { validationFailed } from '../../server/errors.ts';
import { isIanaTimeZone } from '../patients/normalize.ts';

const overview = z.object({
  tenant: z.object({ id: z.uuid(), name: z.string() }),
  counts: z.object({
    patients: z.number().int(),
    practitioners: z.number().int(),
    locations: z.number().int(),
    appointmentsToday: z.number().int(),
    appointmentsUpcoming: z.number().int(),
  }),
});

/** Counts for the clinic's front page; aggregates only, so every role may see them. */
export async function clinicOverview(scope: TenantScope, now: Date): Promise<z.infer<typeof overview>> {
  const tenant = await scope.tx.selectFrom('tenant').select(['id', 'name', 'time_zone']).executeTakeFirstOrThrow();
  const row = await scope.tx
    .selectNoFrom((eb) => [
      eb.selectFrom('patient').select((e) => e.fn.countAll<number>().as('n')).where('archived_at', 'is', null).as('patients'),
      eb.selectFrom('practitioner').select((e) => e.fn.countAll<number>().as('n')).where('active', '=', true).where('organization_id', 'is', null).as('practitioners'),
      eb.selectFrom('location').select((e) => e.fn.countAll<number>().as('n')).as('locations'),
      eb
        .selectFrom('appointment')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('status', '!=', 'cancelled')
        .where(sql<boolean>`(starts_at at time zone ${tenant.time_zone})::date = (${now}::timestamptz at time zone ${tenant.time_zone})::date`)
        .as('today'),
      eb
        .selectFrom('appointment')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('status', '=', 'booked')
        .where('starts_at', '>=', now)
        .as('upcoming'),
    ])
    .executeTakeFirstOrThrow();
  return {
    tenant: { id: tenant.id, name: tenant.name },
    counts: {
      patients: Number(row.patients),
      practitioners: Number(row.practitioners),
      locations: Number(row.locations),
      appointmentsToday: Number(row.today),
      appointmentsUpcoming: Number(row.upcoming),
    },
  };
}

export async function registerClinicRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/clinic/overview',
    {
      config: { access: { roles: ALL_STAFF } },
      schema: { tags: ['clinic'], summary: 'Counts for the front page', response: { 200: overview, ...errorResponses(401) } },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      return withTenant(
        deps.database.db,
        { tenantId: principal.tenantId, actor: actorOf(principal), origin: originOf(request) },
        (scope) => clinicOverview(scope, deps.clock()),
      );
    },
  );

  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/api/clinic/settings',
    { config: { access: { roles: ALL_STAFF } }, schema: { tags: ['clinic'], summary: 'The clinic\'s settings', response: { 200: settings, ...errorResponses(401) } } },
    async (request) => inTenant(deps.database.db, request, readSettings),
  );
  r.patch(
    '/api/clinic/settings',
    {
      config: { access: { roles: ['admin'] } },
      schema: { tags: ['clinic'], summary: 'Change the clinic\'s name, time zone or lapsed threshold', body: settingsUpdate, response: { 200: settings, ...errorResponses(400, 401, 403) } },
    },
    async (request) =>
      inTenant(deps.database.db, request, async (scope) => {
        const { name, timeZone, lapsedAfterDays } = request.body;
        if (timeZone && !isIanaTimeZone(timeZone)) throw validationFailed([{ path: 'timeZone', message: `"${timeZone}" is not an IANA time zone` }]);
        await scope.tx
          .updateTable('tenant')
          .set({
            ...(name ? { name } : {}),
            ...(timeZone ? { time_zone: timeZone } : {}),
            ...(lapsedAfterDays ? { lapsed_after_days: lapsedAfterDays } : {}),
          })
          .where('id', '=', scope.tenantId)
          .execute();
        await scope.audit({ action: 'clinic.settings.update', entityType: 'tenant', entityId: scope.tenantId, detail: { fields: Object.keys(request.body) } });
        return readSettings(scope);
      }),
  );
}

const settings = z.object({ name: z.string(), timeZone: z.string(), lapsedAfterDays: z.number().int() });
const settingsUpdate = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  timeZone: z.string().trim().min(1).max(64).optional(),
  lapsedAfterDays: z.number().int().min(30).max(3650).optional(),
});

async function readSettings(scope: TenantScope): Promise<z.infer<typeof settings>> {
  const t = await scope.tx.selectFrom('tenant').select(['name', 'time_zone', 'lapsed_after_days']).executeTakeFirstOrThrow();
  return { name: t.name, timeZone: t.time_zone, lapsedAfterDays: t.lapsed_after_days };
}
