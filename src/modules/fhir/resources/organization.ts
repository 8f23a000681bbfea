import type { Organization } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import { parseToken } from '../search.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, meta } from './common.ts';
import { identifierCondition, identifiersOf, IDENTIFIER_PARAM, incomingIdentifiers, storeIdentifiers } from './directory-identifiers.ts';
import { DIRECTORY_PARAMS, directoryConditions } from './directory-search.ts';
import { DIRECTORY_WRITERS, requireDirectoryWriter } from './directory-write.ts';
import { addOrganization, changeOrganization, lockOrganization, organizationFields, ORGANIZATION_TYPE_SYSTEM } from './organization-write.ts';

/**
 * Organizations: the clinic itself (the tenant, whose id is the tenant's id) first, then the outside
 * organizations of its directory (organization, migration 0008_interop). Create and update write
 * to that directory (organization-write.ts); the clinic itself is read-only here.
 */

const TENANT_SYSTEM = 'urn:rapport:tenant';

function rows(scope: TenantScope) {
  return scope.tx
    .selectFrom('organization as o')
    .select([
      'o.id', 'o.name', 'o.kind', 'o.phone', 'o.email', 'o.address_line', 'o.city', 'o.region', 'o.postal_code', 'o.country', 'o.active', 'o.version', 'o.updated_at',
      identifiersOf('Organization', 'o.id').as('identifiers'),
    ]);
}
type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

function toFhir(r: Row): Organization {
  const hasAddress = r.address_line || r.city || r.region || r.postal_code || r.country;
  return compact({
    resourceType: 'Organization' as const,
    id: r.id,
    meta: meta(r.version, r.updated_at),
    identifier: r.identifiers,
    active: r.active,
    name: r.name,
    type: r.kind ? [{ coding: [{ system: ORGANIZATION_TYPE_SYSTEM, code: r.kind }] }] : undefined,
    telecom: [...(r.phone ? [{ system: 'phone' as const, value: r.phone }] : []), ...(r.email ? [{ system: 'email' as const, value: r.email }] : [])],
    address: hasAddress
      ? [compact({ line: r.address_line ? [r.address_line] : undefined, city: r.city ?? undefined, state: r.region ?? undefined, postalCode: r.postal_code ?? undefined, country: r.country ?? undefined })]
      : undefined,
  });
}

async function clinic(scope: TenantScope): Promise<Organization> {
  const t = await scope.tx.selectFrom('tenant').select(['id', 'name', 'slug', 'created_at']).where('id', '=', scope.tenantId).executeTakeFirstOrThrow();
  return {
    resourceType: 'Organization',
    id: t.id,
    meta: meta(null, t.created_at),
    identifier: [{ system: TENANT_SYSTEM, value: t.slug }],
    active: true,
    type: [{ coding: [{ system: ORGANIZATION_TYPE_SYSTEM, code: 'prov', display: 'Healthcare Provider' }] }],
    name: t.name,
  };
}

function clinicMatches(org: Organization, request: Parameters<ResourceModule['search']>[1]): boolean {
  return request.params.every((p) =>
    p.values.some((v) => {
      if (p.name === '_id') return v === org.id;
      if (p.name === 'active') return v === 'true';
      if (p.name === 'identifier') {
        const { system, code } = parseToken(v);
        return (system === undefined || system === TENANT_SYSTEM) && (code === undefined || code === org.identifier![0]!.value);
      }
      if (p.name === 'name') {
        const name = org.name!;
        if (p.modifier === 'exact') return name === v;
        if (p.modifier === 'contains') return name.toLowerCase().includes(v.toLowerCase());
        return ` ${name.toLowerCase()}`.includes(` ${v.toLowerCase()}`);
      }
      return false;
    }),
  );
}

async function readOrganization(scope: TenantScope, id: string): Promise<Organization | undefined> {
  if (id === scope.tenantId) return clinic(scope);
  const row = isUuid(id) ? await rows(scope).where('o.id', '=', id).executeTakeFirst() : undefined;
  return row ? toFhir(row) : undefined;
}

async function createFhirOrganization(scope: TenantScope, resource: Organization, ctx: FhirContext): Promise<Organization> {
  requireDirectoryWriter(scope, 'Organization');
  const fields = organizationFields(resource);
  const identifiers = incomingIdentifiers('Organization', resource.identifier);
  const id = await addOrganization(scope, fields, ctx.now);
  await storeIdentifiers(scope, 'Organization', id, identifiers, ctx.now);
  return (await readOrganization(scope, id))!;
}

async function updateFhirOrganization(scope: TenantScope, id: string, resource: Organization, expectedVersion: number | undefined, ctx: FhirContext): Promise<Organization> {
  requireDirectoryWriter(scope, 'Organization');
  await lockOrganization(scope, id, expectedVersion);
  const fields = organizationFields(resource);
  const identifiers = incomingIdentifiers('Organization', resource.identifier);
  await changeOrganization(scope, id, fields, ctx.now);
  await storeIdentifiers(scope, 'Organization', id, identifiers, ctx.now);
  return (await readOrganization(scope, id))!;
}

export const organizationModule: ResourceModule<Organization> = {
  type: 'Organization',
  documentation:
    'The clinic itself (its id is the tenant id, read-only), then the outside organizations of its directory (hospitals, payers, referring practices). ' +
    'Create and update (admin role) write to that directory: name, kind (type, organization-type codes), the first phone and email, one address, active and identifiers.',
  interactions: ['read', 'search-type', 'create', 'update'],
  searchParams: [...DIRECTORY_PARAMS, IDENTIFIER_PARAM],
  sorts: ['name'],
  versioned: true,
  conditionalCreate: true,
  writeRoles: DIRECTORY_WRITERS,
  read: (scope, id) => readOrganization(scope, id),
  async search(scope, request) {
    const own = await clinic(scope);
    const first = clinicMatches(own, request) ? [own] : [];
    // The clinic is row 0 of the result when it matches; the table's rows follow it.
    const skip = Math.max(0, request.offset - first.length);
    let q = rows(scope);
    for (const c of directoryConditions(request, 'o', sql<string>`o.name`)) q = q.where(c);
    for (const p of request.params.filter((p) => p.name === 'identifier')) q = q.where(identifierCondition('Organization', 'o.id', p));
    const found = await q
      .orderBy(sql`lower(o.name)`, request.sort[0]?.desc ? 'desc' : 'asc')
      .orderBy('o.id')
      .limit(request.count + 1)
      .offset(skip)
      .execute();
    return [...first.slice(request.offset), ...found.map(toFhir)].slice(0, request.count + 1);
  },
  create: createFhirOrganization,
  update: updateFhirOrganization,
};
