import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { duplicateCheck } from '../patients/duplicate-check.ts';
import { normalizeEmail, toE164 } from '../patients/normalize.ts';
import { registerPatient } from '../patients/service.ts';
import { bookAppointment } from '../scheduling/booking.ts';
import { manageLinkPath } from '../scheduling/links.ts';
import { describeVisit, requirePublicService } from './catalog.ts';
import type { Booked, OnlineBookingBody, PublicAppointment } from './schema.ts';

/**
 * Booking from the public page by someone with no account: recognise the patient by date of birth
 * plus phone or email, or register a new one (duplicates go to the review queue), then book through
 * the same function staff use, so every booking rule holds. The answer never says which happened.
 */

export type OnlineBooking = Omit<OnlineBookingBody, 'startsAt' | 'website'> & { startsAt: Date };

export const SOURCE_CHANNEL = 'online booking';

/** The phone as E.164 and the email lower-cased; at least one of them, each valid. */
export function contactOf(input: { phone?: string | undefined; email?: string | undefined }): { phone: string | null; email: string | null } {
  const problems: FieldProblem[] = [];
  const phone = input.phone ? toE164(input.phone) : null;
  const email = input.email ? normalizeEmail(input.email) : null;
  if (input.phone && !phone) problems.push({ path: 'phone', message: 'must be a valid phone number' });
  if (input.email && !email) problems.push({ path: 'email', message: 'must be an email address' });
  if (!input.phone && !input.email) problems.push({ path: 'phone', message: 'or email is required, so the clinic can reach you' });
  if (problems.length) throw validationFailed(problems);
  return { phone, email };
}

function checkBirthDate(birthDate: string, now: Date): void {
  const day = Date.parse(`${birthDate}T00:00:00Z`);
  if (Number.isNaN(day) || day > now.getTime() || birthDate < '1900-01-01') {
    throw validationFailed([{ path: 'birthDate', message: 'must be a real date of birth, not in the future' }]);
  }
}

/**
 * The one current patient with this date of birth and this phone or email (main or extra contact
 * points); none when nobody or more than one matches, so staff sort out the duplicates instead.
 */
export async function recognisePatient(scope: TenantScope, birthDate: string, contact: { phone: string | null; email: string | null }): Promise<string | null> {
  const contactPoint = (system: 'phone' | 'email', value: string) =>
    sql<boolean>`exists (select 1 from patient_contact_point c where c.patient_id = p.id and c.system = ${system} and c.value = ${value})`;
  const rows = await scope.tx
    .selectFrom('patient as p')
    .select('p.id')
    .where('p.birth_date', '=', birthDate)
    .where('p.archived_at', 'is', null)
    .where('p.merged_into_id', 'is', null)
    .where('p.lifecycle_status', '!=', 'deceased')
    .where((eb) =>
      eb.or([
        ...(contact.phone ? [eb('p.phone', '=', contact.phone), eb(contactPoint('phone', contact.phone), '=', true)] : []),
        ...(contact.email ? [eb('p.email', '=', contact.email), eb(contactPoint('email', contact.email), '=', true)] : []),
      ]),
    )
    .limit(2)
    .execute();
  const match = rows.length === 1 ? rows[0]!.id : null;
  await scope.audit({
    action: 'patient.identify',
    entityType: 'patient',
    ...(match ? { entityId: match, patientId: match } : {}),
    detail: { via: 'booking_page', matched: rows.length === 1, ambiguous: rows.length > 1 },
  });
  return match;
}

async function registerOnlinePatient(scope: TenantScope, input: OnlineBooking, contact: { phone: string | null; email: string | null }, now: Date): Promise<string> {
  const { patient } = await registerPatient(
    scope,
    {
      givenName: input.givenName,
      familyName: input.familyName,
      birthDate: input.birthDate,
      ...(contact.phone ? { phones: [{ value: contact.phone, use: 'mobile' as const }] } : {}),
      ...(contact.email ? { emails: [{ value: contact.email, use: 'home' as const }] } : {}),
      source: {
        channel: SOURCE_CHANNEL,
        campaign: input.utmCampaign || null,
        referrer: input.referrer || null,
        utmSource: input.utmSource || null,
        utmMedium: input.utmMedium || null,
        utmCampaign: input.utmCampaign || null,
        utmTerm: input.utmTerm || null,
        utmContent: input.utmContent || null,
      },
      // Nobody here can judge a possible duplicate: the record is kept, and a likely match goes to review.
      confirmNotDuplicate: true,
    },
    { now, findDuplicates: duplicateCheck('create') },
  );
  return patient.id;
}

