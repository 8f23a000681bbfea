import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { pendingMigrations } from '../../server/db/migrate.ts';

export async function registerSystemRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/healthz',
    { schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  r.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(deps.database.db);
      const pending = await pendingMigrations(deps.database.db);
      if (pending.length > 0) {
        return reply.status(503).send({
          error: { code: 'not_ready', message: `Database migrations pending: ${pending.join(', ')}` },
        });
      }
      return { status: 'ready', database: deps.database.kind };
    } catch {
      return reply.status(503).send({ error: { code: 'not_ready', message: 'The database is not reachable.' } });
    }
  });

  r.get(
    '/api/openapi.json',
    { config: { access: { public: true } }, schema: { hide: true } },
    async () => app.swagger(),
  );
}
