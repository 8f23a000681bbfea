import type { Updateable } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { ServiceTable } from '../../server/db/types.ts';
import { notFound, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import type { NewService, Service, ServiceChange } from './directory-schema.ts';
import { blankToNull, missingRows } from './directory.ts';

/** Services: what can be booked, for how long, by whom, where, and under which booking rules. */

const serviceColumns = [
  'id', 'name', 'description', 'care_instructions', 'department_id', 'duration_minutes', 'buffer_before_minutes', 'buffer_after_minutes',
  'slot_interval_minutes', 'mode', 'eligibility', 'price_cents', 'currency', 'requires_room', 'min_notice_minutes',
  'max_advance_days', 'max_future_bookings', 'public_booking', 'active',
] as const;

export async function listServices(scope: TenantScope, query: { active?: boolean | undefined; ids?: string[] }): Promise<Service[]> {
  let q = scope.tx.selectFrom('service').select(serviceColumns).orderBy('name').orderBy('id');
  if (query.active !== undefined) q = q.where('active', '=', query.active);
  if (query.ids) q = q.where('id', 'in', query.ids);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const who = await scope.tx.selectFrom('service_practitioner').select(['service_id', 'practitioner_id']).where('service_id', 'in', ids).orderBy('practitioner_id').execute();
  const where = await scope.tx.selectFrom('service_location').select(['service_id', 'location_id']).where('service_id', 'in', ids).orderBy('location_id').execute();
  return rows.map((s) => ({
    id: s.id,
    name: s.name,
    description: s.description,
    careInstructions: s.care_instructions,
    departmentId: s.department_id,
    durationMinutes: s.duration_minutes,
    bufferBeforeMinutes: s.buffer_before_minutes,
    bufferAfterMinutes: s.buffer_after_minutes,
    slotIntervalMinutes: s.slot_interval_minutes,
    mode: s.mode,
    eligibility: s.eligibility,
    priceCents: s.price_cents,
    currency: s.currency,
    requiresRoom: s.requires_room,
    minNoticeMinutes: s.min_notice_minutes,
    maxAdvanceDays: s.max_advance_days,
    maxFutureBookings: s.max_future_bookings,
    publicBooking: s.public_booking,
    active: s.active,
    practitionerIds: who.filter((w) => w.service_id === s.id).map((w) => w.practitioner_id),
    locationIds: where.filter((w) => w.service_id === s.id).map((w) => w.location_id),
  }));
}

/** Checks what a service write refers to (given the stored price when only one half changes). */
async function checkServiceWrite(scope: TenantScope, input: ServiceChange, stored?: { price_cents: number | null; currency: string | null }): Promise<void> {
  const problems: FieldProblem[] = [];
  if (input.departmentId && (await missingRows(scope, 'department', [input.departmentId], 'departmentId', 'a department')).length) {
    problems.push({ path: 'departmentId', message: 'is not a department of this clinic' });
  }
  problems.push(...(await missingRows(scope, 'practitioner', input.practitionerIds ?? [], 'practitionerIds', 'a practitioner')));
  problems.push(...(await missingRows(scope, 'location', input.locationIds ?? [], 'locationIds', 'a location')));
  const price = input.priceCents !== undefined ? input.priceCents : (stored?.price_cents ?? null);
  const currency = input.currency !== undefined ? input.currency : (stored?.currency ?? null);
  if (price !== null && currency === null) problems.push({ path: 'currency', message: 'is required when the service has a price' });
  if (problems.length) throw validationFailed(problems);
}

function serviceValues(input: ServiceChange): Updateable<ServiceTable> {
  const values: Updateable<ServiceTable> = {
    name: input.name,
    description: blankToNull(input.description),
    care_instructions: blankToNull(input.careInstructions),
    department_id: input.departmentId,
    duration_minutes: input.durationMinutes,
    buffer_before_minutes: input.bufferBeforeMinutes,
    buffer_after_minutes: input.bufferAfterMinutes,
    slot_interval_minutes: input.slotIntervalMinutes,
    mode: input.mode,
    eligibility: input.eligibility,
    price_cents: input.priceCents,
    currency: input.currency,
    requires_room: input.requiresRoom,
    min_notice_minutes: input.minNoticeMinutes,
    max_advance_days: input.maxAdvanceDays,
    max_future_bookings: input.maxFutureBookings,
    public_booking: input.publicBooking,
    active: input.active,
  };
  // Only what the write names changes.
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Updateable<ServiceTable>;
}

/** Replaces who offers a service and where, when the write names them. */
async function replaceOfferings(scope: TenantScope, serviceId: string, input: ServiceChange): Promise<void> {
  if (input.practitionerIds) {
    await scope.tx.deleteFrom('service_practitioner').where('service_id', '=', serviceId).execute();
    const ids = [...new Set(input.practitionerIds)];
    if (ids.length) {
      await scope.tx.insertInto('service_practitioner').values(ids.map((practitioner_id) => ({ tenant_id: scope.tenantId, service_id: serviceId, practitioner_id }))).execute();
    }
  }
  if (input.locationIds) {
    await scope.tx.deleteFrom('service_location').where('service_id', '=', serviceId).execute();
    const ids = [...new Set(input.locationIds)];
    if (ids.length) {
      await scope.tx.insertInto('service_location').values(ids.map((location_id) => ({ tenant_id: scope.tenantId, service_id: serviceId, location_id }))).execute();
    }
  }
}

export async function createService(scope: TenantScope, input: NewService): Promise<Service> {
  await checkServiceWrite(scope, input);
  const { id } = await scope.tx
    .insertInto('service')
    .values({ ...serviceValues(input), tenant_id: scope.tenantId, name: input.name, duration_minutes: input.durationMinutes })
    .returning('id')
    .executeTakeFirstOrThrow();
  await replaceOfferings(scope, id, input);
  await scope.audit({ action: 'scheduling.service.create', entityType: 'service', entityId: id });
  return (await listServices(scope, { ids: [id] }))[0]!;
}

export async function changeService(scope: TenantScope, id: string, change: ServiceChange): Promise<Service> {
  const stored = isUuid(id) ? await scope.tx.selectFrom('service').select(['id', 'price_cents', 'currency']).where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  if (!stored) throw notFound('Service');
  await checkServiceWrite(scope, change, stored);
  const values = serviceValues(change);
  if (Object.keys(values).length) await scope.tx.updateTable('service').set(values).where('id', '=', id).execute();
  await replaceOfferings(scope, id, change);
  await scope.audit({ action: 'scheduling.service.update', entityType: 'service', entityId: id, detail: { fields: Object.keys(change) } });
  return (await listServices(scope, { ids: [id] }))[0]!;
}
