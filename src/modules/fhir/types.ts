import type { Resource } from '@medplum/fhirtypes';
import type { AppDeps } from '../../server/app.ts';
import type { StaffRole } from '../../server/db/types.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import type { SearchParamDef, SearchRequest } from './search.ts';

/** What every FHIR interaction is given besides the tenant scope. */
export type FhirContext = {
  deps: AppDeps;
  now: Date;
  /** This server's FHIR base, e.g. https://rapport.example.org/fhir/R4, for links and fullUrls. */
  baseUrl: string;
};

export type Interaction = 'read' | 'search-type' | 'create' | 'update';

/**
 * One FHIR resource type mapped onto Rapport's own tables. The routes, the CapabilityStatement and
 * `$everything` all read this one description, so what the server says it supports is what it does.
 */
export type ResourceModule<R extends Resource = Resource> = {
  type: R['resourceType'];
  documentation: string;
  interactions: readonly Interaction[];
  searchParams: readonly SearchParamDef[];
  /** Parameter names `_sort` accepts (each also descending with `-`). */
  sorts: readonly string[];
  /** Resources carry meta.versionId (a version column, or a digest for directory rows without one), and update honours If-Match. */
  versioned: boolean;
  conditionalCreate?: boolean;
  /** Roles that may create and update, when fewer than every role the API serves (the directory: admin). */
  writeRoles?: readonly StaffRole[];
  read(scope: TenantScope, id: string, ctx: FhirContext): Promise<R | undefined>;
  /** Up to `count + 1` matches from `offset`, so the caller knows whether there is a next page. */
  search(scope: TenantScope, request: SearchRequest, ctx: FhirContext): Promise<R[]>;
  create?(scope: TenantScope, resource: R, ctx: FhirContext): Promise<R>;
  /** Replaces the resource; `expectedVersion` is the If-Match version, refused with 412 when stale. */
  update?(scope: TenantScope, id: string, resource: R, expectedVersion: number | undefined, ctx: FhirContext): Promise<R>;
};
