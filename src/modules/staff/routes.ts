import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { ALL_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';

const staffMember = z.object({ id: z.uuid(), displayName: z.string(), role: z.enum(['admin', 'clinician', 'front_desk', 'marketing']) });

/** Who works at the clinic: enough to assign a task or a lead, nothing more (no emails, no sign-in facts). */
export async function registerStaffRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/staff',
    {
      config: { access: { roles: ALL_STAFF } },
      schema: { tags: ['staff'], summary: 'Active staff of the clinic, for assigning work', response: { 200: z.object({ items: z.array(staffMember) }), ...errorResponses(401) } },
    },
    async (request) =>
      inTenant(deps.database.db, request, async (scope) => ({
        items: (
          await scope.tx.selectFrom('app_user').select(['id', 'display_name', 'role']).where('disabled_at', 'is', null).orderBy('display_name').execute()
        ).map((u) => ({ id: u.id, displayName: u.display_name, role: u.role })),
      })),
  );
}
