import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../modules/auth/service.ts';
import type { Actor, RequestOrigin } from '../db/scope.ts';
import type { StaffRole } from '../db/types.ts';
import { forbidden, unauthenticated } from '../errors.ts';

/**
 * Who may call a route. Every /api route states one; a route without it fails at start-up, so
 * the default is that nobody may call it.
 */
export type Access = { public: true } | { roles: readonly StaffRole[] };

export const ALL_STAFF: readonly StaffRole[] = ['admin', 'clinician', 'front_desk', 'marketing'];
/** Staff who work with individual patients; marketing sees aggregates and segments only. */
export const PATIENT_STAFF: readonly StaffRole[] = ['admin', 'clinician', 'front_desk'];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'];
  return { requestId: request.id, ip: request.ip, ...(userAgent ? { userAgent } : {}) };
}

export function actorOf(principal: Principal): Actor {
  return principal.kind === 'session'
    ? { type: 'user', id: principal.userId, role: principal.role }
    : { type: 'api_token', id: principal.credentialId, userId: principal.userId, role: principal.role };
}

/** The signed-in principal of a request whose route demanded one. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated();
  return request.principal;
}

export function checkAccess(access: Access, principal: Principal | null): void {
  if ('public' in access) return;
  if (!principal) throw unauthenticated();
  if (!access.roles.includes(principal.role)) throw forbidden();
}

/** Every API route must say who may call it; registering one that does not throws. */
export function requireDeclaredAccess(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/') || route.url.startsWith('/api/docs')) return;
    if (!route.config?.access) {
      throw new Error(`Route ${String(route.method)} ${route.url} does not declare config.access`);
    }
  });
}
