import type { TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { publicRefusal } from '../booking-page/book.ts';
import { practitionerName } from '../scheduling/appointments.ts';
import { linkNotFound, manageLinkPath } from '../scheduling/links.ts';
import { acceptOffer, declineOffer, type Answer } from '../waitlist/offers.ts';
import type { PatientLink } from './preferences.ts';
import type { OfferView } from './schema.ts';

/**
 * A waitlist offer opened from its signed link (the link's subject is the offer): the slot and
 * until when it is held, and accepting or declining it through the waitlist's own commands, which
 * settle a race between patients (the first to accept books it; the others find it gone).
 */

const addressOf = (l: { address_line: string | null; city: string | null; postal_code: string | null }) =>
  [l.address_line, l.city, l.postal_code].filter(Boolean).join(', ') || null;

async function loadOffer(scope: TenantScope, link: PatientLink) {
  const row = await scope.tx
    .selectFrom('waitlist_offer as o')
    .innerJoin('waitlist_release as r', 'r.id', 'o.release_id')
    .innerJoin('patient as p', 'p.id', 'o.patient_id')
    .innerJoin('service as s', 's.id', 'r.service_id')
    .innerJoin('practitioner as pr', 'pr.id', 'r.practitioner_id')
    .innerJoin('location as l', 'l.id', 'r.location_id')
    .select([
      'o.id', 'o.status', 'o.patient_id', 'o.expires_at', 'o.appointment_id',
      'p.time_zone as patient_zone',
      'r.status as release_status', 'r.starts_at', 'r.ends_at',
      's.name as service_name', 'pr.prefix', 'pr.given_name', 'pr.family_name',
      'l.name as location_name', 'l.address_line', 'l.city', 'l.postal_code', 'l.time_zone',
    ])
    .where('o.id', '=', link.claims.appointmentId)
    .executeTakeFirst();
  // The offer must still be the linked patient's (a merge moves it to the surviving record).
  if (!row || row.patient_id !== link.claims.patientId) {
    await scope.audit({
      action: 'offer_link.use',
      entityType: 'waitlist_offer',
      entityId: link.claims.appointmentId,
      outcome: 'denied',
      detail: { reason: row ? 'patient_changed' : 'offer_missing' },
    });
    throw linkNotFound();
  }
  return row;
}

type OfferRow = Awaited<ReturnType<typeof loadOffer>>;

async function present(scope: TenantScope, link: PatientLink, row: OfferRow, now: Date): Promise<OfferView> {
  let status: OfferView['offer']['status'] = row.status;
  if (status === 'pending') {
    if (row.release_status !== 'open' || new Date(row.starts_at) <= now) status = 'gone';
    else if (new Date(row.expires_at) <= now) status = 'expired';
  }
  let manageUrl: string | null = null;
  if (row.status === 'accepted' && row.appointment_id) {
    const booked = await scope.tx.selectFrom('appointment').select(['id', 'patient_id', 'ends_at', 'status']).where('id', '=', row.appointment_id).executeTakeFirst();
    if (booked && booked.patient_id === row.patient_id) {
      manageUrl = manageLinkPath(link.key, { tenantId: scope.tenantId, appointmentId: booked.id, patientId: booked.patient_id, endsAt: new Date(booked.ends_at), now });
    }
  }
  return {
    clinic: { name: link.tenant.name, slug: link.tenant.slug },
    offer: {
      status,
      expiresAt: new Date(row.expires_at).toISOString(),
      slot: {
        startsAt: new Date(row.starts_at).toISOString(),
        endsAt: new Date(row.ends_at).toISOString(),
        timeZone: row.patient_zone ?? row.time_zone,
        service: row.service_name,
        practitioner: practitionerName(row),
        location: { name: row.location_name, address: addressOf(row) },
      },
    },
    actions: { accept: status === 'pending', decline: status === 'pending' },
    manageUrl,
  };
}

export async function viewOffer(scope: TenantScope, link: PatientLink, now: Date): Promise<OfferView> {
  const row = await loadOffer(scope, link);
  await scope.audit({ action: 'waitlist.offer_read', entityType: 'waitlist_offer', entityId: row.id, patientId: row.patient_id, detail: { via: 'offer_link' } });
  return present(scope, link, row, now);
}

const STILL_WAITING = 'You are still on the waiting list, and we will let you know when another time comes free.';

/** The waitlist's refusals, in words for the patient holding the link. */
export function friendlyRefusal(error: AppError): AppError {
  switch (error.code) {
    case 'slot_gone':
      return new AppError(409, 'slot_gone', `Sorry, this time has just been taken or has already started. ${STILL_WAITING}`);
    case 'offer_expired':
      return new AppError(409, 'offer_expired', `Sorry, this offer has expired. ${STILL_WAITING}`);
    case 'offer_declined':
      return new AppError(409, 'offer_declined', 'You have turned this offer down, so it can no longer be accepted.');
    case 'offer_accepted':
      return new AppError(409, 'offer_accepted', 'You have already accepted this offer: the appointment is booked.');
    case 'invalid_transition':
      return new AppError(409, 'offer_closed', 'This offer can no longer be accepted online. Please contact the clinic.');
    default:
      return publicRefusal(error) as AppError;
  }
}

/**
 * Accepts through the waitlist's command. A refusal is returned, not thrown, so what the command
 * recorded (an offer found expired, a release closed) commits before the patient is told.
 */
export async function acceptOfferByLink(scope: TenantScope, link: PatientLink, now: Date): Promise<Answer<OfferView>> {
  const row = await loadOffer(scope, link);
  let answer: Awaited<ReturnType<typeof acceptOffer>>;
  try {
    answer = await acceptOffer(scope, row.id, now);
  } catch (error) {
    throw error instanceof AppError ? friendlyRefusal(error) : error;
  }
  if ('refused' in answer) return { refused: friendlyRefusal(answer.refused) };
  return { ok: await present(scope, link, await loadOffer(scope, link), now) };
}

export async function declineOfferByLink(scope: TenantScope, link: PatientLink, now: Date): Promise<Answer<OfferView>> {
  const row = await loadOffer(scope, link);
  const answer = await declineOffer(scope, row.id, now);
  if ('refused' in answer) return { refused: friendlyRefusal(answer.refused) };
  return { ok: await present(scope, link, await loadOffer(scope, link), now) };
}
