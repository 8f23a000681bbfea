import type { Practitioner } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import type { ResourceModule } from '../types.ts';
import { compact, meta } from './common.ts';
import { DIRECTORY_PARAMS, directoryConditions } from './directory-search.ts';

function rows(scope: TenantScope) {
  return scope.tx
    .selectFrom('practitioner as pr')
    .select(['pr.id', 'pr.prefix', 'pr.given_name', 'pr.family_name', 'pr.specialty', 'pr.email', 'pr.phone', 'pr.active', 'pr.organization_id', 'pr.created_at']);
}
type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

export function practitionerToFhir(r: Row): Practitioner {
  return compact({
    resourceType: 'Practitioner' as const,
    id: r.id,
    meta: meta(null, r.created_at),
    active: r.active,
    name: [compact({ use: 'official' as const, family: r.family_name, given: [r.given_name], prefix: r.prefix ? [r.prefix] : undefined })],
    telecom: [
      ...(r.phone ? [{ system: 'phone' as const, value: r.phone, use: 'work' as const }] : []),
      ...(r.email ? [{ system: 'email' as const, value: r.email, use: 'work' as const }] : []),
    ],
    qualification: r.specialty ? [{ code: { text: r.specialty } }] : undefined,
  });
}

export const practitionerModule: ResourceModule<Practitioner> = {
  type: 'Practitioner',
  documentation: "The clinic's practitioners and those of outside organizations in its directory (practitioner). Read-only: the directory is kept in Rapport.",
  interactions: ['read', 'search-type'],
  searchParams: DIRECTORY_PARAMS,
  sorts: ['name'],
  versioned: false,
  async read(scope, id) {
    const row = isUuid(id) ? await rows(scope).where('pr.id', '=', id).executeTakeFirst() : undefined;
    return row ? practitionerToFhir(row) : undefined;
  },
  async search(scope, request) {
    let q = rows(scope);
    for (const c of directoryConditions(request, 'pr', sql<string>`concat_ws(' ', pr.given_name, pr.family_name)`)) q = q.where(c);
    const desc = request.sort[0]?.desc ? 'desc' : 'asc';
    const found = await q.orderBy(sql`lower(pr.family_name)`, desc).orderBy(sql`lower(pr.given_name)`, desc).orderBy('pr.id').limit(request.count + 1).offset(request.offset).execute();
    return found.map(practitionerToFhir);
  },
};
