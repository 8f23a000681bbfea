import type { BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { AppDeps } from '../../server/app.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { asUnprocessable, FhirError, fhirError, fromAppError, notSupported } from '../fhir/outcome.ts';
import { moduleFor, patientIdOf, RESOURCES } from '../fhir/registry.ts';
import type { FhirContext } from '../fhir/types.ts';
import { KEPT_TYPES } from './pipeline.ts';
import type { ImportEntry } from './types.ts';

/**
 * Bundle entries of the types Rapport writes through its FHIR API but the import does not map
 * (Appointment, Consent, Task): they are created (POST) or updated (PUT Type/id, with
 * request.ifMatch) by the API's own resource modules, so every rule of the REST API holds for them
 * too (booking rules, the task and consent services, versions). References to other entries of the
 * bundle (their fullUrl, or Type/id of their resource id) are rewritten to the Rapport ids those
 * entries were given; such entries are processed after the imported types, in bundle order.
 */

/** The types written through the API's modules: writable there, not mapped by the import pipeline. */
export const API_WRITE_TYPES: ReadonlySet<string> = new Set(
  RESOURCES.filter((m) => (m.create || m.update) && !KEPT_TYPES.includes(m.type)).map((m) => m.type as string),
);

export const isApiWrite = (entry: ImportEntry): boolean => API_WRITE_TYPES.has((entry.resource as { resourceType?: unknown }).resourceType as string);

/**
 * The context the resource modules are given. They read only `now` today; AppDeps is not available
 * to the bundle pipeline, so a module that starts needing it fails loudly here rather than quietly.
 */
export function bundleFhirContext(now: Date, baseUrl = ''): FhirContext {
  return {
    now,
    baseUrl,
    get deps(): AppDeps {
      throw new Error('A FHIR resource module needed AppDeps while writing a Bundle entry; pass fhirContext to processBundle.');
    },
  };
}

export type ApiWrite = { resource: Resource; created: boolean };

/** Reference text (a fullUrl, `Type/id`) to the `Type/<Rapport id>` an entry of the bundle became. */
export type AssignedIds = Map<string, string>;

/** Notes what an entry became, so later entries can refer to it by its fullUrl or Type/id. */
export function assign(ids: AssignedIds, entry: ImportEntry, type: string, rapportId: string): void {
  const target = `${type}/${rapportId}`;
  if (entry.fullUrl && !ids.has(entry.fullUrl)) ids.set(entry.fullUrl, target);
  const id = (entry.resource as { id?: unknown }).id;
  if (typeof id === 'string' && !ids.has(`${type}/${id}`)) ids.set(`${type}/${id}`, target);
}

/** Creates or updates one entry through its resource module, audited as the REST API audits it. */
export async function writeThroughApi(
  scope: TenantScope,
  entry: ImportEntry,
  request: BundleEntry['request'] | undefined,
  ids: AssignedIds,
  pending: ReadonlyMap<string, ImportEntry>,
  ctx: FhirContext,
): Promise<ApiWrite> {
  const type = entry.resource.resourceType;
  const module = moduleFor(type)!;
  const resource = rewriteReferences(entry.resource, type, ids, pending) as Resource;
  try {
    if (request?.method === 'PUT') {
      if (!module.update || !module.interactions.includes('update')) throw notSupported(type, 'update');
      const id = new RegExp(`^(?:.*/)?${type}/([^/?]+)$`).exec(request.url ?? '')?.[1];
      if (!id) throw fhirError(400, 'invalid', `A PUT entry's request.url must be ${type}/<id>; "${request.url ?? ''}" is not.`, ['Bundle.entry.request.url']);
      if (resource.id !== id) throw fhirError(400, 'invalid', `The resource's id (${resource.id ?? 'none'}) must be the id in request.url (${id}).`, [`${type}.id`]);
      const expected = ifMatchVersion(request.ifMatch);
      const updated = await module.update(scope, id, resource, expected, ctx);
      await scope.audit({ action: 'fhir.update', entityType: type, entityId: id, patientId: patientIdOf(updated), detail: { ifMatch: expected ?? null, bundle: true } });
      return { resource: updated, created: false };
    }
    if (!module.create || !module.interactions.includes('create')) throw notSupported(type, 'create');
    if (request?.ifNoneExist) throw notSupported(type, 'Conditional create');
    const made = await module.create(scope, resource, ctx);
    await scope.audit({ action: 'fhir.create', entityType: type, entityId: made.id, patientId: patientIdOf(made), detail: { bundle: true } });
    return { resource: made, created: true };
  } catch (error) {
    throw asFhirError(error);
  }
}

/** request.ifMatch as a version (W/"3" or "3"); a malformed one is a 400. */
function ifMatchVersion(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(raw);
  if (!m) throw fhirError(400, 'invalid', 'request.ifMatch must be a version ETag such as W/"3".', ['Bundle.entry.request.ifMatch']);
  return Number(m[1]);
}

/**
 * A copy of the resource with every `reference` to an entry of the bundle replaced by the Rapport
 * id that entry was given. A reference to an entry that has none (it failed, or comes later in the
 * bundle) is refused with 422; anything else is left for the resource module to judge.
 */
function rewriteReferences(value: unknown, path: string, ids: AssignedIds, pending: ReadonlyMap<string, ImportEntry>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, path, ids, pending));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'reference' && typeof v === 'string') {
      const assigned = ids.get(v);
      const other = assigned ? undefined : pending.get(v);
      if (other) {
        throw fhirError(422, 'processing', `${path}.reference "${v}" points to ${other.where}, which was not stored before this entry (FHIR entries are written in bundle order here).`, [
          `${path}.reference`,
        ]);
      }
      out[key] = assigned ?? v;
    } else {
      out[key] = key === 'contained' ? v : rewriteReferences(v, `${path}.${key}`, ids, pending);
    }
  }
  return out;
}

/** What the resource modules throw, as a FhirError: an AppError keeps its status (a 400 is a 422 here). */
export function asFhirError(error: unknown): unknown {
  if (error instanceof FhirError) return error;
  const converted = asUnprocessable(error);
  if (converted instanceof FhirError) return converted;
  if (converted instanceof AppError) return fromAppError(converted);
  return error;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  422: 'Unprocessable Entity',
};
export const statusLine = (status: number): string => `${status}${REASONS[status] ? ` ${REASONS[status]}` : ''}`;

/** The issues of a refusal, each naming the entry (Bundle.entry[i]) first. */
export function entryIssues(entry: ImportEntry, issues: readonly OperationOutcomeIssue[], suffix = ''): OperationOutcomeIssue[] {
  return issues.map((i) => {
    const text = i.details?.text ?? i.diagnostics ?? 'refused';
    const at = i.expression?.length && !text.includes(i.expression[0]!) ? ` (at ${i.expression.join(', ')})` : '';
    return { ...i, details: { text: `${entry.where}: ${text}${at}${suffix}` }, expression: [`Bundle.entry[${entry.index}]`, ...(i.expression ?? [])] };
  });
}

/** The response of an entry written through the API: 201 with location Type/id/_history/n, or 200. */
export function writeResponse(write: ApiWrite): NonNullable<BundleEntry['response']> {
  const { resource, created } = write;
  const version = resource.meta?.versionId;
  return {
    status: created ? '201 Created' : '200 OK',
    location: `${resource.resourceType}/${resource.id}${version ? `/_history/${version}` : ''}`,
    ...(version ? { etag: `W/"${version}"` } : {}),
    ...(resource.meta?.lastUpdated ? { lastModified: resource.meta.lastUpdated } : {}),
  };
}
