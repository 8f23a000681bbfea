import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from '../../server/app.ts';
import { ALL_STAFF, PATIENT_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import {
  consentBody,
  consentResult,
  consentSchema,
  countsSchema,
  idParams,
  messageDetail,
  messagePage,
  messageQuery,
  messageSchema,
  newMessageBody,
  patientMessageQuery,
  settingsPatch,
  settingsSchema,
} from './schema.ts';
import {
  changePatientConsent,
  getMessage,
  listMessages,
  listPatientMessages,
  messageCounts,
  patientConsent,
  retryFailedMessage,
  sendPatientMessage,
} from './service.ts';
import { changeMessagingSettings, readMessagingSettings } from './settings.ts';

/** The outbox as staff see it, one-off messages, the consent ledger, and the clinic's communication settings. */
export async function registerMessagingRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const patientStaff = { access: { roles: PATIENT_STAFF } };
  const tags = ['messages'];
  const smtpConfigured = Boolean(deps.config.smtpUrl);

  r.get(
    '/api/messages',
    {
      config: patientStaff,
      schema: {
        tags,
        summary: 'Every message, newest first, with its status and why (sandboxed, failed with the provider reason, not sent with the rule that stopped it)',
        querystring: messageQuery,
        response: { 200: messagePage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => inTenant(db, request, (scope) => listMessages(scope, request.query)),
  );

  r.get(
    '/api/messages/counts',
    { config: { access: { roles: ALL_STAFF } }, schema: { tags, summary: 'How many messages are in each state', response: { 200: countsSchema, ...errorResponses(401, 403) } } },
    async (request) => inTenant(db, request, (scope) => messageCounts(scope)),
  );

  r.get(
    '/api/messages/:id',
    {
      config: patientStaff,
      schema: { tags, summary: 'One message as sent, with each attempt at a provider and its journey run', params: idParams, response: { 200: messageDetail, ...errorResponses(401, 403, 404) } },
    },
    async (request) => inTenant(db, request, (scope) => getMessage(scope, request.params.id)),
  );

  r.post(
    '/api/messages/:id/retry',
    {
      config: patientStaff,
      schema: {
        tags,
        summary: 'Try a failed or not-sent message again (due now, every rule checked again); 409 not_retryable for any other state',
        params: idParams,
        response: { 200: messageDetail, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => retryFailedMessage(scope, request.params.id, deps.clock())),
  );

  r.get(
    '/api/patients/:id/messages',
    {
      config: patientStaff,
      schema: { tags, summary: "The patient's messages, in-app ones included, newest first", params: idParams, querystring: patientMessageQuery, response: { 200: messagePage, ...errorResponses(400, 401, 403, 404) } },
    },
    async (request) => inTenant(db, request, (scope) => listPatientMessages(scope, request.params.id, request.query)),
  );

  r.post(
    '/api/patients/:id/messages',
    {
      config: patientStaff,
      schema: {
        tags,
        summary:
          'Send the patient a message (email with a subject, SMS or in-app). It goes through the outbox: a message that may not or cannot go is answered 201 with status not_sent and the reason. A repeated requestId answers 200 with the first message.',
        params: idParams,
        body: newMessageBody,
        response: { 200: messageSchema, 201: messageSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const result = await inTenant(db, request, (scope) => sendPatientMessage(scope, request.params.id, request.body, deps.clock()));
      return reply.status(result.created ? 201 : 200).send(result.message);
    },
  );

  r.get(
    '/api/patients/:id/consent',
    {
      config: patientStaff,
      schema: { tags: ['consent'], summary: "The patient's consent per channel and purpose, and the ledger of every answer (when, how, by whom)", params: idParams, response: { 200: consentSchema, ...errorResponses(401, 403, 404) } },
    },
    async (request) => inTenant(db, request, (scope) => patientConsent(scope, request.params.id)),
  );

  r.post(
    '/api/patients/:id/consent',
    {
      config: patientStaff,
      schema: {
        tags: ['consent'],
        summary: 'Record that the patient granted or withdrew consent for channels and purposes; a withdrawal stops the messages of those still waiting to go',
        params: idParams,
        body: consentBody,
        response: { 201: consentResult, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => changePatientConsent(scope, request.params.id, request.body, deps.clock()))),
  );

  r.get(
    '/api/settings/messaging',
    {
      config: { access: { roles: ALL_STAFF } },
      schema: { tags: ['settings'], summary: "The clinic's sender, SMS provider (secrets only as set or not), quiet hours, caps and help text, and where each channel delivers now", response: { 200: settingsSchema, ...errorResponses(401, 403) } },
    },
    async (request) => inTenant(db, request, (scope) => readMessagingSettings(scope, smtpConfigured)),
  );

  r.patch(
    '/api/settings/messaging',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['settings'],
        summary: 'Change communication settings (null clears a field); Twilio needs an account SID, auth token and E.164 number, a webhook its URL and a secret of 16 characters or more',
        body: settingsPatch,
        response: { 200: settingsSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => inTenant(db, request, (scope) => changeMessagingSettings(scope, request.body, deps.clock(), smtpConfigured)),
  );
}
