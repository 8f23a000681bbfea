import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { uniqueViolation } from '../../server/db/errors.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import { conflict, notFound, validationFailed } from '../../server/errors.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';

/** Tenant-defined patient fields, typed; values are checked against these on every write. */

const field = z.object({
  id: z.uuid(),
  key: z.string(),
  label: z.string(),
  type: z.enum(['text', 'number', 'date', 'choice']),
  choices: z.array(z.string()).nullable(),
  required: z.boolean(),
  archived: z.boolean(),
});
const choices = z.array(z.string().trim().min(1).max(100)).min(1).max(100);
const newField = z
  .strictObject({
    key: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be lower_snake_case, starting with a letter'),
    label: z.string().trim().min(1).max(100),
    type: z.enum(['text', 'number', 'date', 'choice']),
    choices: choices.optional(),
    required: z.boolean().optional(),
  })
  .refine((f) => (f.type === 'choice') === Boolean(f.choices), { message: 'choices are given for, and only for, a choice field', path: ['choices'] });
const fieldUpdate = z.strictObject({
  label: z.string().trim().min(1).max(100).optional(),
  choices: choices.optional(),
  required: z.boolean().optional(),
  archived: z.boolean().optional(),
});

type Row = { id: string; key: string; label: string; type: 'text' | 'number' | 'date' | 'choice'; choices: string[] | null; required: boolean; archived_at: Date | null };
const present = ({ archived_at, ...r }: Row) => ({ ...r, archived: archived_at !== null });
const COLUMNS = ['id', 'key', 'label', 'type', 'choices', 'required', 'archived_at'] as const;

async function updateField(scope: TenantScope, id: string, input: z.infer<typeof fieldUpdate>, now: Date) {
  const current = await scope.tx.selectFrom('custom_field').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!current) throw notFound('Custom field');
  if (input.choices && current.type !== 'choice') throw validationFailed([{ path: 'choices', message: `only a choice field has choices; this one is ${current.type}` }]);
  const row = await scope.tx
    .updateTable('custom_field')
    .set({
      ...(input.label ? { label: input.label } : {}),
      ...(input.choices ? { choices: input.choices } : {}),
      ...(input.required !== undefined ? { required: input.required } : {}),
      ...(input.archived !== undefined ? { archived_at: input.archived ? (current.archived_at ?? now) : null } : {}),
    })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'custom_field.update', entityType: 'custom_field', entityId: id, detail: { key: row.key } });
  return present(row);
}

export async function registerCustomFieldRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  r.get(
    '/api/custom-fields',
    { config: { access: { roles: PATIENT_STAFF } }, schema: { tags: ['custom fields'], summary: 'The clinic\'s custom patient fields', response: { 200: z.object({ items: z.array(field) }), ...errorResponses(401, 403) } } },
    async (request) =>
      inTenant(db, request, async (scope) => ({
        items: (await scope.tx.selectFrom('custom_field').select(COLUMNS).orderBy('created_at').execute()).map(present),
      })),
  );
  r.post(
    '/api/custom-fields',
    { config: { access: { roles: ['admin'] } }, schema: { tags: ['custom fields'], summary: 'Define a custom patient field', body: newField, response: { 201: field, ...errorResponses(400, 401, 403, 409) } } },
    async (request, reply) => {
      const created = await inTenant(db, request, async (scope) => {
        try {
          const row = await scope.tx
            .insertInto('custom_field')
            .values({ tenant_id: scope.tenantId, key: request.body.key, label: request.body.label, type: request.body.type, choices: request.body.choices ?? null, required: request.body.required ?? false })
            .returning(COLUMNS)
            .executeTakeFirstOrThrow();
          await scope.audit({ action: 'custom_field.create', entityType: 'custom_field', entityId: row.id, detail: { key: row.key } });
          return present(row);
        } catch (error) {
          if (uniqueViolation(error) !== undefined) throw conflict(`A custom field with key "${request.body.key}" already exists.`);
          throw error;
        }
      });
      return reply.status(201).send(created);
    },
  );
  r.patch(
    '/api/custom-fields/:id',
    { config: { access: { roles: ['admin'] } }, schema: { tags: ['custom fields'], summary: 'Relabel, change choices, require or archive a field', params: z.object({ id: z.uuid() }), body: fieldUpdate, response: { 200: field, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => updateField(scope, request.params.id, request.body, deps.clock())),
  );
}
