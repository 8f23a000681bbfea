import type { Location } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import { changeLocation, createLocation } from '../../scheduling/directory.ts';
import { locationChange, newLocation, type LocationChange } from '../../scheduling/directory-schema.ts';
import { fhirError, resourceNotFound } from '../outcome.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, meta, ref } from './common.ts';
import { identifierCondition, identifiersOf, IDENTIFIER_PARAM, incomingIdentifiers, storeIdentifiers } from './directory-identifiers.ts';
import { DIRECTORY_PARAMS, directoryConditions } from './directory-search.ts';
import { asDirectoryProblem, checkedInput, DIRECTORY_WRITERS, firstTelecom, refuseStale, refuseUnkept, requireClinic, requireDirectoryWriter, withDigestVersion, type FieldPaths } from './directory-write.ts';

/** The identifier system of a service's id where a CodeableConcept names it (Appointment.serviceType, Slot.serviceType). */
export const SERVICE_SYSTEM = 'urn:rapport:service';

/** The R4 core extension holding a location's IANA time zone; Rapport needs it to find slots. */
export const TIMEZONE_URL = 'http://hl7.org/fhir/StructureDefinition/timezone';
const TIMEZONE_PATH = `Location.extension('${TIMEZONE_URL}')`;

function locationRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('location as l')
    .select(['l.id', 'l.name', 'l.address_line', 'l.city', 'l.postal_code', 'l.phone', 'l.time_zone', 'l.active', 'l.created_at', identifiersOf('Location', 'l.id').as('identifiers')]);
}
type LocationRow = Awaited<ReturnType<ReturnType<typeof locationRows>['executeTakeFirstOrThrow']>>;

function locationToFhir(r: LocationRow, tenantId: string): Location {
  return withDigestVersion(
    compact({
      resourceType: 'Location' as const,
      id: r.id,
      meta: meta(null, r.created_at),
      identifier: r.identifiers,
      status: r.active ? ('active' as const) : ('inactive' as const),
      name: r.name,
      mode: 'instance' as const,
      telecom: r.phone ? [{ system: 'phone' as const, value: r.phone }] : undefined,
      address: r.address_line || r.city || r.postal_code ? compact({ line: r.address_line ? [r.address_line] : undefined, city: r.city ?? undefined, postalCode: r.postal_code ?? undefined }) : undefined,
      managingOrganization: ref('Organization', tenantId),
      extension: [{ url: TIMEZONE_URL, valueCode: r.time_zone }],
    }),
  );
}

async function readLocation(scope: TenantScope, id: string): Promise<Location | undefined> {
  const row = isUuid(id) ? await locationRows(scope).where('l.id', '=', id).executeTakeFirst() : undefined;
  return row ? locationToFhir(row, scope.tenantId) : undefined;
}

const PATHS: FieldPaths = {
  name: 'Location.name',
  addressLine: 'Location.address.line',
  city: 'Location.address.city',
  postalCode: 'Location.address.postalCode',
  phone: 'Location.telecom',
  timeZone: TIMEZONE_PATH,
  active: 'Location.status',
};

/** The fields of a Rapport location a FHIR Location sets; a PUT replaces them all. */
function locationInput(resource: Location, tenantId: string): LocationChange {
  refuseUnkept(resource, { hoursOfOperation: 'opening hours are each practitioner\'s weekly hours at the location (Clinic setup).' });
  if (resource.mode === 'kind') throw fhirError(422, 'business-rule', 'Location.mode must be instance: a Rapport location is a place patients are booked at, not a kind of place.', ['Location.mode']);
  requireClinic(resource.managingOrganization, tenantId, 'Location.managingOrganization');
  if (!resource.name?.trim()) throw fhirError(422, 'required', 'Location.name is required.', ['Location.name']);
  const zone = resource.extension?.find((e) => e.url === TIMEZONE_URL);
  const timeZone = zone?.valueCode ?? zone?.valueString;
  if (!timeZone) {
    throw fhirError(422, 'required', `Location needs its IANA time zone in the extension ${TIMEZONE_URL} (valueCode, such as America/New_York): Rapport finds and books slots in each location's zone.`, [TIMEZONE_PATH]);
  }
  return {
    name: resource.name,
    addressLine: resource.address?.line?.join(', ') || null,
    city: resource.address?.city ?? null,
    postalCode: resource.address?.postalCode ?? null,
    phone: firstTelecom(resource.telecom, 'phone'),
    timeZone,
    ...(resource.status ? { active: resource.status === 'active' } : {}),
  };
}

async function createFhirLocation(scope: TenantScope, resource: Location, ctx: FhirContext): Promise<Location> {
  requireDirectoryWriter(scope, 'Location');
  const input = checkedInput('Location', newLocation, locationInput(resource, scope.tenantId), PATHS);
  const identifiers = incomingIdentifiers('Location', resource.identifier);
  let id: string;
  try {
    id = (await createLocation(scope, input)).id;
  } catch (error) {
    throw asDirectoryProblem(error, 'Location', PATHS);
  }
  await storeIdentifiers(scope, 'Location', id, identifiers, ctx.now);
  return (await readLocation(scope, id))!;
}

async function updateFhirLocation(scope: TenantScope, id: string, resource: Location, expectedVersion: number | undefined, ctx: FhirContext): Promise<Location> {
  requireDirectoryWriter(scope, 'Location');
  const locked = isUuid(id) ? await scope.tx.selectFrom('location').select('id').where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  const current = locked ? await readLocation(scope, id) : undefined;
  if (!current) throw resourceNotFound('Location', id);
  refuseStale(current, expectedVersion);
  const input = checkedInput('Location', locationChange, locationInput(resource, scope.tenantId), PATHS);
  const identifiers = incomingIdentifiers('Location', resource.identifier);
  try {
    await changeLocation(scope, id, input);
  } catch (error) {
    throw asDirectoryProblem(error, 'Location', PATHS);
  }
  await storeIdentifiers(scope, 'Location', id, identifiers, ctx.now);
  return (await readLocation(scope, id))!;
}

export const locationModule: ResourceModule<Location> = {
  type: 'Location',
  documentation:
    `The clinic's locations (location). The extension ${TIMEZONE_URL} gives each one's IANA zone and is required in a write. ` +
    'Create and update (admin role) go through the Clinic setup rules; they keep name, address line, city and postal code, the first phone, status and identifiers; hoursOfOperation is refused (hours are set per practitioner).',
  interactions: ['read', 'search-type', 'create', 'update'],
  searchParams: [...DIRECTORY_PARAMS, IDENTIFIER_PARAM],
  sorts: ['name'],
  versioned: true,
  conditionalCreate: true,
  writeRoles: DIRECTORY_WRITERS,
  read: (scope, id) => readLocation(scope, id),
  async search(scope, request) {
    let q = locationRows(scope);
    for (const c of directoryConditions(request, 'l', sql<string>`l.name`)) q = q.where(c);
    for (const p of request.params.filter((p) => p.name === 'identifier')) q = q.where(identifierCondition('Location', 'l.id', p));
    const found = await q.orderBy(sql`lower(l.name)`, request.sort[0]?.desc ? 'desc' : 'asc').orderBy('l.id').limit(request.count + 1).offset(request.offset).execute();
    return found.map((r) => locationToFhir(r, scope.tenantId));
  },
  create: createFhirLocation,
  update: updateFhirLocation,
};