/**
 * A booking refusal as the public may see it: no other patient's appointment ids or times, no
 * hint of what the clinic holds about this person beyond the rule itself.
 */
export function publicRefusal(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  if (['slot_taken', 'room_taken', 'no_room', 'stale'].includes(error.code)) {
    return new AppError(409, 'slot_taken', 'Sorry, that time is no longer available. Please choose another time.', [
      { path: 'startsAt', message: 'is no longer available' },
    ]);
  }
  if (error.code === 'booking_rule' && error.fields?.[0]?.path === 'serviceId') {
    const rule = error.fields[0].message;
    const message = /new patients only/.test(rule)
      ? 'This service is for new patients only. If you have visited the clinic before, please choose another service or contact the clinic.'
      : /established patients only/.test(rule)
        ? 'This service is for patients the clinic has seen before. If this is your first visit, please choose a service for new patients.'
        : 'You already have as many upcoming bookings of this service as can be made online. Please contact the clinic.';
    return new AppError(400, 'booking_rule', message, error.fields);
  }
  if (['merged', 'archived', 'deceased'].includes(error.code)) {
    return new AppError(409, 'cannot_book_online', 'This appointment cannot be booked online. Please contact the clinic.');
  }
  // Everything else speaks of the clinic's own calendar (past, outside hours, notice): shown as is, without details.
  return new AppError(error.status, error.code, error.message, error.fields);
}

/** Books a visit for whoever filled in the form; refusals roll back the new patient too. */
export async function bookOnline(scope: TenantScope, input: OnlineBooking, key: Buffer, now: Date): Promise<Booked> {
  await requirePublicService(scope, input.serviceId);
  const contact = contactOf(input);
  checkBirthDate(input.birthDate, now);
  const patientId = (await recognisePatient(scope, input.birthDate, contact)) ?? (await registerOnlinePatient(scope, input, contact, now));
  let view;
  try {
    view = await bookAppointment(
      scope,
      { patientId, serviceId: input.serviceId, practitionerId: input.practitionerId, locationId: input.locationId, startsAt: input.startsAt, via: 'public' },
      now,
    );
  } catch (error) {
    throw publicRefusal(error);
  }
  const appointment = (await describeVisit(scope, {
    serviceId: view.service.id,
    practitionerId: view.practitioner.id,
    locationId: view.location.id,
    startsAt: new Date(view.startsAt),
    endsAt: new Date(view.endsAt),
    status: view.status,
    confirmed: view.confirmedAt !== null,
  }))!;
  const manageUrl = manageLinkPath(key, { tenantId: scope.tenantId, appointmentId: view.id, patientId, endsAt: new Date(view.endsAt), now });
  return { appointment, manageUrl, icsUrl: icsUrlOf(manageUrl) };
}

/** The .ics download that goes with a manage link. */
export const icsUrlOf = (manageUrl: string) => `/api/public/booking/manage/${manageUrl.slice('/book/manage/'.length)}/ics`;

/**
 * What a filled honeypot is told: the same shape as a booking, from the clinic's public data, with
 * a link that leads nowhere (signed with a throwaway key). Nothing is stored; the attempt is audited.
 */
export async function decoyBooking(scope: TenantScope, input: OnlineBooking, decoyKey: Buffer, now: Date): Promise<Booked> {
  await scope.audit({ action: 'booking_page.book', entityType: 'appointment', outcome: 'denied', detail: { reason: 'honeypot' } });
  await requirePublicService(scope, input.serviceId);
  const appointment: PublicAppointment | null = await describeVisit(scope, {
    serviceId: input.serviceId,
    practitionerId: input.practitionerId,
    locationId: input.locationId,
    startsAt: input.startsAt,
    status: 'booked',
    confirmed: false,
  });
  if (!appointment) throw validationFailed([{ path: 'practitionerId', message: 'is not a practitioner of this clinic' }]);
  const manageUrl = manageLinkPath(decoyKey, {
    tenantId: scope.tenantId,
    appointmentId: crypto.randomUUID(),
    patientId: crypto.randomUUID(),
    endsAt: new Date(appointment.endsAt),
    now,
  });
  return { appointment, manageUrl, icsUrl: icsUrlOf(manageUrl) };
}
