import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { TenantScope } from '../../server/db/scope.ts';
import { sql } from 'kysely';
import { FhirError } from '../fhir/outcome.ts';
import type { FhirContext } from '../fhir/types.ts';
import { assign, bundleFhirContext, entryIssues, isApiWrite, statusLine, writeResponse, writeThroughApi, type AssignedIds } from './api-entries.ts';
import { r4Errors } from './conformance.ts';
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
  /** The FHIR API's context for entries written through its resource modules (Appointment, Consent, Task). */
  fhirContext?: FhirContext;
};

/**
 * Imports a FHIR R4 Bundle of type `transaction` or `batch` in the caller's tenant scope (its
 * transaction; patient writes are audited through it) and returns the response Bundle.
 *
 * - Every entry of a type Rapport stores is first validated against its R4 definition (Medplum's
 *   validator, as the REST API does); an invalid one is a 422 naming the entry and the problem.
 * - Each entry's resource is mapped to Rapport's tables (see docs/decisions/0021-fhir-import.md).
 *   Types Rapport does not keep (Observation, Procedure ...) are answered 200 with an informational
 *   OperationOutcome saying so; nothing is stored for them. Resources already imported (same system,
 *   type and id, same content) are answered 200 and change nothing.
 * - Types the REST API writes but the import does not map (Appointment, Consent, Task) go through
 *   the API's own resource modules (see api-entries.ts), after the imported types and in bundle
 *   order, with references to earlier entries (urn:uuid fullUrls) rewritten to their Rapport ids:
 *   201 with location Type/id/_history/n for a POST, 200 for a PUT Type/id (honouring ifMatch).
 * - `transaction`: all or nothing. When any entry cannot be imported, everything the bundle wrote
 *   is rolled back (to a savepoint: the caller's transaction stays usable) and a FhirError is
 *   thrown: status 400 for a bundle that cannot be read, 422 for entries that are invalid or cannot
 *   be imported (issue code `not-found` for a reference to nothing this clinic holds), the API's own
 *   status (409 for a booking clash, 412 for a stale ifMatch ...) for an entry written through the
 *   API, with an OperationOutcome naming each bad entry (`Bundle.entry[i]`).
 * - `batch`: each entry on its own; returns a `batch-response` whose entries carry their status
 *   (201, 200, 4xx) and, for a failed entry, an OperationOutcome. Never throws for an entry.
 *
 * Any other bundle type, or something that is not a Bundle, throws a FhirError 400.
 */
