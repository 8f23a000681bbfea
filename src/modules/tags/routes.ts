import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { uniqueViolation } from '../../server/db/errors.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import { conflict, notFound } from '../../server/errors.ts';
import { ALL_STAFF, PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';

/** Tags: the clinic's own labels for patients ("VIP", "needs interpreter", "diabetes programme"). */

const COLORS = ['gray', 'red', 'pink', 'grape', 'violet', 'indigo', 'blue', 'cyan', 'teal', 'green', 'lime', 'yellow', 'orange'] as const;
const tag = z.object({ id: z.uuid(), name: z.string(), color: z.string(), patients: z.number().int() });
const tagBody = z.strictObject({ name: z.string().trim().min(1).max(60), color: z.enum(COLORS).optional() });
const idParams = z.object({ id: z.uuid() });

export async function listTags(scope: TenantScope) {
  const rows = await scope.tx
    .selectFrom('tag as t')
    .select((eb) => [
      't.id',
      't.name',
      't.color',
      eb.selectFrom('patient_tag as pt').select((e) => e.fn.countAll<number>().as('n')).whereRef('pt.tag_id', '=', 't.id').as('patients'),
    ])
    .orderBy(sql`lower(t.name)`)
    .execute();
  return rows.map((r) => ({ ...r, patients: Number(r.patients) }));
}

async function saveTag(scope: TenantScope, input: z.infer<typeof tagBody>, id?: string) {
  try {
    const row = id
      ? await scope.tx.updateTable('tag').set({ name: input.name, ...(input.color ? { color: input.color } : {}) }).where('id', '=', id).returning(['id', 'name', 'color']).executeTakeFirst()
      : await scope.tx.insertInto('tag').values({ tenant_id: scope.tenantId, name: input.name, color: input.color ?? 'gray' }).returning(['id', 'name', 'color']).executeTakeFirstOrThrow();
    if (!row) throw notFound('Tag');
    await scope.audit({ action: id ? 'tag.update' : 'tag.create', entityType: 'tag', entityId: row.id, detail: { name: row.name } });
    return { ...row, patients: 0 };
  } catch (error) {
    if (uniqueViolation(error) !== undefined) throw conflict(`A tag named "${input.name}" already exists.`);
    throw error;
  }
}

export async function registerTagRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  r.get(
    '/api/tags',
    { config: { access: { roles: ALL_STAFF } }, schema: { tags: ['tags'], summary: 'The clinic\'s tags with how many patients carry each', response: { 200: z.object({ items: z.array(tag) }), ...errorResponses(401) } } },
    async (request) => ({ items: await inTenant(db, request, listTags) }),
  );
  r.post(
    '/api/tags',
    { config: { access: { roles: PATIENT_STAFF } }, schema: { tags: ['tags'], summary: 'Create a tag', body: tagBody, response: { 201: tag, ...errorResponses(400, 401, 403, 409) } } },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => saveTag(scope, request.body))),
  );
  r.patch(
    '/api/tags/:id',
    { config: { access: { roles: ['admin'] } }, schema: { tags: ['tags'], summary: 'Rename or recolour a tag', params: idParams, body: tagBody, response: { 200: tag, ...errorResponses(400, 401, 403, 404, 409) } } },
    async (request) => inTenant(db, request, (scope) => saveTag(scope, request.body, request.params.id)),
  );
  r.delete(
    '/api/tags/:id',
    { config: { access: { roles: ['admin'] } }, schema: { tags: ['tags'], summary: 'Delete a tag (it is taken off every patient)', params: idParams, response: { 204: z.null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await inTenant(db, request, async (scope) => {
        const gone = await scope.tx.deleteFrom('tag').where('id', '=', request.params.id).returning(['id', 'name']).executeTakeFirst();
        if (!gone) throw notFound('Tag');
        await scope.audit({ action: 'tag.delete', entityType: 'tag', entityId: gone.id, detail: { name: gone.name } });
      });
      return reply.status(204).send(null);
    },
  );
}
