import type { Meta, Reference } from '@medplum/fhirtypes';
import { isUuid } from '../../../shared/ids.ts';
import { fhirError } from '../outcome.ts';

/** Small helpers every mapping shares. */

export const iso = (d: Date | string | null | undefined): string | undefined => (d ? new Date(d).toISOString() : undefined);

export function meta(version: number | null, updatedAt: Date | string | null | undefined): Meta {
  return { ...(version !== null ? { versionId: String(version) } : {}), ...(updatedAt ? { lastUpdated: iso(updatedAt)! } : {}) };
}

/** A reference to a row of ours; typed loosely so it fits any element whose target types include `type`. */
export const ref = (type: string, id: string | null | undefined, display?: string | null): Reference<never> | undefined =>
  id ? { reference: `${type}/${id}`, ...(display ? { display } : {}) } : undefined;

/** Drops undefined keys, so a resource carries only the elements it has. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as T;
}

/**
 * The id of a reference in an incoming resource, which must name `type` (`Patient/123`). A
 * malformed one is a 422 naming the element; whether it exists in the caller's tenant is checked by
 * the service that uses it, so another tenant's id is simply not found.
 */
export function referencedId(reference: Reference | undefined, type: string, path: string): string | undefined {
  if (!reference?.reference) return undefined;
  const m = /^(?:.*\/)?([A-Za-z]+)\/([^/]+)$/.exec(reference.reference);
  if (!m || m[1] !== type || !isUuid(m[2]!)) {
    throw fhirError(422, 'invalid', `${path} must reference a ${type} of this server as ${type}/<id>; "${reference.reference}" is not one.`, [path]);
  }
  return m[2]!;
}

/** 422 for a reference to something the caller's tenant does not have. */
export const unknownReference = (path: string, reference: string) =>
  fhirError(422, 'not-found', `${path} refers to ${reference}, which does not exist on this server.`, [path]);
