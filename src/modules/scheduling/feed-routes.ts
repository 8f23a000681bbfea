import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant } from '../../server/db/scope.ts';
import { notFound } from '../../server/errors.ts';
import { ALL_STAFF, originOf, PATIENT_STAFF } from '../../server/http/access.ts';
import { enforceRateLimit } from '../../server/http/rate-limit.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import {
  appointmentIcs, createCalendarFeed, findCalendarFeed, listCalendarFeeds, practitionerFeedCalendar, revokeCalendarFeed,
} from './feeds.ts';

/**
 * Calendar routes: staff manage a practitioner's private feeds and download one appointment's
 * .ics; calendar apps poll a feed's secret URL with no account (rate-limited per feed).
 */

// Apps refresh every 15 minutes or less often; an hour holds several devices and manual refreshes.
const PER_FEED = { limit: 60, windowSeconds: 60 * 60 };
const ICS = 'text/calendar; charset=utf-8';

const tags = ['scheduling'];
const anyStaff = { access: { roles: ALL_STAFF } };
const patientStaff = { access: { roles: PATIENT_STAFF } };
const practitionerParams = z.object({ id: z.string().max(100) });
const feedParams = z.object({ id: z.string().max(100), feedId: z.string().max(100) });
// The body is optional: a POST with none makes a feed without a label.
const newFeed = z.strictObject({ label: z.string().trim().max(100, 'must be at most 100 characters').optional() }).nullish();
const createdFeed = z.object({ id: z.uuid(), url: z.string(), label: z.string().nullable(), createdAt: z.string() });
const feed = z.object({
  id: z.uuid(),
  label: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.object({ id: z.uuid(), name: z.string() }).nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/** Where feed URLs point: the configured public address, else the address this request came to. */
const baseUrlOf = (deps: AppDeps, request: FastifyRequest) => deps.config.publicUrl ?? `${request.protocol}://${request.host}`;

export async function registerCalendarFeedRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const base = '/api/scheduling/practitioners/:id/feeds';

  r.post(
    base,
    {
      config: anyStaff,
      schema: {
        tags,
        summary: "Create a private calendar feed for a practitioner (an administrator, or the practitioner's own user); the URL is shown only in this answer",
        params: practitionerParams,
        body: newFeed,
        response: { 201: createdFeed, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const created = await inTenant(db, request, (scope) =>
        createCalendarFeed(scope, { practitionerId: request.params.id, label: request.body?.label, baseUrl: baseUrlOf(deps, request), now: deps.clock() }),
      );
      return reply.status(201).send(created);
    },
  );
  r.get(
    base,
    { config: anyStaff, schema: { tags, summary: "A practitioner's calendar feeds, revoked ones included (never their URLs)", params: practitionerParams, response: { 200: z.object({ items: z.array(feed) }), ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, async (scope) => ({ items: await listCalendarFeeds(scope, request.params.id) })),
  );
  r.delete(
    `${base}/:feedId`,
    { config: anyStaff, schema: { tags, summary: 'Revoke a calendar feed: its URL stops working at once', params: feedParams, response: { 204: z.null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await inTenant(db, request, (scope) => revokeCalendarFeed(scope, request.params.id, request.params.feedId, deps.clock()));
      return reply.status(204).send(null);
    },
  );

  r.get(
    '/api/appointments/:id/ics',
    {
      config: patientStaff,
      schema: {
        tags,
        summary: "One appointment as an iCalendar (.ics) file for the patient's calendar",
        params: z.object({ id: z.string().max(100) }),
        // A string payload with its own content type is sent as is, not serialized as JSON.
        response: {
          200: { description: 'The appointment as iCalendar (RFC 5545)', content: { 'text/calendar': { schema: z.string() } } },
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const text = await inTenant(db, request, (scope) => appointmentIcs(scope, request.params.id));
      return reply
        .type(ICS)
        .header('content-disposition', `attachment; filename="appointment-${request.params.id.slice(0, 8)}.ics"`)
        .send(text);
    },
  );

  // The URL calendar apps subscribe to. Unknown, malformed and revoked tokens all get the same 404.
  r.get(
    '/calendar/feeds/:token',
    { config: { access: { public: true } }, schema: { hide: true, params: z.object({ token: z.string().max(200) }) } },
    async (request, reply) => {
      const found = await findCalendarFeed(db, request.params.token.replace(/\.ics$/, ''));
      if (!found) throw notFound('Calendar feed');
      const now = deps.clock();
      await enforceRateLimit(db, { key: `calendar-feed:${found.feedId}`, ...PER_FEED, now });
      const context = { tenantId: found.tenantId, actor: { type: 'public' as const, id: null }, origin: originOf(request) };
      const text = await withTenant(db, context, (scope) => practitionerFeedCalendar(scope, found.feedId, now));
      return reply
        .type(ICS)
        .header('cache-control', 'private, no-store')
        .header('x-robots-tag', 'noindex, nofollow')
        .header('content-disposition', 'inline; filename="calendar.ics"')
        .send(text);
    },
  );
}
