import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { forbidden, notFound } from '../../server/errors.ts';
import { PATIENT_STAFF, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { patientFilters } from '../patients/schema.ts';

/** Named patient-list filters: a user's own, or shared with the clinic. */

/** Filters as the list's query string carries them (strings), validated by the same schema. */
const storedFilters = z.record(z.string(), z.string().max(2000)).superRefine((value, ctx) => {
  const check = patientFilters.safeParse(value);
  if (!check.success) for (const issue of check.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

const view = z.object({
  id: z.uuid(),
  name: z.string(),
  filters: z.record(z.string(), z.string()),
  shared: z.boolean(),
  mine: z.boolean(),
  createdAt: z.string(),
});
const newView = z.strictObject({ name: z.string().trim().min(1).max(80), filters: storedFilters, shared: z.boolean().optional() });

export async function registerSavedViewRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const access = { access: { roles: PATIENT_STAFF } };

  r.get(
    '/api/saved-views',
    { config: access, schema: { tags: ['patients'], summary: 'Saved patient-list views: mine and shared ones', response: { 200: z.object({ items: z.array(view) }), ...errorResponses(401, 403) } } },
    async (request) => {
      const me = requirePrincipal(request).userId;
      const rows = await inTenant(db, request, (scope) =>
        scope.tx
          .selectFrom('saved_view')
          .selectAll()
          .where((eb) => eb.or([eb('owner_id', '=', me), eb('shared', '=', true)]))
          .orderBy('name')
          .execute(),
      );
      return {
        items: rows.map((v) => ({
          id: v.id,
          name: v.name,
          filters: v.filters as Record<string, string>,
          shared: v.shared,
          mine: v.owner_id === me,
          createdAt: new Date(v.created_at).toISOString(),
        })),
      };
    },
  );

  r.post(
    '/api/saved-views',
    { config: access, schema: { tags: ['patients'], summary: 'Save the current patient-list filters under a name', body: newView, response: { 201: view, ...errorResponses(400, 401, 403) } } },
    async (request, reply) => {
      const me = requirePrincipal(request).userId;
      const row = await inTenant(db, request, async (scope) => {
        const created = await scope.tx
          .insertInto('saved_view')
          .values({ tenant_id: scope.tenantId, owner_id: me, name: request.body.name, filters: JSON.stringify(request.body.filters), shared: request.body.shared ?? false })
          .returningAll()
          .executeTakeFirstOrThrow();
        await scope.audit({ action: 'saved_view.create', entityType: 'saved_view', entityId: created.id });
        return created;
      });
      return reply.status(201).send({
        id: row.id,
        name: row.name,
        filters: row.filters as Record<string, string>,
        shared: row.shared,
        mine: true,
        createdAt: new Date(row.created_at).toISOString(),
      });
    },
  );

  r.delete(
    '/api/saved-views/:id',
    { config: access, schema: { tags: ['patients'], summary: 'Delete one of my saved views', params: z.object({ id: z.uuid() }), response: { 204: z.null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await inTenant(db, request, async (scope) => {
        const found = await scope.tx.selectFrom('saved_view').select(['id', 'owner_id']).where('id', '=', request.params.id).executeTakeFirst();
        if (!found) throw notFound('Saved view');
        if (found.owner_id !== principal.userId && principal.role !== 'admin') throw forbidden('Only its owner or an administrator can delete a saved view.');
        await scope.tx.deleteFrom('saved_view').where('id', '=', found.id).execute();
        await scope.audit({ action: 'saved_view.delete', entityType: 'saved_view', entityId: found.id });
      });
      return reply.status(204).send(null);
    },
  );
}
