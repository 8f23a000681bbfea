import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z, type ZodType } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { withTenant, type TenantScope } from '../../server/db/scope.ts';
import { AppError, notFound, type FieldProblem } from '../../server/errors.ts';
import { originOf } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { applyDeliveryReport } from '../messaging/dispatch.ts';
import { messagingSettings, type MessagingSettings } from '../messaging/policy.ts';
import { parseTwilioInbound, parseTwilioStatusCallback, twimlEmpty, verifyTwilioSignature, type TwilioParams } from '../messaging/sms/twilio.ts';
import { parseJson, parseWebhookInbound, parseWebhookStatus, verifyWebhookSignature, type Parsed } from '../messaging/sms/webhook.ts';
import { findTenantBySlug } from '../tenants/service.ts';
import { receiveInboundSms } from './inbound.ts';
import { slugParams, twilioForm, webhookAck, webhookInboundBody, webhookStatusBody } from './schema.ts';

/**
 * What SMS providers call: inbound texts and delivery reports, per clinic. No session: each request
 * proves itself with the provider's signature (Twilio's X-Twilio-Signature, or the generic
 * webhook's HMAC over the raw body), checked before anything is read or changed. An unknown clinic,
 * or one that does not use that provider, is a 404; a bad signature 403 (401 when missing for the
 * generic webhook); a malformed request 400 naming what is wrong. Work happens in one tenant
 * transaction, so a refusal leaves nothing behind.
 */

const tags = ['webhooks'];
const access = { access: { public: true as const } };
const provider = { actor: { type: 'public' as const, id: null } };

/** The problems a parser found, as the 400's fields: "From is missing" is field From. */
function malformed(what: string, problems: string[]): AppError {
  const fields: FieldProblem[] = problems.map((p) => {
    const [, path = '', message = p] = /^(\S+) (.*)$/su.exec(p) ?? [];
    return path === 'request' ? { path: '', message: p } : { path, message };
  });
  return new AppError(400, 'malformed_webhook', `The ${what} is malformed: ${problems.join('; ')}`, fields);
}

function valueOf<T>(parsed: Parsed<T>, what: string): T {
  if (!parsed.ok) throw malformed(what, parsed.problems);
  return parsed.value;
}

/** Where the provider reached Rapport: the public URL when set (so also where patients open links). */
const publicBase = (deps: AppDeps, request: FastifyRequest) => deps.config.publicUrl ?? `${request.protocol}://${request.host}`;
/** The URL the provider requested, as it was configured there. */
const requestedUrl = (deps: AppDeps, request: FastifyRequest) => `${publicBase(deps, request)}${request.url}`;

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Runs `work` in the clinic behind `slug` when its SMS provider is `kind`; 404 otherwise. The
 * settings are read in the same transaction the work runs in.
 */
async function inProviderTenant<T>(
  deps: AppDeps,
  request: FastifyRequest,
  slug: string,
  kind: 'twilio' | 'webhook',
  work: (scope: TenantScope, settings: MessagingSettings) => Promise<T>,
): Promise<T> {
  const tenant = await findTenantBySlug(deps.database.db, slug);
  if (!tenant) throw notFound('Clinic');
  return withTenant(deps.database.db, { tenantId: tenant.id, ...provider, origin: originOf(request) }, async (scope) => {
    const settings = await messagingSettings(scope);
    const configured = kind === 'twilio' ? settings.sms_provider === 'twilio' && settings.twilio_auth_token : settings.sms_provider === 'webhook' && settings.webhook_secret;
    if (!configured) throw new AppError(404, 'not_found', `This clinic does not receive texts through ${kind === 'twilio' ? 'Twilio' : 'the SMS webhook'}.`);
    return work(scope, settings);
  });
}

const twilioInvalid = () => new AppError(403, 'invalid_signature', 'X-Twilio-Signature is missing or does not match this request.');

