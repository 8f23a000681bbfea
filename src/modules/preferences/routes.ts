import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant, type TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { originOf } from '../../server/http/access.ts';
import { enforceRateLimit } from '../../server/http/rate-limit.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { resolveLink, type LinkPurpose } from '../scheduling/links.ts';
import { registerBounceWebhook } from './bounce-routes.ts';
import { acceptOfferByLink, declineOfferByLink, viewOffer } from './offer.ts';
import { changePreferences, unsubscribeByLink, viewPreferences, type PatientLink } from './preferences.ts';
import {
  offerSchema, preferenceChangesBody, preferencesSchema, surveyBody, surveySchema, tokenParams, unsubscribedSchema, unsubscribeQuery,
} from './schema.ts';
import { answerSurvey, viewSurvey } from './survey.ts';

/**
 * The pages patients reach from their messages, with no account: the preference centre and
 * one-click unsubscribe, the visit survey, and the waitlist offer; and the signed bounce webhook.
 * Every link is rate-limited per address before it is even read and per clinic after, and every
 * use is audited with the public as the actor.
 */

type Limit = { limit: number; windowSeconds: number };

const LIMITS = {
  linkPerAddress: { limit: 60, windowSeconds: 10 * 60 },
  linkPerClinic: { limit: 2_000, windowSeconds: 60 * 60 },
  // One-click unsubscribes are posted by mail providers, many patients from a few addresses.
  unsubscribePerAddress: { limit: 600, windowSeconds: 10 * 60 },
  unsubscribePerClinic: { limit: 10_000, windowSeconds: 60 * 60 },
} satisfies Record<string, Limit>;

