import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { withTenant, type TenantScope } from '../db/scope.ts';
import type { DB } from '../db/types.ts';
import { actorOf, originOf, requirePrincipal } from './access.ts';

/**
 * Runs a route's work in the signed-in caller's tenant: one transaction, row-level security on,
 * and audit records that name the caller, the request id and where the request came from.
 */
export function inTenant<T>(db: Kysely<DB>, request: FastifyRequest, work: (scope: TenantScope) => Promise<T>): Promise<T> {
  const principal = requirePrincipal(request);
  return withTenant(db, { tenantId: principal.tenantId, actor: actorOf(principal), origin: originOf(request) }, work);
}