export async function registerSmsWebhooks(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // Twilio posts forms; the parser is registered for these routes only.
  await app.register(async (scoped) => {
    await scoped.register(formbody);
    const r = scoped.withTypeProvider<ZodTypeProvider>();
    const twilioSchema = (summary: string, ok: Record<number, unknown>) => ({
      tags,
      security: [],
      summary,
      consumes: ['application/x-www-form-urlencoded'],
      params: slugParams,
      body: twilioForm,
      response: { ...ok, ...errorResponses(400, 403, 404) },
    });

    r.post(
      '/api/webhooks/sms/twilio/:tenantSlug/inbound',
      {
        config: access,
        schema: twilioSchema("Twilio's messaging webhook: a text a patient sent to the clinic's number; answered with empty TwiML (replies go through the outbox)", {
          200: { description: 'Empty TwiML', content: { 'text/xml': { schema: z.string() } } },
        }),
      },
      async (request, reply) => {
        const now = deps.clock();
        const params = request.body as TwilioParams;
        await inProviderTenant(deps, request, request.params.tenantSlug, 'twilio', async (scope, settings) => {
          if (!verifyTwilioSignature(settings.twilio_auth_token!, requestedUrl(deps, request), params, header(request, 'x-twilio-signature'))) throw twilioInvalid();
          const sms = valueOf(parseTwilioInbound(params, now), 'Twilio inbound message');
          // With Advanced Opt-Out Twilio answers STOP, START and HELP itself and says so in OptOutType.
          return receiveInboundSms(scope, sms, now, { publicUrl: publicBase(deps, request), providerAnswered: typeof params.OptOutType === 'string' && params.OptOutType !== '' });
        });
        return reply.type('text/xml; charset=utf-8').send(twimlEmpty());
      },
    );

    r.post(
      '/api/webhooks/sms/twilio/:tenantSlug/status',
      { config: access, schema: twilioSchema("Twilio's status callback: a text Rapport sent was delivered, or failed", { 204: z.null().describe('Recorded (or ignored: not a message of this clinic)') }) },
      async (request, reply) => {
        const now = deps.clock();
        const params = request.body as TwilioParams;
        await inProviderTenant(deps, request, request.params.tenantSlug, 'twilio', async (scope, settings) => {
          if (!verifyTwilioSignature(settings.twilio_auth_token!, requestedUrl(deps, request), params, header(request, 'x-twilio-signature'))) throw twilioInvalid();
          return applyDeliveryReport(scope, valueOf(parseTwilioStatusCallback(params), 'Twilio status callback'), now);
        });
        return reply.status(204).send(null);
      },
    );
  });

  // The generic webhook signs the raw body, so these routes take it as text and parse it after checking.
  await app.register(async (scoped) => {
    scoped.removeContentTypeParser('application/json');
    scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    // The body schemas below document the contract; the raw text is checked by hand after the signature.
    const zodCompiler: FastifySchemaCompiler<ZodType> = validatorCompiler;
    scoped.setValidatorCompiler<ZodType>((route) => (route.httpPart === 'body' ? (data: unknown) => ({ value: data }) : zodCompiler(route)));
    const r = scoped.withTypeProvider<ZodTypeProvider>();

    /** The JSON body once its signature holds: 401 without one, 403 when it does not match or is stale. */
    const verifiedJson = (request: FastifyRequest, settings: MessagingSettings): unknown => {
      const body: unknown = request.body;
      const raw = typeof body === 'string' ? body : '';
      const check = verifyWebhookSignature(settings.webhook_secret!, raw, header(request, 'x-rapport-timestamp'), header(request, 'x-rapport-signature'), deps.clock());
      if (!check.ok) throw new AppError(/is missing$/.test(check.reason) ? 401 : 403, 'invalid_signature', `The webhook signature was refused: ${check.reason}.`);
      const json = parseJson(raw);
      if (json === undefined) throw new AppError(400, 'malformed_json', 'The request body is not valid JSON.');
      return json;
    };
    const webhookSchema = <B>(summary: string, body: B, ok: Record<number, unknown>) => ({
      tags,
      security: [],
      summary,
      description:
        'JSON signed with the clinic\'s webhook secret: `X-Rapport-Timestamp: <unix seconds>` and `X-Rapport-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`.',
      consumes: ['application/json'],
      params: slugParams,
      body,
      response: { ...ok, ...errorResponses(400, 401, 403, 404) },
    });

    r.post(
      '/api/webhooks/sms/webhook/:tenantSlug/inbound',
      { config: access, schema: webhookSchema('SMS webhook: a text a patient sent', webhookInboundBody, { 200: webhookAck }) },
      async (request) => {
        const now = deps.clock();
        const outcome = await inProviderTenant(deps, request, request.params.tenantSlug, 'webhook', async (scope, settings) => {
          const sms = valueOf(parseWebhookInbound(verifiedJson(request, settings), now), 'webhook inbound message');
          return receiveInboundSms(scope, sms, now, { publicUrl: publicBase(deps, request) });
        });
        return { received: true as const, duplicate: outcome.duplicate };
      },
    );

    r.post(
      '/api/webhooks/sms/webhook/:tenantSlug/status',
      { config: access, schema: webhookSchema('SMS webhook: a delivery report for a text Rapport sent', webhookStatusBody, { 204: z.null().describe('Recorded (or ignored: not a message of this clinic)') }) },
      async (request, reply) => {
        const now = deps.clock();
        await inProviderTenant(deps, request, request.params.tenantSlug, 'webhook', async (scope, settings) =>
          applyDeliveryReport(scope, valueOf(parseWebhookStatus(verifiedJson(request, settings)), 'webhook delivery report'), now),
        );
        return reply.status(204).send(null);
      },
    );
  });
}
