import type { Duration, HealthcareService } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import { changeService, createService } from '../../scheduling/directory-services.ts';
import { newService, serviceChange, type ServiceChange } from '../../scheduling/directory-schema.ts';
import { fhirError, resourceNotFound } from '../outcome.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, meta, ref, referencedId } from './common.ts';
import { identifierCondition, identifiersOf, IDENTIFIER_PARAM, incomingIdentifiers, storeIdentifiers } from './directory-identifiers.ts';
import { DIRECTORY_PARAMS, directoryConditions } from './directory-search.ts';
import { asDirectoryProblem, checkedInput, DIRECTORY_WRITERS, refuseStale, refuseUnkept, requireClinic, requireDirectoryWriter, withDigestVersion, type FieldPaths } from './directory-write.ts';
import { SERVICE_SYSTEM } from './location.ts';

/**
 * The services the clinic books (service) as HealthcareServices. How long a visit takes and whether
 * it is by video have no element in R4, so they are two extensions of Rapport's own.
 */

export const DURATION_URL = 'urn:rapport:service-duration';
export const MODE_URL = 'urn:rapport:service-mode';
const DURATION_PATH = `HealthcareService.extension('${DURATION_URL}')`;
const MODE_PATH = `HealthcareService.extension('${MODE_URL}')`;

function serviceRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('service as s')
    .select([
      's.id', 's.name', 's.description', 's.duration_minutes', 's.active', 's.mode', 's.public_booking', 's.created_at',
      sql<string[]>`coalesce((select array_agg(sl.location_id order by sl.location_id) from service_location sl where sl.service_id = s.id), '{}')`.as('location_ids'),
      identifiersOf('HealthcareService', 's.id').as('identifiers'),
    ]);
}
type ServiceRow = Awaited<ReturnType<ReturnType<typeof serviceRows>['executeTakeFirstOrThrow']>>;

