import { createHash } from 'node:crypto';
import type { ContactPoint, OperationOutcomeIssue, Reference, Resource } from '@medplum/fhirtypes';
import type { TenantScope } from '../../../server/db/scope.ts';
import type { StaffRole } from '../../../server/db/types.ts';
import { AppError, forbidden, type FieldProblem } from '../../../server/errors.ts';
import { FhirError, fhirError, preconditionFailed } from '../outcome.ts';
import { referencedId } from './common.ts';

/**
 * What the directory writes (Practitioner, Organization, Location, HealthcareService) share: who
 * may make them, their stand-in versions, and how a refusal by a directory service is told in FHIR.
 */

/** The roles that may change the directory: those the Clinic setup API allows (scheduling/directory-routes.ts). */
export const DIRECTORY_WRITERS: readonly StaffRole[] = ['admin'];

/**
 * Refuses a caller whose role may not change the directory. The routes check it before reading
 * the body; this repeats it for writes that reach a module another way (a transaction Bundle).
 */
export function requireDirectoryWriter(scope: TenantScope, type: string): void {
  const actor = scope.actor;
  if (actor.type === 'system') return;
  if (actor.type === 'public' || !DIRECTORY_WRITERS.includes(actor.role)) throw forbidden(`Creating or changing a ${type} needs the ${DIRECTORY_WRITERS.join(' or ')} role.`);
}

/**
 * A version for rows that have no version column (location, practitioner, service): a digest of
 * the resource as served, as a number so it reads like the others (W/"n"). It changes exactly when
 * what a client sees changes, so If-Match protects against lost updates all the same; unlike a
 * counter it does not grow, and a PUT that changes nothing keeps it.
 */
export function withDigestVersion<R extends Resource>(resource: R): R {
  const { meta, ...content } = resource;
  const digest = createHash('sha256').update(JSON.stringify(content)).digest('hex');
  return { ...resource, meta: { versionId: String(Number.parseInt(digest.slice(0, 12), 16)), ...meta } };
}

/** 412 when If-Match names another version than the one stored. */
export function refuseStale(current: Resource, expected: number | undefined): void {
  const version = current.meta?.versionId;
  if (expected !== undefined && version !== String(expected)) {
    throw preconditionFailed(`${current.resourceType}/${current.id} is at version ${version ?? 'none'}, not ${expected}; read it again and retry.`);
  }
}

/** Where each field of a directory service's input comes from in the FHIR resource. */
export type FieldPaths = Readonly<Record<string, string>>;

function element(type: string, paths: FieldPaths, field: string): string {
  const [head = '', index] = field.split('.');
  const mapped = paths[head] ?? type;
  return index !== undefined && /^\d+$/.test(index) ? `${mapped}[${index}]` : mapped;
}

/** A 422 naming, for each problem, the FHIR element its field came from. */
export function unprocessable(type: string, problems: readonly FieldProblem[], paths: FieldPaths): FhirError {
  const issue: OperationOutcomeIssue[] = problems.map((p) => {
    const at = element(type, paths, p.path);
    return { severity: 'error', code: 'invalid', details: { text: `${at}: ${p.message}` }, expression: [at] };
  });
  return new FhirError(422, { resourceType: 'OperationOutcome', issue });
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } };

/** The service's own input schema (what the Clinic setup API parses) over the mapped input; a refusal is a 422. */
export function checkedInput<T>(type: string, schema: Schema<T>, input: unknown, paths: FieldPaths): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw unprocessable(type, parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })), paths);
}

/** A directory service's refusal of a field (its 400) as a 422 naming the element; other errors pass on. */
export function asDirectoryProblem(error: unknown, type: string, paths: FieldPaths): unknown {
  if (error instanceof AppError && error.status === 400) return unprocessable(type, error.fields ?? [{ path: '', message: error.message }], paths);
  return error;
}

/** The first contact point of a system, by rank, or null. */
export function firstTelecom(telecom: ContactPoint[] | undefined, system: 'phone' | 'email'): string | null {
  const rank = (c: ContactPoint) => c.rank ?? Number.MAX_SAFE_INTEGER;
  return (telecom ?? []).filter((t) => t.system === system && t.value).sort((a, b) => rank(a) - rank(b))[0]?.value ?? null;
}

/** A reference to an organization must be the clinic itself: Rapport does not keep who else runs a location or a service. */
export function requireClinic(reference: Reference | undefined, tenantId: string, path: string): void {
  if (!reference?.reference) return;
  if (referencedId(reference, 'Organization', path) !== tenantId) {
    throw fhirError(422, 'business-rule', `${path} must be the clinic itself (Organization/${tenantId}); Rapport keeps only the clinic's own locations and services.`, [path]);
  }
}

/**
 * Refuses elements Rapport would drop although a client relies on them (opening hours it would
 * think were set). Elements that only describe, and that Rapport has no place for, are ignored as
 * the other resource types ignore them.
 */
export function refuseUnkept(resource: Resource, elements: Readonly<Record<string, string>>): void {
  const r = resource as unknown as Record<string, unknown>;
  for (const [name, why] of Object.entries(elements)) {
    const v = r[name];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    const path = `${resource.resourceType}.${name}`;
    throw fhirError(422, 'not-supported', `${path} is not kept by Rapport: ${why}`, [path]);
  }
}
