import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import type { AppDeps } from '../../server/app.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import { forbidden } from '../../server/errors.ts';
import { PATIENT_STAFF, requirePrincipal } from '../../server/http/access.ts';
import { inTenant } from '../../server/http/tenant.ts';
import { processBundle } from '../fhir-import/bundle.ts';
import { capabilityStatement } from './capability.ts';
import { patientEverything } from './everything.ts';
import { baseUrlOf, FHIR_JSON, ifMatchVersion, installFhirBodyParser, installFhirErrorHandler, preferences, sendResource } from './http.ts';
import { fhirError, notSupported, outcome, preconditionFailed, resourceNotFound, unknownType } from './outcome.ts';
import { moduleFor, patientIdOf, RESOURCES } from './registry.ts';
import { parseSearch, searchsetBundle } from './search.ts';
import type { FhirContext, Interaction, ResourceModule } from './types.ts';
import { validateIncoming } from './validate.ts';

const staff = { access: { roles: PATIENT_STAFF } };
/** FHIR routes are described by the CapabilityStatement, not by the JSON API's OpenAPI document. */
const hidden = { hide: true };

type Query = Record<string, string | string[] | undefined>;
type TypeParams = { type: string };
type IdParams = { type: string; id: string };

/**
 * The FHIR R4 REST API under /fhir/R4, as one encapsulated Fastify plugin: its own media types,
 * errors as OperationOutcome, and routes that dispatch to the resource registry.
 */
export async function registerFhirRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(
    async (fhir) => {
      installFhirBodyParser(fhir);
      installFhirErrorHandler(fhir, deps.config.bodyLimitBytes);
      fhir.addHook('onSend', async (_request, reply) => {
        void reply.header('cache-control', 'no-store');
      });
      const context = (request: FastifyRequest): FhirContext => ({ deps, now: deps.clock(), baseUrl: baseUrlOf(request, deps.config.publicUrl) });
      const run = <T>(request: FastifyRequest, work: (scope: TenantScope) => Promise<T>) => inTenant(deps.database.db, request, work);

      fhir.get('/metadata', { config: { access: { public: true } }, schema: hidden }, async (request, reply) => {
        const statement = capabilityStatement(RESOURCES, { baseUrl: baseUrlOf(request, deps.config.publicUrl), date: deps.clock().toISOString(), version: '0.1.0', batch: true });
        return reply.type(FHIR_JSON).send(JSON.stringify(statement));
      });

      // Transaction and batch Bundles: the import pipeline of src/modules/fhir-import, in the caller's tenant scope.
      fhir.post<{ Body: unknown }>('/', { config: staff, schema: hidden }, async (request, reply) => {
        const ctx = context(request);
        const response = await run(request, async (scope) => {
          const result = await processBundle(scope, request.body, { now: ctx.now, label: 'POST /fhir/R4', fhirContext: ctx });
          await scope.audit({ action: 'fhir.bundle', entityType: 'Bundle', detail: { type: result.type, entries: result.entry?.length ?? 0 } });
          return result;
        });
        return reply.type(FHIR_JSON).send(JSON.stringify(response));
      });

      fhir.get<{ Params: { id: string } }>('/Patient/:id/$everything', { config: staff, schema: hidden }, async (request, reply) => {
        const ctx = context(request);
        const bundle = await run(request, (scope) => patientEverything(scope, request.params.id, ctx));
        return reply.type(FHIR_JSON).send(JSON.stringify(bundle));
      });

      fhir.get<{ Params: TypeParams; Querystring: Query }>('/:type', { config: staff, schema: hidden }, async (request, reply) => {
        const module = supporting(request.params.type, 'search-type');
        const ctx = context(request);
        const search = parseSearch(request.query, module.searchParams, module.sorts, preferences(request).strict);
        const rows = await run(request, async (scope) => {
          const found = await module.search(scope, search, ctx);
          const shown = found.slice(0, search.count);
          await scope.audit({
            action: 'fhir.search',
            entityType: module.type,
            detail: { params: search.params.map((p) => p.name), returned: shown.length, ids: shown.map((r) => r.id), patientIds: [...new Set(shown.map(patientIdOf).filter(Boolean))] },
          });
          return found;
        });
        return reply.type(FHIR_JSON).send(JSON.stringify(searchsetBundle(ctx.baseUrl, module.type, search, rows)));
      });

      fhir.get<{ Params: IdParams }>('/:type/:id', { config: staff, schema: hidden }, async (request, reply) => {
        const module = supporting(request.params.type, 'read');
        const { id } = request.params;
        const ctx = context(request);
        const resource = await run(request, async (scope) => {
          const found = await module.read(scope, id, ctx);
          await scope.audit({ action: 'fhir.read', entityType: module.type, entityId: id, patientId: found ? patientIdOf(found) : null, ...(found ? {} : { outcome: 'failure' as const }) });
          return found;
        });
        if (!resource) throw resourceNotFound(module.type, id);
        return sendResource(reply, resource);
      });

      fhir.post<{ Params: TypeParams; Body: unknown }>('/:type', { config: staff, schema: hidden }, async (request, reply) => {
        const module = supporting(request.params.type, 'create');
        authoriseWrite(request, module);
        const resource = incoming(request.body, module.type);
        const ctx = context(request);
        const condition = request.headers['if-none-exist'];
        validateIncoming(resource);
        const { created, resource: result } = await run(request, async (scope) => {
          if (typeof condition === 'string' && condition.trim()) {
            if (!module.conditionalCreate) throw notSupported(module.type, 'Conditional create');
            const existing = await conditionalMatch(scope, module, condition, ctx);
            if (existing) {
              await scope.audit({ action: 'fhir.read', entityType: module.type, entityId: existing.id, patientId: patientIdOf(existing), detail: { conditionalCreate: true } });
              return { created: false, resource: existing };
            }
          }
          const made = await module.create!(scope, resource, ctx);
          await scope.audit({ action: 'fhir.create', entityType: module.type, entityId: made.id, patientId: patientIdOf(made) });
          return { created: true, resource: made };
        });
        if (created) void reply.header('location', `${ctx.baseUrl}/${module.type}/${result.id}`);
        return respond(request, reply, result, created ? 201 : 200);
      });

      fhir.put<{ Params: IdParams; Body: unknown }>('/:type/:id', { config: staff, schema: hidden }, async (request, reply) => {
        const module = supporting(request.params.type, 'update');
        authoriseWrite(request, module);
        const { id } = request.params;
        const resource = incoming(request.body, module.type);
        if (resource.id !== id) throw fhirError(400, 'invalid', `The resource's id (${resource.id ?? 'none'}) must be the id in the URL (${id}).`, [`${module.type}.id`]);
        const expected = ifMatchVersion(request);
        const ctx = context(request);
        validateIncoming(resource);
        const result = await run(request, async (scope) => {
          const updated = await module.update!(scope, id, resource, expected, ctx);
          await scope.audit({ action: 'fhir.update', entityType: module.type, entityId: id, patientId: patientIdOf(updated), detail: { ifMatch: expected ?? null } });
          return updated;
        });
        return respond(request, reply, result, 200);
      });

      for (const method of ['DELETE', 'PATCH'] as const) {
        fhir.route<{ Params: IdParams }>({
          method,
          url: '/:type/:id',
          config: staff,
          schema: hidden,
          handler: async (request) => {
            const module = moduleFor(request.params.type);
            if (!module) throw unknownType(request.params.type);
            throw notSupported(module.type, method === 'DELETE' ? 'delete' : 'patch');
          },
        });
      }
    },
    { prefix: '/fhir/R4' },
  );
}

