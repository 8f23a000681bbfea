import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { registerWebhookEvents } from './register.ts';
import { deliveryPage, deliveryQuery, deliverySchema, idParams, newSubscriptionBody, subscriptionList, subscriptionPatch, subscriptionSchema, subscriptionWithSecret } from './schema.ts';
import { createSubscription, deleteSubscription, getDelivery, listDeliveries, listSubscriptions, redeliver, rotateSecret, sendTestEvent, updateSubscription } from './service.ts';
import { webhookPolicy } from './target.ts';

/** Outbound webhooks in Clinic setup (decision 0023): subscriptions, their secrets, the delivery log. Admins only. */
export async function registerWebhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // Appointment changes made through this app's routes emit their events in the same transaction.
  registerWebhookEvents();
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const admin = { access: { roles: ['admin'] as const } };
  const tags = ['webhooks'];
  const policy = webhookPolicy(deps.config);
  const now = () => deps.clock();

  r.get(
    '/api/settings/webhooks',
    { config: admin, schema: { tags, summary: 'The clinic’s webhook subscriptions (never their secrets) and the event types one may ask for', response: { 200: subscriptionList, ...errorResponses(401, 403) } } },
    async (request) => inTenant(db, request, (scope) => listSubscriptions(scope)),
  );

  r.post(
    '/api/settings/webhooks',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Subscribe a URL to events; the answer carries the signing secret, shown this once',
        description: 'The URL must be https (http only to localhost on a development server) and may not point into a private network. Deliveries are POSTs signed with `Rapport-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.',
        body: newSubscriptionBody,
        response: { 201: subscriptionWithSecret, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const created = await inTenant(db, request, (scope) => createSubscription(scope, request.body, { now: now(), policy }));
      return reply.code(201).send(created);
    },
  );

  r.patch(
    '/api/settings/webhooks/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Change a subscription’s URL, events, description, or turn it on or off (on again resets its failure count and sends what it held)',
        params: idParams,
        body: subscriptionPatch,
        response: { 200: subscriptionSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => inTenant(db, request, (scope) => updateSubscription(scope, request.params.id, request.body, { now: now(), policy })),
  );

  r.delete(
    '/api/settings/webhooks/:id',
    { config: admin, schema: { tags, summary: 'Delete a subscription with its delivery log; what it had pending is not sent', params: idParams, response: { 204: z.null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await inTenant(db, request, (scope) => deleteSubscription(scope, request.params.id));
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/settings/webhooks/:id/rotate-secret',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Make a new signing secret, shown this once; the previous one keeps signing beside it for 24 hours',
        params: idParams,
        response: { 200: subscriptionWithSecret, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => inTenant(db, request, (scope) => rotateSecret(scope, request.params.id, now())),
  );

  r.post(
    '/api/settings/webhooks/:id/test',
    {
      config: admin,
      schema: { tags, summary: 'Queue a webhook.test event for this subscription alone; 409 while it is turned off', params: idParams, response: { 202: deliverySchema, ...errorResponses(401, 403, 404, 409) } },
    },
    async (request, reply) => reply.code(202).send(await inTenant(db, request, (scope) => sendTestEvent(scope, request.params.id, now()))),
  );

  r.get(
    '/api/settings/webhooks/:id/deliveries',
    {
      config: admin,
      schema: { tags, summary: 'The delivery log of a subscription, newest first, each delivery with every attempt', params: idParams, querystring: deliveryQuery, response: { 200: deliveryPage, ...errorResponses(400, 401, 403, 404) } },
    },
    async (request) => inTenant(db, request, (scope) => listDeliveries(scope, request.params.id, request.query)),
  );

  r.get(
    '/api/settings/webhooks/deliveries/:id',
    { config: admin, schema: { tags, summary: 'One delivery with its body as sent and every attempt', params: idParams, response: { 200: deliverySchema, ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getDelivery(scope, request.params.id)),
  );

  r.post(
    '/api/settings/webhooks/deliveries/:id/redeliver',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Send a delivered or failed delivery again now (same event id and body, fresh attempts); 409 while it is pending',
        params: idParams,
        response: { 200: deliverySchema, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => redeliver(scope, request.params.id, now())),
  );
}
