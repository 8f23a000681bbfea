import { sql, type Selectable } from 'kysely';
import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import { ACTIVE_APPOINTMENT_STATUSES, type WaitlistReleaseTable } from '../../server/db/types.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { practitionerName } from '../scheduling/appointments.ts';
import { formatLocal, onSlotFreed, type FreedSlot } from '../scheduling/booking.ts';

/**
 * A freed slot goes to the waitlist: a release is recorded, and the patients it suits best are
 * offered it in small batches, those not offered anything recently first. The first to accept
 * gets it (offers.ts); the sweep job (sweep.ts) expires unanswered offers and sends the next batch.
 */

export const WAITLIST_POLICY = {
  /** How many patients are offered a slot at once. */
  batchSize: 3,
  /** How long an offer stays open, at most (never past the slot's start). */
  offerMinutes: 120,
};

export type Release = Selectable<WaitlistReleaseTable>;

/** Told of every offer made, in its transaction: journeys send it to the patient. */
export type OfferListener = (scope: TenantScope, offer: { offerId: string; patientId: string; expiresAt: Date }, now: Date) => Promise<void>;
const offerListeners: OfferListener[] = [];
export function onWaitlistOffer(listener: OfferListener): void {
  if (!offerListeners.includes(listener)) offerListeners.push(listener);
}

/** What an offer or a timeline line says about a slot, in the location's zone. */
export type SlotContext = {
  serviceName: string;
  minNoticeMinutes: number;
  practitionerName: string;
  locationName: string;
  timeZone: string;
};

export async function slotContext(scope: TenantScope, release: Pick<Release, 'service_id' | 'practitioner_id' | 'location_id'>): Promise<SlotContext> {
  const row = await scope.tx
    .selectFrom('service as s')
    .innerJoin('practitioner as p', (j) => j.on('p.id', '=', release.practitioner_id))
    .innerJoin('location as l', (j) => j.on('l.id', '=', release.location_id))
    .select(['s.name', 's.min_notice_minutes', 'p.prefix', 'p.given_name', 'p.family_name', 'l.name as location_name', 'l.time_zone'])
    .where('s.id', '=', release.service_id)
    .executeTakeFirstOrThrow();
  return {
    serviceName: row.name,
    minNoticeMinutes: row.min_notice_minutes,
    practitionerName: practitionerName(row),
    locationName: row.location_name,
    timeZone: row.time_zone,
  };
}

export const describeSlot = (release: Pick<Release, 'starts_at'>, ctx: SlotContext) =>
  `${ctx.serviceName} with ${ctx.practitionerName}, ${formatLocal(new Date(release.starts_at), ctx.timeZone)} at ${ctx.locationName}`;

