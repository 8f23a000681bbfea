import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { WaitlistOfferStatus, WaitlistReleaseStatus } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { practitionerName, type AppointmentView } from '../scheduling/appointments.ts';
import { bookAppointment, formatLocal, rescheduleAppointment } from '../scheduling/booking.ts';
import { closeRelease, describeSlot, offerNextBatch, offersGone, slotContext, slotStillFree, type Release } from './release.ts';

/**
 * Answering an offer. Accepting locks the release first, so acceptances of one slot queue up
 * behind each other and only the first finds it open; the booking itself still goes through the
 * exclusion constraints, which settle a race with a booking made any other way.
 */

export type WaitlistOffer = {
  id: string;
  status: WaitlistOfferStatus;
  batch: number;
  entryId: string;
  patient: { id: string; givenName: string; familyName: string; phone: string | null };
  offeredAt: string;
  expiresAt: string;
  respondedAt: string | null;
  appointmentId: string | null;
  slot: {
    releaseId: string;
    releaseStatus: WaitlistReleaseStatus;
    startsAt: string;
    endsAt: string;
    timeZone: string;
    local: string;
    service: { id: string; name: string };
    practitioner: { id: string; name: string };
    location: { id: string; name: string };
  };
};

export type OfferQuery = { status: WaitlistOfferStatus | 'all'; releaseId?: string | undefined; patientId?: string | undefined; limit: number };

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function offerQuery(scope: TenantScope) {
  return scope.tx
    .selectFrom('waitlist_offer as o')
    .innerJoin('waitlist_release as r', 'r.id', 'o.release_id')
    .innerJoin('patient as p', 'p.id', 'o.patient_id')
    .innerJoin('service as s', 's.id', 'r.service_id')
    .innerJoin('practitioner as pr', 'pr.id', 'r.practitioner_id')
    .innerJoin('location as l', 'l.id', 'r.location_id')
    .select([
      'o.id', 'o.status', 'o.batch', 'o.entry_id', 'o.patient_id', 'o.offered_at', 'o.expires_at', 'o.responded_at', 'o.appointment_id',
      'p.given_name', 'p.family_name', 'p.phone',
      'r.id as release_id', 'r.status as release_status', 'r.starts_at', 'r.ends_at',
      'r.service_id', 's.name as service_name', 'r.practitioner_id', 'pr.prefix', 'pr.given_name as practitioner_given', 'pr.family_name as practitioner_family',
      'r.location_id', 'l.name as location_name', 'l.time_zone',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof offerQuery>['executeTakeFirstOrThrow']>>;

function present(r: Row): WaitlistOffer {
  return {
    id: r.id,
    status: r.status,
    batch: r.batch,
    entryId: r.entry_id,
    patient: { id: r.patient_id, givenName: r.given_name, familyName: r.family_name, phone: r.phone },
    offeredAt: iso(r.offered_at)!,
    expiresAt: iso(r.expires_at)!,
    respondedAt: iso(r.responded_at),
    appointmentId: r.appointment_id,
    slot: {
      releaseId: r.release_id,
      releaseStatus: r.release_status,
      startsAt: iso(r.starts_at)!,
      endsAt: iso(r.ends_at)!,
      timeZone: r.time_zone,
      local: formatLocal(new Date(r.starts_at), r.time_zone),
      service: { id: r.service_id, name: r.service_name },
      practitioner: { id: r.practitioner_id, name: practitionerName({ prefix: r.prefix, given_name: r.practitioner_given, family_name: r.practitioner_family }) },
      location: { id: r.location_id, name: r.location_name },
    },
  };
}

/** Offers for staff to pass on (pending ones by default, soonest slot first); audited. */
export async function listOffers(scope: TenantScope, query: OfferQuery): Promise<WaitlistOffer[]> {
  let q = offerQuery(scope).orderBy('r.starts_at').orderBy('o.offered_at').orderBy('o.id').limit(query.limit);
  if (query.status !== 'all') q = q.where('o.status', '=', query.status);
  if (query.releaseId) q = q.where('o.release_id', '=', query.releaseId);
  if (query.patientId) q = q.where('o.patient_id', '=', query.patientId);
  const items = (await q.execute()).map(present);
  await scope.audit({
    action: 'waitlist.offer_list',
    entityType: 'waitlist_offer',
    ...(query.patientId ? { patientId: query.patientId } : {}),
    detail: { returned: items.length, patientIds: [...new Set(items.map((o) => o.patient.id))] },
  });
  return items;
}

/** The offer and its release, both locked (release first, the order every writer takes). */
async function lockOffer(scope: TenantScope, id: string) {
  const found = isUuid(id) ? await scope.tx.selectFrom('waitlist_offer').select(['id', 'release_id']).where('id', '=', id).executeTakeFirst() : undefined;
  if (!found) throw notFound('Waitlist offer');
  const release = await scope.tx.selectFrom('waitlist_release').selectAll().where('id', '=', found.release_id).forUpdate().executeTakeFirstOrThrow();
  const offer = await scope.tx.selectFrom('waitlist_offer').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
  return { release, offer };
}

export const slotGone = () => new AppError(409, 'slot_gone', 'This slot has gone: it was taken or it has started.');

/** A refusal that is answered only after the transaction commits, so what it recorded stays. */
export type Answer<T> = { ok: T } | { refused: AppError };

function closedOffer(status: WaitlistOfferStatus): AppError {
  if (status === 'gone') return slotGone();
  if (status === 'expired') return new AppError(409, 'offer_expired', 'This offer has expired.');
  if (status === 'declined') return new AppError(409, 'offer_declined', 'This offer was declined.');
  return new AppError(409, 'offer_accepted', 'This offer was already accepted.');
}

const SLOT_TAKEN_CODES = new Set(['slot_taken', 'room_taken', 'no_room']);

/**
 * Books the offered slot for the patient (or moves the booking their entry holds into it), fills
 * the release and tells everyone else holding an offer of it that it has gone.
 */
export async function acceptOffer(scope: TenantScope, id: string, now: Date): Promise<Answer<{ offer: WaitlistOffer; appointment: AppointmentView }>> {
  const { release, offer } = await lockOffer(scope, id);
  const refuse = async (error: AppError) => {
    await scope.audit({ action: 'waitlist.offer_accept', entityType: 'waitlist_offer', entityId: offer.id, patientId: offer.patient_id, outcome: 'failure', detail: { code: error.code } });
    return { refused: error };
  };
  if (offer.status !== 'pending') return refuse(closedOffer(offer.status));
  const ctx = await slotContext(scope, release);
  if (release.status !== 'open' || new Date(release.starts_at) <= now) {
    await offersGone(scope, release, now, ctx);
    return refuse(slotGone());
  }
  if (new Date(offer.expires_at) <= now) {
    await scope.tx.updateTable('waitlist_offer').set({ status: 'expired' }).where('id', '=', offer.id).execute();
    return refuse(closedOffer('expired'));
  }
  const entry = await scope.tx.selectFrom('waitlist_entry').selectAll().where('id', '=', offer.entry_id).forUpdate().executeTakeFirstOrThrow();
  if (entry.status !== 'waiting') {
    throw new AppError(409, 'invalid_transition', `The patient's waitlist entry is ${entry.status}; the offer cannot be accepted.`);
  }
  const held = entry.appointment_id
    ? await scope.tx.selectFrom('appointment').select(['id', 'status', 'version']).where('id', '=', entry.appointment_id).executeTakeFirst()
    : undefined;
  // Booked before the slot is taken, so the slot a moved booking frees is not offered back to them.
  await scope.tx.updateTable('waitlist_entry').set({ status: 'booked', updated_at: now }).where('id', '=', entry.id).execute();
  await sql`savepoint waitlist_accept`.execute(scope.tx);
  let appointment: AppointmentView;
  try {
    appointment =
      held?.status === 'booked'
        ? await rescheduleAppointment(
            scope,
            held.id,
            { startsAt: new Date(release.starts_at), practitionerId: release.practitioner_id, locationId: release.location_id, version: held.version, via: 'waitlist' },
            now,
          )
        : await bookAppointment(
            scope,
            { patientId: offer.patient_id, serviceId: release.service_id, practitionerId: release.practitioner_id, locationId: release.location_id, startsAt: new Date(release.starts_at), via: 'waitlist' },
            now,
          );
    await sql`release savepoint waitlist_accept`.execute(scope.tx);
  } catch (error) {
    if (!(error instanceof AppError) || !SLOT_TAKEN_CODES.has(error.code)) throw error;
    // Booked some other way meanwhile: the release is over for everyone.
    await sql`rollback to savepoint waitlist_accept`.execute(scope.tx);
    await scope.tx.updateTable('waitlist_entry').set({ status: 'waiting', updated_at: now }).where('id', '=', entry.id).execute();
    await closeRelease(scope, release.id, 'expired', now);
    await offersGone(scope, release, now, ctx);
    return refuse(slotGone());
  }
  await scope.tx
    .updateTable('waitlist_offer')
    .set({ status: 'accepted', responded_at: now, appointment_id: appointment.id })
    .where('id', '=', offer.id)
    .execute();
  await scope.tx.updateTable('waitlist_entry').set({ appointment_id: appointment.id }).where('id', '=', entry.id).execute();
  await closeRelease(scope, release.id, 'filled', now, appointment.id);
  await offersGone(scope, release, now, ctx, offer.id);
  await recordTimelineEvent(scope, {
    patientId: offer.patient_id,
    kind: 'waitlist.accepted',
    summary: `Accepted from the waitlist: ${describeSlot(release, ctx)}`,
    detail: { releaseId: release.id, offerId: offer.id, appointmentId: appointment.id, moved: held?.status === 'booked' },
    occurredAt: now,
    subject: { type: 'waitlist_offer', id: offer.id },
  });
  await scope.audit({ action: 'waitlist.offer_accept', entityType: 'waitlist_offer', entityId: offer.id, patientId: offer.patient_id, detail: { appointmentId: appointment.id } });
  return { ok: { offer: present(await offerQuery(scope).where('o.id', '=', offer.id).executeTakeFirstOrThrow()), appointment } };
}

/** The patient does not want the slot; once nobody holds an offer of it, the next batch is asked. */
export async function declineOffer(scope: TenantScope, id: string, now: Date): Promise<Answer<WaitlistOffer>> {
  const { release, offer } = await lockOffer(scope, id);
  if (offer.status !== 'pending') {
    const error = closedOffer(offer.status);
    await scope.audit({ action: 'waitlist.offer_decline', entityType: 'waitlist_offer', entityId: offer.id, patientId: offer.patient_id, outcome: 'failure', detail: { code: error.code } });
    return { refused: error };
  }
  await scope.tx.updateTable('waitlist_offer').set({ status: 'declined', responded_at: now }).where('id', '=', offer.id).execute();
  const ctx = await slotContext(scope, release);
  await recordTimelineEvent(scope, {
    patientId: offer.patient_id,
    kind: 'waitlist.declined',
    summary: `Declined from the waitlist: ${describeSlot(release, ctx)}`,
    detail: { releaseId: release.id, offerId: offer.id },
    occurredAt: now,
    subject: { type: 'waitlist_offer', id: offer.id },
  });
  await scope.audit({ action: 'waitlist.offer_decline', entityType: 'waitlist_offer', entityId: offer.id, patientId: offer.patient_id });
  if (release.status === 'open') await continueRelease(scope, release, now);
  return { ok: present(await offerQuery(scope).where('o.id', '=', offer.id).executeTakeFirstOrThrow()) };
}

/**
 * Moves a locked, open release on: closes it when its slot has started or was booked another
 * way, and otherwise offers it to the next batch once no offer of it is pending.
 */
export async function continueRelease(scope: TenantScope, release: Release, now: Date): Promise<{ state: 'expired' | 'waiting' | 'offered' | 'closed'; offered: number }> {
  const ctx = await slotContext(scope, release);
  if (new Date(release.starts_at) <= now || !(await slotStillFree(scope, release))) {
    await closeRelease(scope, release.id, 'expired', now);
    await offersGone(scope, release, now, ctx);
    return { state: 'expired', offered: 0 };
  }
  const pending = await scope.tx.selectFrom('waitlist_offer').select('id').where('release_id', '=', release.id).where('status', '=', 'pending').limit(1).executeTakeFirst();
  if (pending) return { state: 'waiting', offered: 0 };
  const offered = await offerNextBatch(scope, release, now, ctx);
  return { state: offered > 0 ? 'offered' : 'closed', offered };
}
