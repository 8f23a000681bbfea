import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant, type TenantScope } from '../../server/db/scope.ts';
import { notFound } from '../../server/errors.ts';
import { originOf } from '../../server/http/access.ts';
import { enforceRateLimit } from '../../server/http/rate-limit.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { parseStart } from '../scheduling/appointment-routes.ts';
import { ensureTenantLinkKey, resolveLink } from '../scheduling/links.ts';
import { findTenantBySlug } from '../tenants/service.ts';
import { bookOnline, decoyBooking } from './book.ts';
import { bookingCatalog, publicSlots } from './catalog.ts';
import { bookingIcsByLink, cancelBookingByLink, confirmBookingByLink, rescheduleBookingByLink, viewBookingByLink, type LinkContext } from './manage.ts';
import {
  bookedSchema, cancelBody, catalogSchema, manageSchema, onlineBookingBody, publicSlotQuery, publicSlotsSchema, rescheduleBody, slugParams, tokenParams,
} from './schema.ts';

/**
 * The public booking page's API: no account, no session. Everything is rate-limited per address
 * and per clinic, audited with the public as the actor, and answers without naming any patient.
 */

// Browsing (the catalog and free times) is cheap and bursty; booking and changing bookings are not.
const LIMITS = {
  browsePerAddress: { limit: 300, windowSeconds: 10 * 60 },
  browsePerClinic: { limit: 20_000, windowSeconds: 60 * 60 },
  bookPerAddress: { limit: 10, windowSeconds: 60 * 60 },
  bookPerClinic: { limit: 500, windowSeconds: 60 * 60 },
  managePerAddress: { limit: 60, windowSeconds: 10 * 60 },
  managePerClinic: { limit: 2_000, windowSeconds: 60 * 60 },
} as const;

type Limit = { limit: number; windowSeconds: number };

const ICS = 'text/calendar; charset=utf-8';
const tags = ['public'];
const access = { access: { public: true as const } };

