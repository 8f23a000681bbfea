import type { HealthcareService, Location } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import type { ResourceModule } from '../types.ts';
import { compact, meta, ref } from './common.ts';
import { DIRECTORY_PARAMS, directoryConditions } from './directory-search.ts';

/** The identifier system of a service's id where a CodeableConcept names it (Appointment.serviceType, Slot.serviceType). */
export const SERVICE_SYSTEM = 'urn:rapport:service';

function locationRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('location as l')
    .select(['l.id', 'l.name', 'l.address_line', 'l.city', 'l.postal_code', 'l.phone', 'l.time_zone', 'l.active', 'l.created_at']);
}
type LocationRow = Awaited<ReturnType<ReturnType<typeof locationRows>['executeTakeFirstOrThrow']>>;

function locationToFhir(r: LocationRow, tenantId: string): Location {
  return compact({
    resourceType: 'Location' as const,
    id: r.id,
    meta: meta(null, r.created_at),
    status: r.active ? ('active' as const) : ('inactive' as const),
    name: r.name,
    mode: 'instance' as const,
    telecom: r.phone ? [{ system: 'phone' as const, value: r.phone }] : undefined,
    address: r.address_line || r.city || r.postal_code ? compact({ line: r.address_line ? [r.address_line] : undefined, city: r.city ?? undefined, postalCode: r.postal_code ?? undefined }) : undefined,
    managingOrganization: ref('Organization', tenantId),
    extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: r.time_zone }],
  });
}

export const locationModule: ResourceModule<Location> = {
  type: 'Location',
  documentation: "The clinic's locations (location); the extension timezone gives each one's IANA zone. Read-only.",
  interactions: ['read', 'search-type'],
  searchParams: DIRECTORY_PARAMS,
  sorts: ['name'],
  versioned: false,
  async read(scope, id) {
    const row = isUuid(id) ? await locationRows(scope).where('l.id', '=', id).executeTakeFirst() : undefined;
    return row ? locationToFhir(row, scope.tenantId) : undefined;
  },
  async search(scope, request) {
    let q = locationRows(scope);
    for (const c of directoryConditions(request, 'l', sql<string>`l.name`)) q = q.where(c);
    const found = await q.orderBy(sql`lower(l.name)`, request.sort[0]?.desc ? 'desc' : 'asc').orderBy('l.id').limit(request.count + 1).offset(request.offset).execute();
    return found.map((r) => locationToFhir(r, scope.tenantId));
  },
};

function serviceRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('service as s')
    .select([
      's.id', 's.name', 's.description', 's.duration_minutes', 's.active', 's.mode', 's.public_booking', 's.created_at',
      sql<string[]>`coalesce((select array_agg(sl.location_id order by sl.location_id) from service_location sl where sl.service_id = s.id), '{}')`.as('location_ids'),
    ]);
}
type ServiceRow = Awaited<ReturnType<ReturnType<typeof serviceRows>['executeTakeFirstOrThrow']>>;

function serviceToFhir(r: ServiceRow, tenantId: string): HealthcareService {
  return compact({
    resourceType: 'HealthcareService' as const,
    id: r.id,
    meta: meta(null, r.created_at),
    active: r.active,
    providedBy: ref('Organization', tenantId),
    type: [{ coding: [{ system: SERVICE_SYSTEM, code: r.id, display: r.name }], text: r.name }],
    name: r.name,
    comment: r.description ?? undefined,
    location: r.location_ids.map((id) => ({ reference: `Location/${id}` })),
    extraDetails: `${r.duration_minutes} minutes${r.mode === 'video' ? ', by video' : ''}`,
    appointmentRequired: true,
  });
}

export const healthcareServiceModule: ResourceModule<HealthcareService> = {
  type: 'HealthcareService',
  documentation: 'The services the clinic books (service), with the locations offering them. Read-only.',
  interactions: ['read', 'search-type'],
  searchParams: [...DIRECTORY_PARAMS, { name: 'location', type: 'reference', documentation: 'A Location offering the service' }],
  sorts: ['name'],
  versioned: false,
  async read(scope, id) {
    const row = isUuid(id) ? await serviceRows(scope).where('s.id', '=', id).executeTakeFirst() : undefined;
    return row ? serviceToFhir(row, scope.tenantId) : undefined;
  },
  async search(scope, request) {
    let q = serviceRows(scope);
    for (const c of directoryConditions(request, 's', sql<string>`s.name`)) q = q.where(c);
    for (const p of request.params.filter((p) => p.name === 'location')) {
      const ids = p.values.map((v) => v.split('/').at(-1)!).filter(isUuid);
      q = q.where(ids.length ? sql<boolean>`exists (select 1 from service_location sl where sl.service_id = s.id and sl.location_id in (${sql.join(ids.map((i) => sql`${i}::uuid`))}))` : sql<boolean>`false`);
    }
    const found = await q.orderBy(sql`lower(s.name)`, request.sort[0]?.desc ? 'desc' : 'asc').orderBy('s.id').limit(request.count + 1).offset(request.offset).execute();
    return found.map((r) => serviceToFhir(r, scope.tenantId));
  },
};
