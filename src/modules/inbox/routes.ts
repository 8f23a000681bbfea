import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../server/app.ts';
import { AppError } from '../../server/errors.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { messagingSettings } from '../messaging/policy.ts';
import { toE164 } from '../patients/normalize.ts';
import { receiveInboundSms } from './inbound.ts';
import {
  assignBody, conversationSchema, idParams, inboundOutcomeSchema, inboxPageSchema, inboxQuery, linkBody, replyBody, sandboxBody, threadItemSchema, threadSchema,
} from './schema.ts';
import { assignConversation, getThread, linkConversation, listConversations, markConversationRead, replyInConversation, setConversationStatus } from './service.ts';
import { registerSmsWebhooks } from './webhooks.ts';

/** The shared inbox for staff, the sandbox that stands in for a patient's phone, and the providers' webhooks. */
export async function registerInboxRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const access = { access: { roles: PATIENT_STAFF } };
  const tags = ['inbox'];
  const summaryResponses = { 200: conversationSchema, ...errorResponses(400, 401, 403, 404) };

  r.get(
    '/api/inbox',
    {
      config: access,
      schema: {
        tags,
        summary: 'Conversations, latest message first: open (default), closed or all; assigned to me, unassigned or anyone; unread only',
        querystring: inboxQuery,
        response: { 200: inboxPageSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => inTenant(db, request, (scope) => listConversations(scope, request.query)),
  );

  r.get(
    '/api/inbox/:id',
    { config: access, schema: { tags, summary: 'One conversation: texts received and sent, oldest first, each sent text with its status', params: idParams, response: { 200: threadSchema, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getThread(scope, request.params.id, deps.clock())),
  );

  r.post(
    '/api/inbox/:id/read',
    { config: access, schema: { tags, summary: 'Mark every text in the conversation read', params: idParams, response: summaryResponses } },
    async (request) => inTenant(db, request, (scope) => markConversationRead(scope, request.params.id, deps.clock())),
  );

  r.post(
    '/api/inbox/:id/assign',
    { config: access, schema: { tags, summary: 'Assign the conversation to a member of staff who sees patients, or to nobody (null)', params: idParams, body: assignBody, response: summaryResponses } },
    async (request) => inTenant(db, request, (scope) => assignConversation(scope, request.params.id, request.body.assigneeId)),
  );

  r.post(
    '/api/inbox/:id/close',
    { config: access, schema: { tags, summary: 'Close the conversation (a new text from the number opens it again)', params: idParams, response: summaryResponses } },
    async (request) => inTenant(db, request, (scope) => setConversationStatus(scope, request.params.id, 'closed')),
  );

  r.post(
    '/api/inbox/:id/reopen',
    { config: access, schema: { tags, summary: 'Open a closed conversation again', params: idParams, response: summaryResponses } },
    async (request) => inTenant(db, request, (scope) => setConversationStatus(scope, request.params.id, 'open')),
  );

  r.post(
    '/api/inbox/:id/link',
    {
      config: access,
      schema: { tags, summary: 'Tie the conversation to one of the patients with its phone number (a household member)', params: idParams, body: linkBody, response: summaryResponses },
    },
    async (request) => inTenant(db, request, (scope) => linkConversation(scope, request.params.id, request.body.patientId)),
  );

  r.post(
    '/api/inbox/:id/replies',
    {
      config: access,
      schema: {
        tags,
        summary: "Reply by SMS to the conversation's number, through the outbox (at most 1600 characters); 409 opted_out when the patient replied STOP",
        params: idParams,
        body: replyBody,
        response: { 201: threadItemSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => replyInConversation(scope, request.params.id, request.body, deps.clock()))),
  );

  r.post(
    '/api/inbox/sandbox/inbound',
    {
      config: { access: { roles: ['admin', 'front_desk'] } },
      schema: {
        tags,
        summary: "Sandbox: receive a text as if a patient had sent it from `from`, to try the inbox while no SMS provider is configured (409 when one is)",
        body: sandboxBody,
        response: { 201: inboundOutcomeSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const from = toE164(request.body.from);
      if (!from) throw new AppError(400, 'validation_failed', 'Invalid request: from must be a phone number', [{ path: 'from', message: 'must be a phone number' }]);
      const now = deps.clock();
      const outcome = await inTenant(db, request, async (scope) => {
        const settings = await messagingSettings(scope);
        if (settings.sms_provider !== 'none') {
          throw new AppError(409, 'provider_configured', `An SMS provider (${settings.sms_provider}) is configured: texts come from it, not from the sandbox.`);
        }
        const sms = { provider: 'sandbox', providerMessageId: `sandbox-${randomUUID()}`, from, to: settings.sms_from ?? 'sandbox', body: request.body.body, receivedAt: now };
        // What the text does is done as by the patient (answers are automatic, a STOP is the patient's);
        // the audit still names the member of staff who played the patient.
        return receiveInboundSms({ ...scope, actor: { type: 'public', id: null } }, sms, now, { publicUrl: deps.config.publicUrl ?? `${request.protocol}://${request.host}` });
      });
      return reply.status(201).send(outcome);
    },
  );

  await registerSmsWebhooks(app, deps);
}
