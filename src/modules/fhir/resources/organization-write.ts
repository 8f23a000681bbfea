import type { Organization } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import type { FieldProblem } from '../../../server/errors.ts';
import { isUuid } from '../../../shared/ids.ts';
import { normalizeEmail, toE164 } from '../../patients/normalize.ts';
import { fhirError, preconditionFailed, resourceNotFound } from '../outcome.ts';
import { firstTelecom, unprocessable } from './directory-write.ts';

/**
 * Writes to the directory of outside organizations (organization, migration 0008), which the FHIR
 * import fills too. No Rapport service kept it before: these are its create and change, with the
 * import's reading of an Organization (the same kinds, phone and email normalised), except that a
 * value too long or not a phone number is refused here rather than cut or kept as it came.
 */

export const ORGANIZATION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/organization-type';
/** The kinds the table allows: the codes of ORGANIZATION_TYPE_SYSTEM. */
const KINDS: readonly string[] = ['prov', 'dept', 'team', 'govt', 'ins', 'pay', 'edu', 'reli', 'crs', 'cg', 'bus', 'other'];

export type OrganizationFields = {
  name: string;
  kind: string | null;
  phone: string | null;
  email: string | null;
  address_line: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  active?: boolean;
};

/** The columns an Organization sets (a PUT replaces them all; `active` stays when left out); problems are a 422 naming the element. */
export function organizationFields(resource: Organization): OrganizationFields {
  const problems: FieldProblem[] = [];
  const text = (value: string | undefined, max: number, path: string) => {
    const v = value?.trim() || null;
    if (v && v.length > max) problems.push({ path, message: `is longer than ${max} characters` });
    return v;
  };
  const name = text(resource.name, 200, 'name');
  if (!name) throw fhirError(422, 'required', 'Organization.name is required.', ['Organization.name']);
  const codes = (resource.type ?? []).flatMap((t) => t.coding ?? []).map((c) => c.code);
  const kind = codes.find((c): c is string => Boolean(c && KINDS.includes(c))) ?? (resource.type?.length ? 'other' : null);
  const rawPhone = firstTelecom(resource.telecom, 'phone');
  const phone = rawPhone ? toE164(rawPhone) : null;
  if (rawPhone && !phone) problems.push({ path: 'phone', message: `"${rawPhone}" is not a valid phone number` });
  const rawEmail = firstTelecom(resource.telecom, 'email');
  const email = rawEmail ? normalizeEmail(rawEmail) : null;
  if (rawEmail && !email) problems.push({ path: 'email', message: 'is not an email address' });
  const address = resource.address?.find((a) => a.use !== 'old') ?? resource.address?.[0];
  const fields: OrganizationFields = {
    name,
    kind,
    phone,
    email,
    address_line: text(address?.line?.join(', '), 200, 'line'),
    city: text(address?.city, 100, 'city'),
    region: text(address?.state, 100, 'state'),
    postal_code: text(address?.postalCode, 20, 'postalCode'),
    country: text(address?.country, 60, 'country'),
    ...(resource.active !== undefined ? { active: resource.active } : {}),
  };
  if (problems.length) {
    throw unprocessable('Organization', problems, {
      name: 'Organization.name', phone: 'Organization.telecom', email: 'Organization.telecom', line: 'Organization.address.line',
      city: 'Organization.address.city', state: 'Organization.address.state', postalCode: 'Organization.address.postalCode', country: 'Organization.address.country',
    });
  }
  return fields;
}

/** Adds an outside organization to the directory; returns its id. */
export async function addOrganization(scope: TenantScope, fields: OrganizationFields, now: Date): Promise<string> {
  const { id } = await scope.tx
    .insertInto('organization')
    .values({ ...fields, tenant_id: scope.tenantId, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'directory.organization.create', entityType: 'organization', entityId: id });
  return id;
}

/**
 * Locks an outside organization for a change and checks If-Match against its version (412 when
 * stale). The clinic itself (the tenant) is not changed through FHIR.
 */
export async function lockOrganization(scope: TenantScope, id: string, expectedVersion: number | undefined): Promise<void> {
  if (id === scope.tenantId) {
    throw fhirError(422, 'business-rule', 'This Organization is the clinic itself; its name and details are changed in Rapport\'s settings, not through FHIR.', ['Organization.id']);
  }
  const current = isUuid(id) ? await scope.tx.selectFrom('organization').select('version').where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  if (!current) throw resourceNotFound('Organization', id);
  if (expectedVersion !== undefined && current.version !== expectedVersion) {
    throw preconditionFailed(`Organization/${id} is at version ${current.version}, not ${expectedVersion}; read it again and retry.`);
  }
}

/** Replaces a locked outside organization's fields and bumps its version. */
export async function changeOrganization(scope: TenantScope, id: string, fields: OrganizationFields, now: Date): Promise<void> {
  const { version } = await scope.tx
    .updateTable('organization')
    .set({ ...fields, version: sql<number>`version + 1`, updated_at: now })
    .where('id', '=', id)
    .returning('version')
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'directory.organization.update', entityType: 'organization', entityId: id, detail: { version } });
}