/** The booking listener: every future slot that comes free becomes a release, offered at once. */
async function releaseFreedSlot(scope: TenantScope, slot: FreedSlot, now: Date): Promise<void> {
  // A reschedule by a few minutes frees nothing anybody could book.
  if (!(await slotStillFree(scope, { practitioner_id: slot.practitionerId, starts_at: slot.startsAt, ends_at: slot.endsAt }))) return;
  const release = await scope.tx
    .insertInto('waitlist_release')
    .values({
      tenant_id: scope.tenantId,
      practitioner_id: slot.practitionerId,
      location_id: slot.locationId,
      service_id: slot.serviceId,
      starts_at: slot.startsAt,
      ends_at: slot.endsAt,
      source_appointment_id: slot.appointmentId,
      released_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await offerNextBatch(scope, release, now);
}

/** Registers the waitlist with booking; called by the routes and by the worker, safe to repeat. */
export function registerWaitlist(): void {
  onSlotFreed(releaseFreedSlot);
}

/** The waiting entries a release suits, best first: not recently offered, then longest waiting. */
async function matchingEntries(scope: TenantScope, release: Release, ctx: SlotContext, limit: number) {
  const start = DateTime.fromJSDate(new Date(release.starts_at), { zone: ctx.timeZone });
  const end = DateTime.fromJSDate(new Date(release.ends_at), { zone: ctx.timeZone });
  const localDate = start.toISODate()!;
  const startTime = start.toFormat('HH:mm:ss');
  // A visit running past midnight only suits entries with no latest time.
  const endTime = end.toISODate() === localDate ? end.toFormat('HH:mm:ss') : null;
  const source = release.source_appointment_id
    ? await scope.tx.selectFrom('appointment').select('patient_id').where('id', '=', release.source_appointment_id).executeTakeFirst()
    : undefined;
  // Only patients the service may be booked for (new or established patients only).
  const { eligibility } = await scope.tx.selectFrom('service').select('eligibility').where('id', '=', release.service_id).executeTakeFirstOrThrow();
  const rows = await scope.tx
    .selectFrom('waitlist_entry as e')
    .innerJoin('patient as p', 'p.id', 'e.patient_id')
    .leftJoin('appointment as h', 'h.id', 'e.appointment_id')
    .select(['e.id', 'e.patient_id', 'p.given_name', 'p.family_name'])
    .where('e.status', '=', 'waiting')
    .where('e.service_id', '=', release.service_id)
    .where((eb) => eb.or([eb('e.practitioner_id', 'is', null), eb('e.practitioner_id', '=', release.practitioner_id)]))
    .where((eb) => eb.or([eb('e.location_id', 'is', null), eb('e.location_id', '=', release.location_id)]))
    .where(sql<boolean>`${start.weekday}::smallint = any(e.weekdays)`)
    .where((eb) => eb.or([eb('e.earliest_time', 'is', null), eb('e.earliest_time', '<=', sql<string>`${startTime}::time`)]))
    .where((eb) => (endTime === null ? eb('e.latest_time', 'is', null) : eb.or([eb('e.latest_time', 'is', null), eb('e.latest_time', '>=', sql<string>`${endTime}::time`)])))
    .where((eb) => eb.or([eb('e.not_before', 'is', null), eb('e.not_before', '<=', localDate)]))
    .where((eb) => eb.or([eb('e.not_after', 'is', null), eb('e.not_after', '>=', localDate)]))
    // Someone holding a booking only wants a slot earlier than it.
    .where((eb) => eb.or([eb('h.id', 'is', null), eb('h.status', '!=', 'booked'), eb('h.starts_at', '>', release.starts_at)]))
    .where('p.merged_into_id', 'is', null)
    .where('p.archived_at', 'is', null)
    .where('p.lifecycle_status', '!=', 'deceased')
    .$if(eligibility === 'new', (q) => q.where('p.last_visit_at', 'is', null))
    .$if(eligibility === 'established', (q) => q.where('p.last_visit_at', 'is not', null))
    .$if(Boolean(source), (q) => q.where('e.patient_id', '!=', source!.patient_id))
    // Not someone already booked at that time, nor someone this release was offered to already.
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('appointment as b')
            .select('b.id')
            .whereRef('b.patient_id', '=', 'e.patient_id')
            .where('b.status', 'in', ACTIVE_APPOINTMENT_STATUSES)
            .where('b.starts_at', '<', release.ends_at)
            .where('b.ends_at', '>', release.starts_at),
        ),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('waitlist_offer as o').select('o.id').where('o.release_id', '=', release.id).whereRef('o.patient_id', '=', 'e.patient_id'),
        ),
      ),
    )
    .orderBy(sql`e.last_offered_at asc nulls first`)
    .orderBy('e.created_at')
    .orderBy('e.id')
    .limit(limit * 4)
    .execute();
  // One offer per patient, whatever number of their entries match.
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.patient_id) && seen.add(r.patient_id)).slice(0, limit);
}

/**
 * Offers an open release to the next batch of matching patients. With nobody left to offer it
 * to, the release closes: 'unmatched' if nobody was ever offered it, otherwise 'expired' once no
 * offer is still pending. Returns how many offers were made.
 */
