import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import type { ResourceModule } from './types.ts';

/** Operations beyond the CRUD interactions, with the resource they belong to. */
export const OPERATIONS = [{ name: 'everything', resource: 'Patient', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] as const;

/**
 * The CapabilityStatement, built from the same resource registry the routes dispatch to: a resource,
 * interaction or search parameter is listed here exactly when a route serves it.
 */
export function capabilityStatement(modules: readonly ResourceModule[], options: { baseUrl: string; date: string; version: string; batch: boolean }): CapabilityStatement {
  const resource: CapabilityStatementRestResource[] = modules.map((m) => ({
    type: m.type,
    documentation: m.documentation,
    interaction: m.interactions.map((code) => ({ code })),
    versioning: m.versioned ? 'versioned-update' : 'no-version',
    readHistory: false,
    updateCreate: false,
    conditionalCreate: Boolean(m.conditionalCreate && m.interactions.includes('create')),
    conditionalRead: 'not-supported',
    conditionalUpdate: false,
    conditionalDelete: 'not-supported',
    searchParam: [
      ...m.searchParams.map((p) => ({
        name: p.name,
        type: p.type,
        documentation: p.documentation + (p.modifiers?.length ? ` (modifiers: ${p.modifiers.map((x) => `:${x}`).join(', ')})` : ''),
      })),
      { name: '_count', type: 'number' as const, documentation: 'Page size: 20 by default, at most 1000' },
      { name: '_offset', type: 'number' as const, documentation: 'Where the page starts (the paging links carry it)' },
      ...(m.sorts.length ? [{ name: '_sort', type: 'string' as const, documentation: `Sort by ${m.sorts.join(', ')}; a leading - sorts descending` }] : []),
    ],
    operation: OPERATIONS.filter((o) => o.resource === m.type).map((o) => ({ name: o.name, definition: o.definition })),
  }));
  for (const r of resource) if (!r.operation?.length) delete r.operation;
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.date,
    publisher: 'Rapport',
    kind: 'instance',
    software: { name: 'Rapport', version: options.version },
    implementation: { description: 'Rapport FHIR R4 API', url: options.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Tenant-scoped: every request acts in the caller\'s clinic. Unknown search parameters are ignored unless the request has "Prefer: handling=strict". Errors are OperationOutcome.',
        security: {
          cors: false,
          description: 'Authorization: Bearer <API token> (`rapport token create`), or the staff session cookie.',
        },
        resource,
        interaction: options.batch ? [{ code: 'transaction' }, { code: 'batch' }] : [],
      },
    ],
  };
}
