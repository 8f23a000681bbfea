import type { Organization } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import type { ResourceModule } from '../types.ts';
import { compact, meta } from './common.ts';
import { DIRECTORY_PARAMS, directoryConditions } from './directory-search.ts';

/**
 * Organizations: the clinic itself (the tenant, whose id is the tenant's id) first, then the outside
 * organizations of its directory (organization, migration 0008_interop).
 */

function rows(scope: TenantScope) {
  return scope.tx
    .selectFrom('organization as o')
    .select(['o.id', 'o.name', 'o.kind', 'o.phone', 'o.email', 'o.address_line', 'o.city', 'o.region', 'o.postal_code', 'o.country', 'o.active', 'o.version', 'o.updated_at']);
}
type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

function toFhir(r: Row): Organization {
  const hasAddress = r.address_line || r.city || r.region || r.postal_code || r.country;
  return compact({
    resourceType: 'Organization' as const,
    id: r.id,
    meta: meta(r.version, r.updated_at),
    active: r.active,
    name: r.name,
    type: r.kind ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: r.kind }] }] : undefined,
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
    identifier: [{ system: 'urn:rapport:tenant', value: t.slug }],
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }] }],
    name: t.name,
  };
}

function clinicMatches(org: Organization, request: Parameters<ResourceModule['search']>[1]): boolean {
  return request.params.every((p) =>
    p.values.some((v) => {
      if (p.name === '_id') return v === org.id;
      if (p.name === 'active') return v === 'true';
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

export const organizationModule: ResourceModule<Organization> = {
  type: 'Organization',
  documentation: 'The clinic itself (its id is the tenant id), then the outside organizations of its directory. Read-only.',
  interactions: ['read', 'search-type'],
  searchParams: DIRECTORY_PARAMS,
  sorts: ['name'],
  versioned: true,
  async read(scope, id) {
    if (id === scope.tenantId) return clinic(scope);
    const row = isUuid(id) ? await rows(scope).where('o.id', '=', id).executeTakeFirst() : undefined;
    return row ? toFhir(row) : undefined;
  },
  async search(scope, request) {
    const own = await clinic(scope);
    const first = clinicMatches(own, request) ? [own] : [];
    // The clinic is row 0 of the result when it matches; the table's rows follow it.
    const skip = Math.max(0, request.offset - first.length);
    let q = rows(scope);
    for (const c of directoryConditions(request, 'o', sql<string>`o.name`)) q = q.where(c);
    const found = await q
      .orderBy(sql`lower(o.name)`, request.sort[0]?.desc ? 'desc' : 'asc')
      .orderBy('o.id')
      .limit(request.count + 1)
      .offset(skip)
      .execute();
    return [...first.slice(request.offset), ...found.map(toFhir)].slice(0, request.count + 1);
  },
};