export async function registerBookingPageRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const publicActor = { type: 'public' as const, id: null };

  const limit = async (key: string, rule: Limit, now: Date) => enforceRateLimit(db, { key, ...rule, now });

  /** The clinic behind a booking page address, rate-limited; 404 when it has no open booking page. */
  async function openPage(request: FastifyRequest, slug: string, kind: 'browse' | 'book') {
    const tenant = await findTenantBySlug(db, slug);
    if (!tenant || !tenant.booking_page_enabled) throw notFound('Booking page');
    const now = deps.clock();
    await limit(`booking-${kind}:${tenant.id}:${request.ip}`, kind === 'book' ? LIMITS.bookPerAddress : LIMITS.browsePerAddress, now);
    await limit(`booking-${kind}:${tenant.id}`, kind === 'book' ? LIMITS.bookPerClinic : LIMITS.browsePerClinic, now);
    return { tenant, now, run: <T>(work: (scope: TenantScope) => Promise<T>) => withTenant(db, { tenantId: tenant.id, actor: publicActor, origin: originOf(request) }, work) };
  }

  /** A verified manage link and a scope in its clinic; the address is limited before the link is even read. */
  async function openLink(request: FastifyRequest, token: string) {
    const now = deps.clock();
    await limit(`booking-manage:${request.ip}`, LIMITS.managePerAddress, now);
    const resolved = await resolveLink(db, token, 'manage', now);
    await limit(`booking-manage:${resolved.tenant.id}`, LIMITS.managePerClinic, now);
    const link: LinkContext = { ...resolved, token };
    return { link, now, run: <T>(work: (scope: TenantScope) => Promise<T>) => withTenant(db, { tenantId: resolved.tenant.id, actor: publicActor, origin: originOf(request) }, work) };
  }

  r.get(
    '/api/public/booking/:tenantSlug',
    {
      config: access,
      schema: {
        tags,
        security: [],
        summary: 'Booking page: the clinic, its services open to online booking, who offers them and where',
        params: slugParams,
        response: { 200: catalogSchema, ...errorResponses(400, 404, 429) },
      },
    },
    async (request) => {
      const page = await openPage(request, request.params.tenantSlug, 'browse');
      const { name, slug, time_zone: timeZone } = page.tenant;
      return page.run((scope) => bookingCatalog(scope, { name, slug, timeZone }));
    },
  );

  r.get(
    '/api/public/booking/:tenantSlug/slots',
    {
      config: access,
      schema: {
        tags,
        security: [],
        summary: 'Booking page: free times of a service between two local dates (at most 31 days), for one practitioner or any',
        params: slugParams,
        querystring: publicSlotQuery,
        response: { 200: publicSlotsSchema, ...errorResponses(400, 404, 429) },
      },
    },
    async (request) => {
      const page = await openPage(request, request.params.tenantSlug, 'browse');
      return page.run((scope) => publicSlots(scope, request.query, page.now));
    },
  );

  r.post(
    '/api/public/booking/:tenantSlug/appointments',
    {
      config: access,
      schema: {
        tags,
        security: [],
        summary: 'Booking page: book a free time with the patient\'s details; answers with a signed link to confirm, cancel or reschedule',
        params: slugParams,
        body: onlineBookingBody,
        response: { 201: bookedSchema, ...errorResponses(400, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const page = await openPage(request, request.params.tenantSlug, 'book');
      const { startsAt, website, ...rest } = request.body;
      const input = { ...rest, startsAt: parseStart(startsAt, undefined) };
      if (website) {
        const decoy = await page.run((scope) => decoyBooking(scope, input, randomBytes(32), page.now));
        return reply.status(201).send(decoy);
      }
      const key = await ensureTenantLinkKey(db, page.tenant.id);
      const booked = await page.run((scope) => bookOnline(scope, input, key, page.now));
      return reply.status(201).send(booked);
    },
  );

  const manage = '/api/public/booking/manage/:token';
  const manageResponses = { 200: manageSchema, ...errorResponses(400, 404, 409, 410, 429) };

  r.get(
    manage,
    { config: access, schema: { tags, security: [], summary: 'A booking seen through its signed link, with what the patient may still do', params: tokenParams, response: manageResponses } },
    async (request) => {
      const { link, now, run } = await openLink(request, request.params.token);
      return run((scope) => viewBookingByLink(scope, link, now));
    },
  );

  r.post(
    `${manage}/confirm`,
    { config: access, schema: { tags, security: [], summary: 'Confirm a booking through its signed link', params: tokenParams, body: z.strictObject({}).nullish(), response: manageResponses } },
    async (request) => {
      const { link, now, run } = await openLink(request, request.params.token);
      return run((scope) => confirmBookingByLink(scope, link, now));
    },
  );

  r.post(
    `${manage}/cancel`,
    { config: access, schema: { tags, security: [], summary: 'Cancel a booking through its signed link (the time is freed at once)', params: tokenParams, body: cancelBody, response: manageResponses } },
    async (request) => {
      const { link, now, run } = await openLink(request, request.params.token);
      return run((scope) => cancelBookingByLink(scope, link, request.body?.reason, now));
    },
  );

  r.post(
    `${manage}/reschedule`,
    {
      config: access,
      schema: {
        tags,
        security: [],
        summary: 'Move a booking to another free time with the same practitioner and location; answers with a fresh link',
        params: tokenParams,
        body: rescheduleBody,
        response: manageResponses,
      },
    },
    async (request) => {
      const { link, now, run } = await openLink(request, request.params.token);
      const startsAt = parseStart(request.body.startsAt, undefined);
      return run((scope) => rescheduleBookingByLink(scope, link, startsAt, now));
    },
  );

  r.get(
    `${manage}/ics`,
    {
      config: access,
      schema: {
        tags,
        security: [],
        summary: 'The booking as an iCalendar (.ics) file, through its signed link',
        params: tokenParams,
        response: {
          200: { description: 'The appointment as iCalendar (RFC 5545)', content: { 'text/calendar': { schema: z.string() } } },
          ...errorResponses(404, 410, 429),
        },
      },
    },
    async (request, reply) => {
      const { link, run } = await openLink(request, request.params.token);
      const text = await run((scope) => bookingIcsByLink(scope, link));
      return reply.type(ICS).header('content-disposition', 'attachment; filename="appointment.ics"').send(text);
    },
  );
}
