import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { resolveApiToken, resolveSession, type AuthDeps } from '../modules/auth/service.ts';
import { registerAuthRoutes, SESSION_COOKIE } from '../modules/auth/routes.ts';
import { registerClinicRoutes } from '../modules/clinic/routes.ts';
import { registerCustomFieldRoutes } from '../modules/custom-fields/routes.ts';
import { registerDuplicateRoutes } from '../modules/duplicates/routes.ts';
import { registerAppointmentRoutes } from '../modules/scheduling/appointment-routes.ts';
import { registerImportRoutes } from '../modules/import/routes.ts';
import { registerLeadRoutes } from '../modules/leads/routes.ts';
import { registerPatientRoutes } from '../modules/patients/routes.ts';
import { registerSavedViewRoutes } from '../modules/saved-views/routes.ts';
import { registerSchedulingDirectoryRoutes } from '../modules/scheduling/directory-routes.ts';
import { registerCalendarFeedRoutes } from '../modules/scheduling/feed-routes.ts';
import { registerBookingPageRoutes } from '../modules/booking-page/routes.ts';
import { registerStaffRoutes } from '../modules/staff/routes.ts';
import { registerSearchRoutes } from '../modules/search/routes.ts';
import { registerTagRoutes } from '../modules/tags/routes.ts';
import { registerTaskRoutes } from '../modules/tasks/routes.ts';
import { registerTimelineRoutes } from '../modules/timeline/routes.ts';
import { registerSystemRoutes } from '../modules/system/routes.ts';
import { registerWaitlistRoutes } from '../modules/waitlist/routes.ts';
import { registerInboxRoutes } from '../modules/inbox/routes.ts';
import { registerJourneyRoutes } from '../modules/journeys/routes.ts';
import { registerMessagingRoutes } from '../modules/messaging/routes.ts';
import { registerPatientLinkRoutes } from '../modules/preferences/routes.ts';
import { registerWebhookRoutes } from '../modules/webhooks/routes.ts';
import { registerFhirRoutes } from '../modules/fhir/routes.ts';
import type { JobQueue } from '../jobs/runner.ts';
import { registerJourneys } from '../modules/journeys/register.ts';
import type { Config } from './config.ts';
import type { Database } from './db/connection.ts';
import { actorOf, checkAccess, originOf, requireDeclaredAccess } from './http/access.ts';
import { recordAudit } from './db/scope.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { registerWebApp } from './http/web.ts';
import { AppError } from './errors.ts';

export type AppDeps = {
  config: Config;
  database: Database;
  clock: () => Date;
  jobs?: JobQueue;
  /** Pino options or false; tests pass false. */
  logger?: FastifyServerOptions['logger'];
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Builds the HTTP application without listening, so tests can inject requests into it. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy:
      typeof deps.config.trustProxy === 'number'
        ? ((hops: number) => (_address: string, hop: number) => hop < hops)(deps.config.trustProxy)
        : deps.config.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // maxParamLength: the booking page's signed links are about 230 characters (Fastify's default is 100).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app, deps.config.bodyLimitBytes);

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    if (request.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        upgradeInsecureRequests: deps.config.cookieSecure ? [] : null,
      },
    },
    strictTransportSecurity: deps.config.cookieSecure,
  });
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Rapport API',
        version: '0.1.0',
        description:
          'JSON API of Rapport, the open-source patient relationship manager. Authenticate with the session cookie set by POST /api/auth/login or with `Authorization: Bearer <API token>`. Errors are `{ "error": { "code", "message", "fields"? } }`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  requireDeclaredAccess(app);
  // Bookings made through the API schedule their reminders in the same transaction.
  registerJourneys();

  const authDeps: AuthDeps = { db: deps.database.db, clock: deps.clock, config: deps.config };
  app.decorateRequest('principal', null);
  // Runs before body validation, so an anonymous caller learns nothing about a route's schema.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access) return;
    const bearer = request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const sessionToken = request.cookies[SESSION_COOKIE];
    if (bearer) {
      request.principal = await resolveApiToken(authDeps, bearer);
      if (!request.principal) throw new AppError(401, 'unauthenticated', 'The API token is not valid or was revoked.');
    } else if (sessionToken) {
      request.principal = await resolveSession(authDeps, sessionToken);
    }
    try {
      checkAccess(access, request.principal);
    } catch (error) {
      // A signed-in user turned away is worth knowing about; an anonymous caller has no tenant.
      if (request.principal) {
        await recordAudit(
          deps.database.db,
          { tenantId: request.principal.tenantId, actor: actorOf(request.principal), origin: originOf(request) },
          { action: 'access.denied', outcome: 'denied', detail: { method: request.method, route: request.routeOptions.url } },
        );
      }
      throw error;
    }
  });

  await registerSystemRoutes(app, deps);
  await registerAuthRoutes(app, { ...authDeps, config: deps.config });
  await registerClinicRoutes(app, deps);
  await registerPatientRoutes(app, deps);
  await registerSearchRoutes(app, deps);
  await registerTimelineRoutes(app, deps);
  await registerTaskRoutes(app, deps);
  await registerLeadRoutes(app, deps);
  await registerTagRoutes(app, deps);
  await registerCustomFieldRoutes(app, deps);
  await registerSavedViewRoutes(app, deps);
  await registerStaffRoutes(app, deps);
  await registerImportRoutes(app, deps);
  await registerDuplicateRoutes(app, deps);
  await registerAppointmentRoutes(app, deps);
  await registerSchedulingDirectoryRoutes(app, deps);
  await registerCalendarFeedRoutes(app, deps);
  await registerWaitlistRoutes(app, deps);
  await registerBookingPageRoutes(app, deps);
  await registerMessagingRoutes(app, deps);
  await registerInboxRoutes(app, deps);
  await registerJourneyRoutes(app, deps);
  await registerPatientLinkRoutes(app, deps);
  await registerWebhookRoutes(app, deps);
  await registerFhirRoutes(app, deps);
  await registerWebApp(app);
  return app;
}