/** The module of a resource type that supports an interaction: 404 for an unknown type, 405 for an unsupported interaction. */
function supporting(type: string, interaction: Interaction): ResourceModule {
  const module = moduleFor(type);
  if (!module) throw unknownType(type);
  if (!module.interactions.includes(interaction)) throw notSupported(type, interaction);
  return module;
}

/** A write to a type that needs a narrower role (the directory: admin) is a 403 before the body is read. */
function authoriseWrite(request: FastifyRequest, module: ResourceModule): void {
  if (module.writeRoles && !module.writeRoles.includes(requirePrincipal(request).role)) {
    throw forbidden(`Creating or changing a ${module.type} needs the ${module.writeRoles.join(' or ')} role.`);
  }
}

/** The request body as a resource of the URL's type: not an object or another type is a 400. */
function incoming(body: unknown, type: string): Resource {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw fhirError(400, 'structure', `Send a ${type} resource as a JSON object.`);
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (resourceType !== type) {
    throw fhirError(400, 'invalid', `The resourceType is ${JSON.stringify(resourceType ?? null)}, but this URL takes a ${type}.`, ['resourceType']);
  }
  return body as Resource;
}

/** If-None-Exist: the one existing match, undefined for none, 412 for several. */
async function conditionalMatch(scope: TenantScope, module: ResourceModule, condition: string, ctx: FhirContext): Promise<Resource | undefined> {
  const params = new URLSearchParams(condition.replace(/^.*\?/, ''));
  const query: Query = {};
  for (const [k, v] of params) {
    const had = query[k];
    query[k] = had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v];
  }
  const search = parseSearch(query, module.searchParams, [], true);
  if (!search.params.length) throw fhirError(400, 'invalid', 'If-None-Exist must hold at least one search parameter.');
  const found = await module.search(scope, { ...search, count: 2, offset: 0, sort: [] }, ctx);
  if (found.length > 1) throw preconditionFailed(`If-None-Exist matches more than one ${module.type}; make the condition more specific.`);
  return found[0];
}

function respond(request: FastifyRequest, reply: Parameters<typeof sendResource>[0], resource: Resource, status: number) {
  const { returnPref } = preferences(request);
  if (returnPref === 'minimal') {
    if (resource.meta?.versionId) void reply.header('etag', `W/"${resource.meta.versionId}"`);
    return reply.status(status).send();
  }
  if (returnPref === 'OperationOutcome') {
    return reply.status(status).type(FHIR_JSON).send(JSON.stringify(outcome('informational', `${resource.resourceType}/${resource.id} ${status === 201 ? 'created' : 'stored'}.`, undefined, 'information')));
  }
  return sendResource(reply, resource, status);
}