const tags = ['public'];
const access = { access: { public: true as const } };
const publicActor = { type: 'public' as const, id: null };
/** Mail clients post `List-Unsubscribe=One-Click` as a form (RFC 8058); the body says nothing the link does not. */
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export async function registerPatientLinkRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  /** A verified link of one purpose and a scope in its clinic; the address is limited before the link is read. */
  async function openLink(request: FastifyRequest, token: string, purpose: LinkPurpose, kind: 'link' | 'unsubscribe' = 'link') {
    const now = deps.clock();
    const [perAddress, perClinic] = kind === 'link' ? [LIMITS.linkPerAddress, LIMITS.linkPerClinic] : [LIMITS.unsubscribePerAddress, LIMITS.unsubscribePerClinic];
    await enforceRateLimit(db, { key: `patient-${kind}:${request.ip}`, ...perAddress, now });
    const resolved = await resolveLink(db, token, purpose, now);
    await enforceRateLimit(db, { key: `patient-${kind}:${resolved.tenant.id}`, ...perClinic, now });
    const link: PatientLink = { ...resolved, token };
    const run = <T>(work: (scope: TenantScope) => Promise<T>) => withTenant(db, { tenantId: resolved.tenant.id, actor: publicActor, origin: originOf(request) }, work);
    return { link, now, run };
  }

  const r = app.withTypeProvider<ZodTypeProvider>();
  const linkErrors = errorResponses(400, 404, 410, 429);

  const preferences = '/api/public/preferences/:token';
  r.get(
    preferences,
    {
      config: access,
      schema: { tags, security: [], summary: 'Preference centre: what the patient agreed to receive, by channel and purpose', params: tokenParams, response: { 200: preferencesSchema, ...linkErrors } },
    },
    async (request) => {
      const { link, run } = await openLink(request, request.params.token, 'preferences');
      return run((scope) => viewPreferences(scope, link));
    },
  );

  r.post(
    preferences,
    {
      config: access,
      schema: {
        tags,
        security: [],
        summary: 'Preference centre: change answers (email or SMS, per purpose); a withdrawal stops waiting messages at once',
        params: tokenParams,
        body: preferenceChangesBody,
        response: { 200: preferencesSchema, ...linkErrors },
      },
    },
    async (request) => {
      const { link, now, run } = await openLink(request, request.params.token, 'preferences');
      return run((scope) => changePreferences(scope, link, request.body.changes, now));
    },
  );

  r.get(
    `${preferences}/unsubscribe`,
    {
      config: access,
      // A HEAD (link scanners, previews) must not unsubscribe anybody.
      exposeHeadRoute: false,
      schema: {
        tags,
        security: [],
        summary: 'Unsubscribe link: withdraws one channel and purpose, then redirects (303) to the preference page',
        params: tokenParams,
        querystring: unsubscribeQuery,
        response: errorResponses(400, 429),
      },
    },
    async (request, reply) => {
      const page = `/preferences/${encodeURIComponent(request.params.token)}`;
      try {
        const { link, now, run } = await openLink(request, request.params.token, 'preferences', 'unsubscribe');
        const done = await run((scope) => unsubscribeByLink(scope, link, request.query.channel, request.query.purpose, now));
        return reply.redirect(`${page}?unsubscribed=${done.purpose}${done.channel === 'email' ? '' : `&channel=${done.channel}`}`, 303);
      } catch (error) {
        // A person clicked it: the page explains a broken or expired link better than JSON does.
        if (error instanceof AppError && (error.code === 'link_not_found' || error.code === 'link_expired')) return reply.redirect(page, 303);
        throw error;
      }
    },
  );

  // The one-click POST in its own scope, where form bodies are accepted (and ignored).
  await app.register(async (scoped) => {
    scoped.addContentTypeParser(FORM_TYPES, { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => done(null, body));
    scoped.withTypeProvider<ZodTypeProvider>().post(
      `${preferences}/unsubscribe`,
      {
        config: access,
        schema: {
          tags,
          security: [],
          summary: 'One-click unsubscribe (RFC 8058): the mail client posts List-Unsubscribe=One-Click; withdraws one channel and purpose',
          consumes: FORM_TYPES,
          params: tokenParams,
          querystring: unsubscribeQuery,
          response: { 200: unsubscribedSchema, ...linkErrors },
        },
      },
      async (request) => {
        const { link, now, run } = await openLink(request, request.params.token, 'preferences', 'unsubscribe');
        return run((scope) => unsubscribeByLink(scope, link, request.query.channel, request.query.purpose, now));
      },
    );
  });

  const survey = '/api/public/survey/:token';
  r.get(
    survey,
    { config: access, schema: { tags, security: [], summary: 'Visit survey: the visit it is about, and whether it was answered', params: tokenParams, response: { 200: surveySchema, ...linkErrors } } },
    async (request) => {
      const { link, run } = await openLink(request, request.params.token, 'survey');
      return run((scope) => viewSurvey(scope, link));
    },
  );

  r.post(
    survey,
    {
      config: access,
      schema: {
        tags,
        security: [],
        summary: 'Visit survey: answer once (score 0-10 and an optional comment); a second answer is 409',
        params: tokenParams,
        body: surveyBody,
        response: { 200: surveySchema, ...errorResponses(400, 404, 409, 410, 429) },
      },
    },
    async (request) => {
      const { link, now, run } = await openLink(request, request.params.token, 'survey');
      return run((scope) => answerSurvey(scope, link, request.body, now));
    },
  );

  const offer = '/api/public/offers/:token';
  const offerResponses = { 200: offerSchema, ...errorResponses(400, 404, 409, 410, 429) };
  r.get(
    offer,
    { config: access, schema: { tags, security: [], summary: 'Waitlist offer: the slot held for the patient, until when, and its state', params: tokenParams, response: offerResponses } },
    async (request) => {
      const { link, now, run } = await openLink(request, request.params.token, 'offer');
      return run((scope) => viewOffer(scope, link, now));
    },
  );

  for (const [action, answer, summary] of [
    ['accept', acceptOfferByLink, 'Waitlist offer: take the slot (the first patient to accept books it; later ones get 409)'],
    ['decline', declineOfferByLink, 'Waitlist offer: turn the slot down, so the next patient can be asked'],
  ] as const) {
    r.post(
      `${offer}/${action}`,
      { config: access, schema: { tags, security: [], summary, params: tokenParams, body: z.strictObject({}).nullish(), response: offerResponses } },
      async (request) => {
        const { link, now, run } = await openLink(request, request.params.token, 'offer');
        const result = await run((scope) => answer(scope, link, now));
        // Thrown after the commit, so what the refusal recorded (an offer found expired ...) stays.
        if ('refused' in result) throw result.refused;
        return result.ok;
      },
    );
  }

  await registerBounceWebhook(app, deps);
}