const minutes = (value: number): Duration => ({ value, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' });

function serviceToFhir(r: ServiceRow, tenantId: string): HealthcareService {
  return withDigestVersion(
    compact({
      resourceType: 'HealthcareService' as const,
      id: r.id,
      meta: meta(null, r.created_at),
      extension: [
        { url: DURATION_URL, valueDuration: minutes(r.duration_minutes) },
        { url: MODE_URL, valueCode: r.mode },
      ],
      identifier: r.identifiers,
      active: r.active,
      providedBy: ref('Organization', tenantId),
      type: [{ coding: [{ system: SERVICE_SYSTEM, code: r.id, display: r.name }], text: r.name }],
      name: r.name,
      comment: r.description ?? undefined,
      location: r.location_ids.map((id) => ({ reference: `Location/${id}` })),
      extraDetails: `${r.duration_minutes} minutes${r.mode === 'video' ? ', by video' : ''}`,
      appointmentRequired: true,
    }),
  );
}

async function readService(scope: TenantScope, id: string): Promise<HealthcareService | undefined> {
  const row = isUuid(id) ? await serviceRows(scope).where('s.id', '=', id).executeTakeFirst() : undefined;
  return row ? serviceToFhir(row, scope.tenantId) : undefined;
}

const PATHS: FieldPaths = {
  name: 'HealthcareService.name',
  description: 'HealthcareService.comment',
  durationMinutes: DURATION_PATH,
  mode: MODE_PATH,
  active: 'HealthcareService.active',
  locationIds: 'HealthcareService.location',
};

/** A visit's length in minutes from the duration extension (min or h), undefined without one. */
function durationOf(resource: HealthcareService): number | undefined {
  const d = resource.extension?.find((e) => e.url === DURATION_URL)?.valueDuration;
  if (!d) return undefined;
  const unit = d.code ?? d.unit;
  const factor = unit === 'min' ? 1 : unit === 'h' ? 60 : undefined;
  if (d.value === undefined || factor === undefined) {
    throw fhirError(422, 'invalid', `${DURATION_PATH} must be a valueDuration in minutes (code min) or hours (code h).`, [DURATION_PATH]);
  }
  return d.value * factor;
}

/**
 * The fields of a Rapport service a HealthcareService sets. A PUT replaces them, except the
 * duration and mode, which stay as they were when their extensions are left out; who offers the
 * service, its price and its booking rules are Rapport's own and never change here.
 */
function serviceInput(resource: HealthcareService, tenantId: string, isNew: boolean): ServiceChange {
  refuseUnkept(resource, {
    availableTime: 'when a service can be booked follows the weekly hours of the practitioners offering it (Clinic setup).',
    notAvailable: 'closures are holidays, or a practitioner\'s time off, in Clinic setup.',
  });
  requireClinic(resource.providedBy, tenantId, 'HealthcareService.providedBy');
  if (!resource.name?.trim()) throw fhirError(422, 'required', 'HealthcareService.name is required.', ['HealthcareService.name']);
  const durationMinutes = durationOf(resource);
  if (isNew && durationMinutes === undefined) {
    throw fhirError(422, 'required', `A new HealthcareService needs its visit length in the extension ${DURATION_URL} (valueDuration in minutes).`, [DURATION_PATH]);
  }
  const mode = resource.extension?.find((e) => e.url === MODE_URL);
  const locationIds = (resource.location ?? []).map((l, i) => referencedId(l, 'Location', `HealthcareService.location[${i}]`) ?? '');
  return {
    name: resource.name,
    description: resource.comment ?? null,
    ...(durationMinutes !== undefined ? { durationMinutes } : {}),
    ...(mode ? { mode: (mode.valueCode ?? '') as ServiceChange['mode'] } : {}),
    ...(resource.active !== undefined ? { active: resource.active } : {}),
    locationIds,
  };
}

async function createFhirService(scope: TenantScope, resource: HealthcareService, ctx: FhirContext): Promise<HealthcareService> {
  requireDirectoryWriter(scope, 'HealthcareService');
  const input = checkedInput('HealthcareService', newService, serviceInput(resource, scope.tenantId, true), PATHS);
  const identifiers = incomingIdentifiers('HealthcareService', resource.identifier);
  let id: string;
  try {
    id = (await createService(scope, input)).id;
  } catch (error) {
    throw asDirectoryProblem(error, 'HealthcareService', PATHS);
  }
  await storeIdentifiers(scope, 'HealthcareService', id, identifiers, ctx.now);
  return (await readService(scope, id))!;
}

async function updateFhirService(scope: TenantScope, id: string, resource: HealthcareService, expectedVersion: number | undefined, ctx: FhirContext): Promise<HealthcareService> {
  requireDirectoryWriter(scope, 'HealthcareService');
  const locked = isUuid(id) ? await scope.tx.selectFrom('service').select('id').where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  const current = locked ? await readService(scope, id) : undefined;
  if (!current) throw resourceNotFound('HealthcareService', id);
  refuseStale(current, expectedVersion);
  const input = checkedInput('HealthcareService', serviceChange, serviceInput(resource, scope.tenantId, false), PATHS);
  const identifiers = incomingIdentifiers('HealthcareService', resource.identifier);
  try {
    await changeService(scope, id, input);
  } catch (error) {
    throw asDirectoryProblem(error, 'HealthcareService', PATHS);
  }
  await storeIdentifiers(scope, 'HealthcareService', id, identifiers, ctx.now);
  return (await readService(scope, id))!;
}

export const healthcareServiceModule: ResourceModule<HealthcareService> = {
  type: 'HealthcareService',
  documentation:
    `The services the clinic books (service), with the locations offering them; the visit length is the extension ${DURATION_URL} (valueDuration, required in a create) ` +
    `and in person or video the extension ${MODE_URL} (valueCode in_person | video). Create and update (admin role) go through the Clinic setup rules; ` +
    'who offers a service, its price and booking rules are set in Rapport; availableTime and notAvailable are refused.',
  interactions: ['read', 'search-type', 'create', 'update'],
  searchParams: [...DIRECTORY_PARAMS, IDENTIFIER_PARAM, { name: 'location', type: 'reference', documentation: 'A Location offering the service' }],
  sorts: ['name'],
  versioned: true,
  conditionalCreate: true,
  writeRoles: DIRECTORY_WRITERS,
  read: (scope, id) => readService(scope, id),
  async search(scope, request) {
    let q = serviceRows(scope);
    for (const c of directoryConditions(request, 's', sql<string>`s.name`)) q = q.where(c);
    for (const p of request.params.filter((p) => p.name === 'identifier')) q = q.where(identifierCondition('HealthcareService', 's.id', p));
    for (const p of request.params.filter((p) => p.name === 'location')) {
      const ids = p.values.map((v) => v.split('/').at(-1)!).filter(isUuid);
      q = q.where(ids.length ? sql<boolean>`exists (select 1 from service_location sl where sl.service_id = s.id and sl.location_id in (${sql.join(ids.map((i) => sql`${i}::uuid`))}))` : sql<boolean>`false`);
    }
    const found = await q.orderBy(sql`lower(s.name)`, request.sort[0]?.desc ? 'desc' : 'asc').orderBy('s.id').limit(request.count + 1).offset(request.offset).execute();
    return found.map((r) => serviceToFhir(r, scope.tenantId));
  },
  create: createFhirService,
  update: updateFhirService,
};
