import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { TenantScope } from '../../server/db/scope.ts';
import { FhirError } from '../fhir/outcome.ts';
import { importUnits } from './pipeline.ts';
import { DEFAULT_FHIR_SYSTEM, type EntryResult, type ImportEntry, type ImportUnit } from './types.ts';

export type ProcessBundleOptions = {
  /** The time of the import (the clinic's clock). */
  now: Date;
  /**
   * The system the bundle's resource ids belong to (external_ref.system): the same id from the same
   * system is the same Rapport row on every import. Defaults to DEFAULT_FHIR_SYSTEM.
   */
  system?: string;
  /** Check and write everything, then roll it all back; the response says what would happen. */
  dryRun?: boolean;
  /** Names the bundle in problems ("POST /fhir/R4", a file name). */
  label?: string;
};

/**
 * Imports a FHIR R4 Bundle of type `transaction` or `batch` in the caller's tenant scope (its
 * transaction; patient writes are audited through it) and returns the response Bundle.
 *
 * - Each entry's resource is mapped to Rapport's tables (see docs/decisions/0021-fhir-import.md).
 *   Types Rapport does not keep (Observation, Procedure ...) are answered 200 with an informational
 *   OperationOutcome saying so; nothing is stored for them. Resources already imported (same system,
 *   type and id, same content) are answered 200 and change nothing.
 * - `transaction`: all or nothing. When any entry cannot be imported, everything the bundle wrote
 *   is rolled back (to a savepoint: the caller's transaction stays usable) and a FhirError is
 *   thrown: status 400 for a bundle that cannot be read, 422 for entries that cannot be imported,
 *   with an OperationOutcome naming each bad entry (`Bundle.entry[i]`).
 * - `batch`: each entry on its own; returns a `batch-response` whose entries carry their status
 *   (201, 200, 4xx) and, for a failed entry, an OperationOutcome. Never throws for an entry.
 *
 * Any other bundle type, or something that is not a Bundle, throws a FhirError 400.
 */
export async function processBundle(scope: TenantScope, bundle: unknown, options: ProcessBundleOptions): Promise<Bundle> {
  const read = readRequestBundle(bundle, options.label ?? 'Bundle');
  const units: ImportUnit[] =
    read.type === 'transaction'
      ? [{ label: read.label, atomic: true, entries: read.entries }]
      : read.entries.map((entry) => ({ label: entry.where, atomic: false, entries: [entry] }));
  const results = await importUnits(scope, units, { now: options.now, system: options.system ?? DEFAULT_FHIR_SYSTEM, dryRun: options.dryRun ?? false });
  const byIndex = new Map(results.map((r) => [r.entry.index, r]));
  if (read.type === 'transaction') {
    const failed = results.filter((r) => r.outcome === 'failed' && !r.reason?.startsWith(NOT_STORED_PREFIX));
    if (failed.length) {
      throw new FhirError(422, {
        resourceType: 'OperationOutcome',
        issue: failed.map((r) => issue('error', 'processing', `${r.entry.where}: ${r.reason}. Nothing of the bundle was stored.`, r.entry.index)),
      });
    }
  }
  return {
    resourceType: 'Bundle',
    type: read.type === 'transaction' ? 'transaction-response' : 'batch-response',
    entry: read.entries.map((entry) => ({ response: responseOf(byIndex.get(entry.index)!) })),
  };
}

/** The reason given to the other entries of a transaction rolled back because of one bad entry. */
export const NOT_STORED_PREFIX = 'not stored:';

type RequestBundle = { type: 'transaction' | 'batch'; label: string; entries: ImportEntry[] };

const badBundle = (text: string, expression?: string) =>
  new FhirError(400, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', details: { text }, ...(expression ? { expression: [expression] } : {}) }] });

/** The bundle's entries, or a 400 naming what makes it unreadable. */
function readRequestBundle(bundle: unknown, label: string): RequestBundle {
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle)) throw badBundle(`${label} is not a FHIR resource (expected a JSON object).`);
  const b = bundle as Partial<Bundle> & { resourceType?: unknown };
  if (b.resourceType !== 'Bundle') throw badBundle(`${label} is a ${typeof b.resourceType === 'string' ? b.resourceType : 'resource without resourceType'}, not a Bundle.`, 'Bundle.resourceType');
  if (b.type !== 'transaction' && b.type !== 'batch') {
    throw badBundle(`${label} is a Bundle of type "${String(b.type)}"; only transaction and batch bundles are processed.`, 'Bundle.type');
  }
  if (b.entry !== undefined && !Array.isArray(b.entry)) throw badBundle(`${label}: Bundle.entry must be an array.`, 'Bundle.entry');
  const entries = (b.entry ?? []).map((raw, index): ImportEntry => {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as BundleEntry;
    return { where: `${label} entry ${index}`, index, fullUrl: typeof e.fullUrl === 'string' ? e.fullUrl : undefined, resource: entryResource(e) };
  });
  return { type: b.type, label, entries };
}

/** The entry's resource; a missing one or one a DELETE/GET asks for is passed on marked, so it fails as an entry. */
function entryResource(e: BundleEntry): Resource {
  const method = e.request?.method;
  if (method && method !== 'POST' && method !== 'PUT') return { resourceType: `(${method} request)` } as unknown as Resource;
  return (typeof e.resource === 'object' && e.resource !== null ? e.resource : { resourceType: '(no resource)' }) as Resource;
}

function issue(severity: OperationOutcomeIssue['severity'], code: OperationOutcomeIssue['code'], text: string, index: number): OperationOutcomeIssue {
  return { severity, code, details: { text }, expression: [`Bundle.entry[${index}]`] };
}

function responseOf(result: EntryResult): NonNullable<BundleEntry['response']> {
  const location = result.entityId ? `${result.type}/${result.entityId}` : undefined;
  const outcomeOf = (severity: OperationOutcomeIssue['severity'], code: OperationOutcomeIssue['code']): OperationOutcome => ({
    resourceType: 'OperationOutcome',
    issue: [issue(severity, code, `${result.entry.where}: ${result.reason ?? result.outcome}`, result.entry.index)],
  });
  switch (result.outcome) {
    case 'created':
      return { status: '201 Created', ...(location ? { location } : {}) };
    case 'updated':
    case 'unchanged':
      return { status: '200 OK', ...(location ? { location } : {}) };
    case 'skipped':
      return { status: '200 OK', outcome: outcomeOf('information', 'informational') };
    case 'failed':
      return { status: result.reason?.startsWith('not a') || result.reason?.startsWith('unknown') ? '400 Bad Request' : '422 Unprocessable Entity', outcome: outcomeOf('error', 'processing') };
  }
}