export async function processBundle(scope: TenantScope, bundle: unknown, options: ProcessBundleOptions): Promise<Bundle> {
  const read = readRequestBundle(bundle, options.label ?? 'Bundle');
  const transaction = read.type === 'transaction';

  // Every entry of a type Rapport stores is validated against its R4 definition before any mapping,
  // so a transaction is refused whole with every invalid entry named. The pipeline checks the entries
  // it imports too (for the CLI); for these same objects that is a lookup, not a second validation.
  const invalid = new Map<number, OperationOutcomeIssue[]>();
  for (const entry of read.entries) {
    const errors = r4Errors(entry.resource);
    if (errors.length) invalid.set(entry.index, entryIssues(entry, errors));
  }
  if (transaction && invalid.size) {
    throw new FhirError(422, { resourceType: 'OperationOutcome', issue: [...invalid.values()].flat().map((i) => ({ ...i, details: { text: `${i.details?.text ?? ''}. Nothing of the bundle was stored.` } })) });
  }
  const valid = read.entries.filter((e) => !invalid.has(e.index));
  const imported = valid.filter((e) => !isApiWrite(e));
  const throughApi = valid.filter(isApiWrite);

  // With entries written through the API, the whole bundle runs in a savepoint of its own: a
  // transaction rolls back to it when one of them fails, a dry run always.
  const outer = throughApi.length > 0;
  if (outer) await sql`savepoint fhir_bundle`.execute(scope.tx);
  const undo = async () => {
    await sql`rollback to savepoint fhir_bundle`.execute(scope.tx);
    await sql`release savepoint fhir_bundle`.execute(scope.tx);
  };
  const units: ImportUnit[] = transaction
    ? imported.length ? [{ label: read.label, atomic: true, entries: imported }] : []
    : imported.map((entry) => ({ label: entry.where, atomic: false, entries: [entry] }));
  let results: EntryResult[];
  try {
    results = await importUnits(scope, units, { now: options.now, system: options.system ?? DEFAULT_FHIR_SYSTEM, dryRun: outer ? false : (options.dryRun ?? false) });
  } catch (error) {
    if (outer) await undo();
    throw error;
  }
  const byIndex = new Map(results.map((r) => [r.entry.index, r]));
  if (transaction) {
    const failed = results.filter((r) => r.outcome === 'failed' && !r.reason?.startsWith(NOT_STORED_PREFIX));
    // 422, not 404 or 400: the Bundle was read and the endpoint exists, but an entry breaks a rule of
    // this server (FHIR http.html: 422 for "server business rules"; referential integrity is one).
    // A reference that resolves nowhere carries issue code `not-found` ("the reference provided was
    // not found", the code FHIR has for a 404 further inside the request). Another clinic's id gets
    // the very same answer as an id no one has: the tenant scope never sees it.
    if (failed.length) {
      if (outer) await undo();
      throw new FhirError(422, {
        resourceType: 'OperationOutcome',
        issue: failed.map((r) => issue('error', r.failureCode ?? 'processing', `${r.entry.where}: ${r.reason}. Nothing of the bundle was stored.`, r.entry.index)),
      });
    }
  }

  const written = new Map<number, NonNullable<BundleEntry['response']>>();
  if (outer) {
    const ids: AssignedIds = new Map();
    for (const r of results) if (r.entityId && r.type !== 'ExplanationOfBenefit') assign(ids, r.entry, r.type, r.entityId);
    // Entries meant to be stored that have no Rapport id (yet): a reference to one is refused, not passed on.
    const pending = new Map<string, ImportEntry>();
    for (const e of read.entries) {
      const r = byIndex.get(e.index);
      if (r?.outcome === 'skipped' || r?.entityId) continue;
      const id = (e.resource as { id?: unknown }).id;
      if (e.fullUrl) pending.set(e.fullUrl, e);
      if (typeof id === 'string') pending.set(`${e.resource.resourceType}/${id}`, e);
    }
    const ctx = options.fhirContext ?? bundleFhirContext(options.now);
    for (const entry of throughApi) {
      if (!transaction) await sql`savepoint fhir_entry`.execute(scope.tx);
      try {
        const write = await writeThroughApi(scope, entry, read.requests[entry.index], ids, pending, ctx);
        if (!transaction) await sql`release savepoint fhir_entry`.execute(scope.tx);
        assign(ids, entry, entry.resource.resourceType, write.resource.id!);
        written.set(entry.index, writeResponse(write));
      } catch (error) {
        if (!transaction) {
          await sql`rollback to savepoint fhir_entry`.execute(scope.tx);
          await sql`release savepoint fhir_entry`.execute(scope.tx);
        }
        if (transaction || !(error instanceof FhirError)) {
          await undo();
          if (!(error instanceof FhirError)) throw error;
          throw new FhirError(error.status, { resourceType: 'OperationOutcome', issue: entryIssues(entry, error.outcome.issue ?? [], '. Nothing of the bundle was stored.') });
        }
        written.set(entry.index, { status: statusLine(error.status), outcome: { resourceType: 'OperationOutcome', issue: entryIssues(entry, error.outcome.issue ?? []) } });
      }
    }
    if (options.dryRun) await undo();
    else await sql`release savepoint fhir_bundle`.execute(scope.tx);
  }

  return {
    resourceType: 'Bundle',
    type: transaction ? 'transaction-response' : 'batch-response',
    entry: read.entries.map((entry) => {
      const bad = invalid.get(entry.index);
      if (bad) return { response: { status: '422 Unprocessable Entity', outcome: { resourceType: 'OperationOutcome', issue: bad } } };
      return { response: written.get(entry.index) ?? responseOf(byIndex.get(entry.index)!) };
    }),
  };
}

/** The reason given to the other entries of a transaction rolled back because of one bad entry. */
export const NOT_STORED_PREFIX = 'not stored:';

type RequestBundle = { type: 'transaction' | 'batch'; label: string; entries: ImportEntry[]; requests: Array<BundleEntry['request'] | undefined> };

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
  const requests = (b.entry ?? []).map((raw) => (typeof raw === 'object' && raw !== null && typeof raw.request === 'object' && raw.request !== null ? raw.request : undefined));
  const entries = (b.entry ?? []).map((raw, index): ImportEntry => {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as BundleEntry;
    return { where: `${label} entry ${index}`, index, fullUrl: typeof e.fullUrl === 'string' ? e.fullUrl : undefined, resource: entryResource(e) };
  });
  return { type: b.type, label, entries, requests };
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
      return { status: result.reason?.startsWith('not a') || result.reason?.startsWith('unknown') ? '400 Bad Request' : '422 Unprocessable Entity', outcome: outcomeOf('error', result.failureCode ?? 'processing') };
  }
}
