import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant } from '../../server/db/scope.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { originOf } from '../../server/http/access.ts';
import { enforceRateLimit } from '../../server/http/rate-limit.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { findTenantBySlug } from '../tenants/service.ts';
import { webFormBody, type WebFormBody } from './schema.ts';
import { createLead } from './service.ts';
import { renderContactForm, renderThanks } from './web-form-page.ts';

/**
 * The public enquiry form: a JSON endpoint a clinic's own website can post to (CORS open, no
 * credentials), and a hosted page it can link to or embed in an iframe. Rate-limited per address,
 * with a honeypot field against bots. No account, no session.
 */

const PER_ADDRESS = { limit: 5, windowSeconds: 10 * 60 };
const PER_CLINIC = { limit: 300, windowSeconds: 60 * 60 };
const slugParams = z.object({ tenantSlug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'is not a clinic address') });

type Outcome = { accepted: true; leadId: string | null };

/** Takes one submission; a filled honeypot is answered like a success and stores nothing. */
async function takeSubmission(deps: AppDeps, request: FastifyRequest, slug: string, body: WebFormBody): Promise<Outcome> {
  const tenant = await findTenantBySlug(deps.database.db, slug);
  if (!tenant) throw notFound('Clinic');
  const now = deps.clock();
  await enforceRateLimit(deps.database.db, { key: `lead-form:${tenant.id}:${request.ip}`, ...PER_ADDRESS, now });
  await enforceRateLimit(deps.database.db, { key: `lead-form:${tenant.id}`, ...PER_CLINIC, now });
  const context = { tenantId: tenant.id, actor: { type: 'public' as const, id: null }, origin: originOf(request) };
  if (body.website) {
    await withTenant(deps.database.db, context, (scope) =>
      scope.audit({ action: 'lead.web_form', entityType: 'lead', outcome: 'denied', detail: { reason: 'honeypot' } }),
    );
    return { accepted: true, leadId: null };
  }
  const lead = await withTenant(deps.database.db, context, (scope) =>
    createLead(
      scope,
      {
        givenName: body.givenName,
        familyName: body.familyName,
        phone: body.phone,
        email: body.email,
        interest: body.interest,
        message: body.message,
        source: {
          channel: body.utmSource ? 'campaign' : 'web form',
          referrer: body.referrer || null,
          utmSource: body.utmSource || null,
          utmMedium: body.utmMedium || null,
          utmCampaign: body.utmCampaign || null,
          utmTerm: body.utmTerm || null,
          utmContent: body.utmContent || null,
          campaign: body.utmCampaign || null,
        },
      },
      'web_form',
      now,
    ),
  );
  return { accepted: true, leadId: lead.id };
}

const cors = (reply: FastifyReply) =>
  reply
    .header('access-control-allow-origin', '*')
    .header('access-control-allow-methods', 'POST, OPTIONS')
    .header('access-control-allow-headers', 'content-type')
    .header('access-control-max-age', '600');

/** Pages meant to be framed by the clinic's own site: no scripts at all, framing allowed. */
function framedPage(reply: FastifyReply): FastifyReply {
  reply.removeHeader('x-frame-options');
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors *; base-uri 'none'");
}

export async function registerWebFormRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.options(
    '/api/public/leads/:tenantSlug',
    { config: { access: { public: true } }, schema: { hide: true } },
    async (_request, reply) => cors(reply).status(204).send(),
  );
  r.post(
    '/api/public/leads/:tenantSlug',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['public'],
        summary: 'Public enquiry form: creates a lead with its source (rate-limited; no credentials)',
        security: [],
        params: slugParams,
        body: webFormBody,
        response: { 202: z.object({ accepted: z.literal(true) }), ...errorResponses(400, 404, 429) },
      },
    },
    async (request, reply) => {
      cors(reply);
      await takeSubmission(deps, request, request.params.tenantSlug, request.body);
      return reply.status(202).send({ accepted: true });
    },
  );

  // The hosted page posts an ordinary HTML form, so it works with no JavaScript, inside an iframe.
  await app.register(async (forms) => {
    await forms.register(formbody);
    const f = forms.withTypeProvider<ZodTypeProvider>();
    f.get(
      '/forms/:tenantSlug/contact',
      { schema: { hide: true, params: slugParams, querystring: z.record(z.string(), z.string()) } },
      async (request, reply) => {
        const tenant = await findTenantBySlug(deps.database.db, request.params.tenantSlug);
        if (!tenant) throw notFound('Clinic');
        return framedPage(reply).send(renderContactForm({ clinicName: tenant.name, action: request.url.split('?')[0]!, hidden: pickTracking(request.query) }));
      },
    );
    f.post('/forms/:tenantSlug/contact', { schema: { hide: true, params: slugParams } }, async (request, reply) => {
      const tenant = await findTenantBySlug(deps.database.db, request.params.tenantSlug);
      if (!tenant) throw notFound('Clinic');
      const raw = (request.body ?? {}) as Record<string, string>;
      const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => typeof v === 'string' && v.trim() !== ''));
      const parsed = webFormBody.safeParse(cleaned);
      const page = { clinicName: tenant.name, action: request.url, hidden: pickTracking(raw), values: raw };
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => ({ path: i.path.join('.') || 'form', message: i.message }));
        return framedPage(reply).status(400).send(renderContactForm({ ...page, problems }));
      }
      try {
        await takeSubmission(deps, request, tenant.slug, parsed.data);
      } catch (error) {
        if (error instanceof AppError && error.status < 500) {
          const problems = error.fields ?? [{ path: 'form', message: error.message }];
          if (error.retryAfterSeconds) void reply.header('retry-after', String(error.retryAfterSeconds));
          return framedPage(reply).status(error.status).send(renderContactForm({ ...page, problems }));
        }
        throw error;
      }
      return framedPage(reply).send(renderThanks(tenant.name));
    });
  });
}

const TRACKING = ['referrer', 'utmSource', 'utmMedium', 'utmCampaign', 'utmTerm', 'utmContent'] as const;
const FROM_QUERY: Record<string, (typeof TRACKING)[number]> = {
  referrer: 'referrer',
  utm_source: 'utmSource',
  utm_medium: 'utmMedium',
  utm_campaign: 'utmCampaign',
  utm_term: 'utmTerm',
  utm_content: 'utmContent',
};

/** The campaign tags of the page that linked here (utm_* in the query, or already in the form). */
function pickTracking(values: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    const name = FROM_QUERY[key] ?? (TRACKING.includes(key as (typeof TRACKING)[number]) ? key : undefined);
    if (name && typeof value === 'string' && value) out[name] = value.slice(0, 200);
  }
  return out;
}
