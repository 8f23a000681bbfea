import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import type { StaffRole } from '../../server/db/types.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import {
  idParams,
  journeyChangeBody,
  journeyDetailSchema,
  journeySchema,
  newJourneyBody,
  newTemplateBody,
  previewBody,
  previewSchema,
  templateChangeBody,
  templateGroupSchema,
  templateSchema,
} from './api-schema.ts';
import { registerCareRoutes } from './care-routes.ts';
import { previewTemplate } from './preview.ts';
import { changeJourney, createJourney, deleteJourney, getJourney, listJourneys, setJourneyEnabled } from './service.ts';
import { changeTemplate, createTemplate, deleteTemplate, getTemplate, listTemplates } from './templates-service.ts';

/** Who configures what the clinic sends: the roles the Journeys page is open to. */
const CONFIGURERS: readonly StaffRole[] = ['admin', 'marketing'];

export async function registerJourneyRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const config = { access: { roles: CONFIGURERS } };
  const baseUrl = deps.config.publicUrl ?? `http://localhost:${deps.config.port}`;

  // Templates

  const templates = ['templates'];
  r.get(
    '/api/templates',
    { config, schema: { tags: templates, summary: 'Message templates by key, each with its channels and languages, warnings and the journeys that send it', response: { 200: z.object({ items: z.array(templateGroupSchema) }), ...errorResponses(401, 403) } } },
    async (request) => inTenant(db, request, async (scope) => ({ items: await listTemplates(scope) })),
  );
  r.post(
    '/api/templates',
    {
      config,
      schema: {
        tags: templates,
        summary: 'Add a template (a key in one channel and language); 400 names an unknown variable, or one the journeys sending the key cannot fill; warnings in the answer',
        body: newTemplateBody,
        response: { 201: templateSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => createTemplate(scope, request.body, deps.clock()))),
  );
  r.post(
    '/api/templates/preview',
    {
      config,
      schema: {
        tags: templates,
        summary: "Render a saved template (templateId) or a draft (channel, subject, body) with a patient's facts in their time zone (admin only; audited), else sample values",
        body: previewBody,
        response: { 200: previewSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => inTenant(db, request, (scope) => previewTemplate(scope, request.body, { baseUrl, now: deps.clock() })),
  );
  r.get(
    '/api/templates/:id',
    { config, schema: { tags: templates, summary: 'One template', params: idParams, response: { 200: templateSchema, ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getTemplate(scope, request.params.id)),
  );
  r.patch(
    '/api/templates/:id',
    {
      config,
      schema: {
        tags: templates,
        summary: 'Change a template (version from the last read; 409 version_conflict if it changed since)',
        params: idParams,
        body: templateChangeBody,
        response: { 200: templateSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => changeTemplate(scope, request.params.id, request.body, deps.clock())),
  );
  r.delete(
    '/api/templates/:id',
    {
      config,
      schema: {
        tags: templates,
        summary: 'Delete a template; 409 template_in_use when a switched-on journey sends it and no other language (or no English) would be left',
        params: idParams,
        response: { 204: z.null(), ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await inTenant(db, request, (scope) => deleteTemplate(scope, request.params.id));
      return reply.status(204).send(null);
    },
  );

  // Journeys

  const journeys = ['journeys'];
  r.get(
    '/api/journeys',
    { config, schema: { tags: journeys, summary: 'Journeys with their runs waiting, done, cancelled and failed, and messages sent in the last 30 days', response: { 200: z.object({ items: z.array(journeySchema) }), ...errorResponses(401, 403) } } },
    async (request) => inTenant(db, request, async (scope) => ({ items: await listJourneys(scope, deps.clock()) })),
  );
  r.post(
    '/api/journeys',
    {
      config,
      schema: {
        tags: journeys,
        summary: 'Create a journey: a trigger and steps; 400 names the path of a step at fault (steps.2.template, steps.0.then.1.assigneeId ...)',
        body: newJourneyBody,
        response: { 201: journeySchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => createJourney(scope, request.body, deps.clock()))),
  );
  r.get(
    '/api/journeys/:id',
    { config, schema: { tags: journeys, summary: 'One journey with its 20 latest runs (patients named for admins only; audited)', params: idParams, response: { 200: journeyDetailSchema, ...errorResponses(401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getJourney(scope, request.params.id, deps.clock())),
  );
  r.patch(
    '/api/journeys/:id',
    {
      config,
      schema: {
        tags: journeys,
        summary: 'Replace a journey\'s name, trigger and steps (version from the last read; 409 version_conflict if it changed since); runs under way keep their steps',
        params: idParams,
        body: journeyChangeBody,
        response: { 200: journeySchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => inTenant(db, request, (scope) => changeJourney(scope, request.params.id, request.body, deps.clock())),
  );
  r.delete(
    '/api/journeys/:id',
    {
      config,
      schema: { tags: journeys, summary: 'Delete a journey: one switched off goes with its runs; one switched on with runs under way is refused (409 journey_in_progress)', params: idParams, response: { 204: z.null(), ...errorResponses(401, 403, 404, 409) } },
    },
    async (request, reply) => {
      await inTenant(db, request, (scope) => deleteJourney(scope, request.params.id, deps.clock()));
      return reply.status(204).send(null);
    },
  );
  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    r.post(
      `/api/journeys/:id/${action}`,
      {
        config,
        schema: {
          tags: journeys,
          summary: enabled ? 'Switch a journey on (checked again against the clinic first)' : 'Switch a journey off: messages not yet sent are stopped, waiting runs stop when they come due',
          params: idParams,
          response: { 200: journeySchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => inTenant(db, request, (scope) => setJourneyEnabled(scope, request.params.id, enabled, deps.clock())),
    );
  }

  await registerCareRoutes(app, deps);
}
