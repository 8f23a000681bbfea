import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../server/app.ts';
import { recordAudit, withTenant } from '../../server/db/scope.ts';
import { AppError, malformedJson, notFound } from '../../server/errors.ts';
import { originOf } from '../../server/http/access.ts';
import { enforceRateLimit } from '../../server/http/rate-limit.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { verifyWebhookSignature } from '../messaging/sms/webhook.ts';
import { findTenantBySlug } from '../tenants/service.ts';
import { recordBounce } from './bounce.ts';
import { bounceBody, bounceResultSchema, slugParams } from './schema.ts';

/**
 * POST /api/webhooks/email/:tenantSlug/bounce: bounces from the clinic's bounce processor, as JSON
 * signed like the SMS gateway's webhooks (X-Rapport-Timestamp, X-Rapport-Signature: v1=<hex
 * HMAC-SHA256 of "<timestamp>.<raw body>">) with the clinic's webhook secret from its messaging
 * settings. The signature is checked on the raw bytes before the body is even parsed, so an
 * unsigned caller learns nothing, and nothing changes unless the whole request is good.
 */

const PER_CLINIC = { limit: 5_000, windowSeconds: 10 * 60 };

// As the SMS webhooks answer: 401 when the signature is missing, 403 when it does not hold.
const refused = (reason: string) => new AppError(/is missing$/.test(reason) ? 401 : 403, 'invalid_signature', `The webhook signature was refused: ${reason}.`);
// A provider's callback has no account: it proves itself with the signature, and acts as the public.
const provider = { type: 'public' as const, id: null };

export async function registerBounceWebhook(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;
  // The tenant a request's signature was checked for, handed from the hook to the handler.
  const verified = new WeakMap<FastifyRequest, string>();

  /** Finds the clinic, limits it, and checks the signature over the raw body; then parses the JSON. */
  async function verify(request: FastifyRequest<{ Params: { tenantSlug: string } }>): Promise<void> {
    const now = deps.clock();
    const tenant = await findTenantBySlug(db, request.params.tenantSlug);
    if (!tenant) throw notFound('Clinic');
    await enforceRateLimit(db, { key: `email-bounce:${tenant.id}`, ...PER_CLINIC, now });
    const context = { tenantId: tenant.id, actor: provider, origin: originOf(request) };
    const settings = await withTenant(db, context, (scope) => scope.tx.selectFrom('messaging_settings').select('webhook_secret').executeTakeFirst());
    if (!settings?.webhook_secret) throw new AppError(404, 'not_found', 'This clinic does not take bounce reports: set a webhook secret in its messaging settings first.');
    const raw = typeof request.body === 'string' ? request.body : '';
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const check = verifyWebhookSignature(settings.webhook_secret, raw, header('x-rapport-timestamp'), header('x-rapport-signature'), now);
    if (!check.ok) {
      await recordAudit(db, context, { action: 'webhook.email_bounce', outcome: 'denied', detail: { reason: check.reason } });
      throw refused(check.reason);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw malformedJson();
    }
    (request as { body: unknown }).body = parsed;
    verified.set(request, tenant.id);
  }

  await app.register(async (scoped) => {
    // The raw bytes are what was signed: keep them as the body until the signature is checked.
    scoped.removeContentTypeParser('application/json');
    scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scoped.withTypeProvider<ZodTypeProvider>().post(
      '/api/webhooks/email/:tenantSlug/bounce',
      {
        config: { access: { public: true } },
        preValidation: verify,
        schema: {
          tags: ['webhooks'],
          security: [],
          summary: "Email bounce report, signed with the clinic's webhook secret: a hard bounce fails the message and stops email to the address",
          params: slugParams,
          body: bounceBody,
          description:
            'JSON signed with the clinic\'s webhook secret: `X-Rapport-Timestamp: <unix seconds>` and `X-Rapport-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. ' +
            '`messageId` is Rapport\'s message id (the X-Rapport-Message-Id header of the email) or its Message-ID header.',
          response: { 200: bounceResultSchema, ...errorResponses(400, 401, 403, 404, 415, 429) },
        },
      },
      async (request) => {
        const tenantId = verified.get(request);
        if (!tenantId) throw refused('X-Rapport-Signature is missing');
        return withTenant(db, { tenantId, actor: provider, origin: originOf(request) }, (scope) => recordBounce(scope, request.body, deps.clock()));
      },
    );
  });
}