export async function offerNextBatch(scope: TenantScope, release: Release, now: Date, ctx?: SlotContext): Promise<number> {
  const context = ctx ?? (await slotContext(scope, release));
  const startsAt = new Date(release.starts_at).getTime();
  // Answering must leave the notice the service needs, and an offer never outlives the slot.
  const expiresAt = Math.min(now.getTime() + WAITLIST_POLICY.offerMinutes * 60_000, startsAt - context.minNoticeMinutes * 60_000);
  const entries = expiresAt > now.getTime() ? await matchingEntries(scope, release, context, WAITLIST_POLICY.batchSize) : [];
  if (entries.length === 0) {
    const pending = await scope.tx.selectFrom('waitlist_offer').select('id').where('release_id', '=', release.id).where('status', '=', 'pending').limit(1).executeTakeFirst();
    if (!pending) await closeRelease(scope, release.id, release.batches === 0 ? 'unmatched' : 'expired', now);
    return 0;
  }
  const batch = release.batches + 1;
  const slot = describeSlot(release, context);
  const answerBy = formatLocal(expiresAt, context.timeZone);
  for (const entry of entries) {
    const offer = await scope.tx
      .insertInto('waitlist_offer')
      .values({
        tenant_id: scope.tenantId,
        release_id: release.id,
        entry_id: entry.id,
        patient_id: entry.patient_id,
        batch,
        offered_at: now,
        expires_at: new Date(expiresAt),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await scope.tx.updateTable('waitlist_entry').set({ last_offered_at: now, updated_at: now }).where('id', '=', entry.id).execute();
    await recordTimelineEvent(scope, {
      patientId: entry.patient_id,
      kind: 'waitlist.offered',
      summary: `Offered from the waitlist: ${slot} (answer by ${answerBy})`,
      detail: { releaseId: release.id, offerId: offer.id, startsAt: new Date(release.starts_at).toISOString(), expiresAt: new Date(expiresAt).toISOString(), batch },
      occurredAt: now,
      subject: { type: 'waitlist_offer', id: offer.id },
    });
    await scope.audit({ action: 'waitlist.offer', entityType: 'waitlist_offer', entityId: offer.id, patientId: entry.patient_id, detail: { releaseId: release.id, batch } });
    for (const listener of offerListeners) await listener(scope, { offerId: offer.id, patientId: entry.patient_id, expiresAt: new Date(expiresAt) }, now);
  }
  await scope.tx.updateTable('waitlist_release').set({ batches: batch }).where('id', '=', release.id).execute();
  return entries.length;
}

export async function closeRelease(
  scope: TenantScope,
  releaseId: string,
  status: 'filled' | 'expired' | 'unmatched',
  now: Date,
  filledAppointmentId: string | null = null,
): Promise<void> {
  await scope.tx
    .updateTable('waitlist_release')
    .set({ status, closed_at: now, filled_appointment_id: filledAppointmentId })
    .where('id', '=', releaseId)
    .execute();
}

/**
 * Tells every patient still holding an offer of a release that the slot has gone (someone
 * accepted it, it was booked another way, or it started).
 */
export async function offersGone(scope: TenantScope, release: Release, now: Date, ctx: SlotContext, exceptOfferId?: string): Promise<number> {
  const gone = await scope.tx
    .updateTable('waitlist_offer')
    .set({ status: 'gone', responded_at: now })
    .where('release_id', '=', release.id)
    .where('status', '=', 'pending')
    .$if(Boolean(exceptOfferId), (q) => q.where('id', '!=', exceptOfferId!))
    .returning(['id', 'patient_id'])
    .execute();
  const slot = describeSlot(release, ctx);
  for (const offer of gone) {
    await recordTimelineEvent(scope, {
      patientId: offer.patient_id,
      kind: 'waitlist.offer_gone',
      summary: `Waitlist offer of ${slot}: the slot has gone`,
      detail: { releaseId: release.id, offerId: offer.id },
      occurredAt: now,
      subject: { type: 'waitlist_offer', id: offer.id },
    });
    await scope.audit({ action: 'waitlist.offer_gone', entityType: 'waitlist_offer', entityId: offer.id, patientId: offer.patient_id, detail: { releaseId: release.id } });
  }
  return gone.length;
}

/** Whether the practitioner's time of a release is still free (nobody booked it another way). */
export async function slotStillFree(scope: TenantScope, release: Pick<Release, 'practitioner_id' | 'starts_at' | 'ends_at'>): Promise<boolean> {
  const taken = await scope.tx
    .selectFrom('appointment')
    .select('id')
    .where('practitioner_id', '=', release.practitioner_id)
    .where('status', 'in', ACTIVE_APPOINTMENT_STATUSES)
    .where('block_start', '>', new Date(new Date(release.starts_at).getTime() - 86_400_000))
    .where('block_start', '<', release.ends_at)
    .where('block_end', '>', release.starts_at)
    .limit(1)
    .executeTakeFirst();
  return !taken;
}
