import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../server/config.ts';
import { ALL_STAFF, originOf, requirePrincipal } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { signIn, signOut, type AuthDeps, type Principal } from './service.ts';

export const SESSION_COOKIE = 'rapport_session';

const signedIn = z.object({
  user: z.object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(['admin', 'clinician', 'front_desk', 'marketing']),
  }),
  tenant: z.object({ id: z.uuid(), name: z.string() }),
});

function present(principal: Principal): z.infer<typeof signedIn> {
  return {
    user: { id: principal.userId, email: principal.email, displayName: principal.displayName, role: principal.role },
    tenant: { id: principal.tenantId, name: principal.tenantName },
  };
}

export async function registerAuthRoutes(app: FastifyInstance, deps: AuthDeps & { config: Config }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const clearCookie = (reply: FastifyReply) =>
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: deps.config.cookieSecure });

  r.post(
    '/api/auth/login',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password; sets the session cookie',
        security: [],
        body: z.strictObject({ email: z.string().min(1).max(320), password: z.string().min(1).max(1000) }),
        response: { 200: signedIn, ...errorResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { token, principal } = await signIn(deps, { ...request.body, origin: originOf(request) });
      void reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.config.cookieSecure,
        maxAge: deps.config.sessionMaxHours * 3600,
      });
      return present(principal);
    },
  );

  r.post(
    '/api/auth/logout',
    {
      config: { access: { public: true } },
      schema: { tags: ['auth'], summary: 'End the current session', response: { 204: z.null() } },
    },
    async (request, reply) => {
      if (request.principal?.kind === 'session') await signOut(deps, request.principal, originOf(request));
      clearCookie(reply);
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/api/auth/me',
    {
      config: { access: { roles: ALL_STAFF } },
      schema: { tags: ['auth'], summary: 'The signed-in user and tenant', response: { 200: signedIn, ...errorResponses(401) } },
    },
    async (request) => present(requirePrincipal(request)),
  );
}
