import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import type { AppointmentStatus } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { practitionerName } from '../scheduling/appointments.ts';
import { findSlots } from '../scheduling/slots.ts';
import { PUBLIC_SLOT_RANGE_DAYS, type Catalog, type PublicAppointment, type PublicSlots } from './schema.ts';

/**
 * What the public booking page shows before anyone gives their details: the services open to
 * online booking, who offers them where, and their free times. Clinic data only, no patients.
 */

const addressOf = (l: { address_line: string | null; city: string | null; postal_code: string | null }) =>
  [l.address_line, [l.postal_code, l.city].filter(Boolean).join(' ')].filter(Boolean).join(', ') || null;

/** Services open to online booking that someone offers somewhere, with those people and places. */
export async function bookingCatalog(scope: TenantScope, clinic: Catalog['clinic']): Promise<Catalog> {
  const services = await scope.tx
    .selectFrom('service')
    .select(['id', 'name', 'description', 'duration_minutes', 'mode', 'eligibility', 'price_cents', 'currency'])
    .where('active', '=', true)
    .where('public_booking', '=', true)
    .orderBy('name')
    .execute();
  const ids = services.map((s) => s.id);
  const [offeredBy, offeredAt] = ids.length
    ? await Promise.all([
        scope.tx
          .selectFrom('service_practitioner as sp')
          .innerJoin('practitioner as p', 'p.id', 'sp.practitioner_id')
          .select(['sp.service_id', 'p.id', 'p.prefix', 'p.given_name', 'p.family_name', 'p.specialty'])
          .where('sp.service_id', 'in', ids)
          .where('p.active', '=', true)
          .orderBy('p.family_name')
          .orderBy('p.given_name')
          .execute(),
        scope.tx
          .selectFrom('service_location as sl')
          .innerJoin('location as l', 'l.id', 'sl.location_id')
          .select(['sl.service_id', 'l.id', 'l.name', 'l.address_line', 'l.city', 'l.postal_code', 'l.time_zone'])
          .where('sl.service_id', 'in', ids)
          .where('l.active', '=', true)
          .orderBy('l.name')
          .execute(),
      ])
    : [[], []];
  const practitioners = new Map<string, Catalog['practitioners'][number]>();
  const locations = new Map<string, Catalog['locations'][number]>();
  const bookable = services
    .map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      durationMinutes: s.duration_minutes,
      mode: s.mode,
      eligibility: s.eligibility,
      price: s.price_cents !== null && s.currency ? { cents: s.price_cents, currency: s.currency } : null,
      practitionerIds: offeredBy.filter((o) => o.service_id === s.id).map((o) => o.id),
      locationIds: offeredAt.filter((o) => o.service_id === s.id).map((o) => o.id),
    }))
    .filter((s) => s.practitionerIds.length > 0 && s.locationIds.length > 0);
  for (const s of bookable) {
    for (const p of offeredBy.filter((o) => o.service_id === s.id)) {
      practitioners.set(p.id, { id: p.id, name: practitionerName(p), specialty: p.specialty });
    }
    for (const l of offeredAt.filter((o) => o.service_id === s.id)) {
      locations.set(l.id, { id: l.id, name: l.name, address: addressOf(l), timeZone: l.time_zone });
    }
  }
  await scope.audit({ action: 'booking_page.view', entityType: 'tenant', detail: { services: bookable.length } });
  return { clinic, services: bookable, practitioners: [...practitioners.values()], locations: [...locations.values()] };
}

/** A service the public may book: active and open to online booking, else not found. */
export async function requirePublicService(scope: TenantScope, serviceId: string): Promise<{ id: string; name: string; duration_minutes: number }> {
  const service = isUuid(serviceId)
    ? await scope.tx
        .selectFrom('service')
        .select(['id', 'name', 'duration_minutes'])
        .where('id', '=', serviceId)
        .where('active', '=', true)
        .where('public_booking', '=', true)
        .executeTakeFirst()
    : undefined;
  if (!service) throw notFound('Service');
  return service;
}

/** Free times of a public service over at most a month, with the names of who offers them. */
export async function publicSlots(
  scope: TenantScope,
  query: { serviceId: string; from: string; to: string; practitionerId?: string | undefined; locationId?: string | undefined },
  now: Date,
): Promise<PublicSlots> {
  const from = DateTime.fromISO(query.from, { zone: 'UTC' });
  const to = DateTime.fromISO(query.to, { zone: 'UTC' });
  if (from.isValid && to.isValid && to.diff(from, 'days').days >= PUBLIC_SLOT_RANGE_DAYS) {
    throw new AppError(400, 'validation_failed', `Invalid request: the booking page shows at most ${PUBLIC_SLOT_RANGE_DAYS} days at once`, [
      { path: 'to', message: `is more than ${PUBLIC_SLOT_RANGE_DAYS} days after from` },
    ]);
  }
  await requirePublicService(scope, query.serviceId);
  const slots = await findSlots(scope, { ...query, publicOnly: true }, now);
  const ids = [...new Set(slots.map((s) => s.practitionerId))];
  const names = ids.length
    ? await scope.tx.selectFrom('practitioner').select(['id', 'prefix', 'given_name', 'family_name']).where('id', 'in', ids).execute()
    : [];
  await scope.audit({ action: 'booking_page.slots', entityType: 'service', entityId: query.serviceId, detail: { from: query.from, to: query.to, slots: slots.length } });
  return {
    slots: slots.map((s) => ({ startsAt: s.startsAt, endsAt: s.endsAt, practitionerId: s.practitionerId, locationId: s.locationId, timeZone: s.timeZone })),
    practitioners: names.map((p) => ({ id: p.id, name: practitionerName(p) })),
  };
}

/**
 * A visit as the patient sees it, from the clinic's own records of the service, practitioner and
 * location; null when any of them is not this clinic's.
 */
export async function describeVisit(
  scope: TenantScope,
  visit: {
    serviceId: string;
    practitionerId: string;
    locationId: string;
    startsAt: Date;
    endsAt?: Date;
    status: AppointmentStatus;
    confirmed: boolean;
  },
): Promise<PublicAppointment | null> {
  if (![visit.serviceId, visit.practitionerId, visit.locationId].every(isUuid)) return null;
  const [service, practitioner, location] = await Promise.all([
    scope.tx.selectFrom('service').select(['id', 'name', 'duration_minutes', 'mode']).where('id', '=', visit.serviceId).executeTakeFirst(),
    scope.tx.selectFrom('practitioner').select(['id', 'prefix', 'given_name', 'family_name']).where('id', '=', visit.practitionerId).executeTakeFirst(),
    scope.tx
      .selectFrom('location')
      .select(['id', 'name', 'address_line', 'city', 'postal_code', 'phone', 'time_zone'])
      .where('id', '=', visit.locationId)
      .executeTakeFirst(),
  ]);
  if (!service || !practitioner || !location) return null;
  const endsAt = visit.endsAt ?? new Date(visit.startsAt.getTime() + service.duration_minutes * 60_000);
  return {
    status: visit.status,
    confirmed: visit.confirmed,
    startsAt: visit.startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    timeZone: location.time_zone,
    service: { id: service.id, name: service.name, durationMinutes: service.duration_minutes, mode: service.mode },
    practitioner: { id: practitioner.id, name: practitionerName(practitioner) },
    location: { id: location.id, name: location.name, address: addressOf(location), phone: location.phone, timeZone: location.time_zone },
  };
}
