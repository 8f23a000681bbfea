import type { TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { getAppointment, type AppointmentView } from '../scheduling/appointments.ts';
import { changeAppointmentStatus, rescheduleAppointment } from '../scheduling/booking.ts';
import { manageLinkPath, requireLinkedAppointment, type LinkClaims, type LinkTenant } from '../scheduling/links.ts';
import { appointmentIcs } from '../scheduling/feeds.ts';
import { icsUrlOf, publicRefusal } from './book.ts';
import { describeVisit } from './catalog.ts';
import type { ManageView } from './schema.ts';

/**
 * What a patient can do with the signed link from their confirmation: see the booking, confirm
 * it, cancel it, or move it to another free time with the same practitioner and place. Each step
 * checks the link still belongs to the appointment's patient, and goes through the booking core.
 */

export type LinkContext = { claims: LinkClaims; tenant: LinkTenant; key: Buffer; token: string };

const DEFAULT_CANCEL_REASON = 'Cancelled by the patient through the booking link';

function allowedActions(view: AppointmentView, now: Date): ManageView['actions'] {
  const upcoming = view.status === 'booked' && Date.parse(view.startsAt) > now.getTime();
  return { confirm: upcoming && view.confirmedAt === null, cancel: upcoming, reschedule: upcoming };
}

async function present(scope: TenantScope, link: LinkContext, view: AppointmentView, now: Date, manageUrl = `/book/manage/${link.token}`): Promise<ManageView> {
  const appointment = (await describeVisit(scope, {
    serviceId: view.service.id,
    practitionerId: view.practitioner.id,
    locationId: view.location.id,
    startsAt: new Date(view.startsAt),
    endsAt: new Date(view.endsAt),
    status: view.status,
    confirmed: view.confirmedAt !== null,
  }))!;
  return {
    clinic: { name: link.tenant.name, slug: link.tenant.slug },
    appointment,
    actions: allowedActions(view, now),
    manageUrl,
    icsUrl: icsUrlOf(manageUrl),
  };
}

async function linkedAppointment(scope: TenantScope, link: LinkContext): Promise<AppointmentView> {
  const { id } = await requireLinkedAppointment(scope, link.claims);
  return getAppointment(scope, id);
}

export async function viewBookingByLink(scope: TenantScope, link: LinkContext, now: Date): Promise<ManageView> {
  const view = await linkedAppointment(scope, link);
  await scope.audit({ action: 'appointment.read', entityType: 'appointment', entityId: view.id, patientId: view.patient.id, detail: { via: 'booking_link' } });
  return present(scope, link, view, now);
}

const notAllowed = (what: string) =>
  new AppError(409, 'invalid_transition', `This appointment can no longer be ${what} online. Please contact the clinic.`);

export async function confirmBookingByLink(scope: TenantScope, link: LinkContext, now: Date): Promise<ManageView> {
  const view = await linkedAppointment(scope, link);
  const actions = allowedActions(view, now);
  // Confirming twice is harmless: the second time answers with the booking as it is.
  if (view.status === 'booked' && view.confirmedAt !== null && Date.parse(view.startsAt) > now.getTime()) return present(scope, link, view, now);
  if (!actions.confirm) throw notAllowed('confirmed');
  const confirmed = await changeAppointmentStatus(scope, view.id, { action: 'confirm', version: view.version, via: 'public' }, now).catch((e: unknown) => {
    throw publicRefusal(e);
  });
  return present(scope, link, confirmed, now);
}

export async function cancelBookingByLink(scope: TenantScope, link: LinkContext, reason: string | undefined, now: Date): Promise<ManageView> {
  const view = await linkedAppointment(scope, link);
  if (!allowedActions(view, now).cancel) throw notAllowed('cancelled');
  const cancelled = await changeAppointmentStatus(
    scope,
    view.id,
    { action: 'cancel', reason: reason?.trim() ? `Patient (online): ${reason.trim()}`.slice(0, 500) : DEFAULT_CANCEL_REASON, version: view.version, via: 'public' },
    now,
  ).catch((e: unknown) => {
    throw publicRefusal(e);
  });
  return present(scope, link, cancelled, now);
}

/** Moves the booking to another free time with the same practitioner and location; a new link comes back. */
export async function rescheduleBookingByLink(scope: TenantScope, link: LinkContext, startsAt: Date, now: Date): Promise<ManageView> {
  const view = await linkedAppointment(scope, link);
  if (!allowedActions(view, now).reschedule) throw notAllowed('moved');
  const moved = await rescheduleAppointment(scope, view.id, { startsAt, version: view.version, via: 'public' }, now).catch((e: unknown) => {
    throw publicRefusal(e);
  });
  // The link's expiry follows the visit, so a moved visit gets a fresh one (the old one still works until it expires).
  const manageUrl = manageLinkPath(link.key, { tenantId: scope.tenantId, appointmentId: moved.id, patientId: moved.patient.id, endsAt: new Date(moved.endsAt), now });
  return present(scope, link, moved, now, manageUrl);
}

export async function bookingIcsByLink(scope: TenantScope, link: LinkContext): Promise<string> {
  const { id } = await requireLinkedAppointment(scope, link.claims);
  return appointmentIcs(scope, id);
}
