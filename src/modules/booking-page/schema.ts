import { z } from 'zod';

/** Wire shapes of the public booking page. Nothing here names a patient. */

export const slugParams = z.object({ tenantSlug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'is not a clinic address') });
export const tokenParams = z.object({ token: z.string().max(800) });

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)');
const text = (max: number) => z.string().trim().min(1, 'is required').max(max);
const optionalText = (max: number) => z.string().trim().max(max).optional();

export const PUBLIC_SLOT_RANGE_DAYS = 31;

export const publicSlotQuery = z.strictObject({
  serviceId: z.uuid(),
  from: date,
  to: date,
  practitionerId: z.uuid().optional(),
  locationId: z.uuid().optional(),
});

export const onlineBookingBody = z.strictObject({
  serviceId: z.uuid(),
  practitionerId: z.uuid(),
  locationId: z.uuid(),
  startsAt: z
    .string()
    .max(40)
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, 'must be an ISO 8601 date-time with its offset'),
  givenName: text(100),
  familyName: text(100),
  birthDate: z.iso.date({ message: 'must be a date as YYYY-MM-DD' }),
  phone: optionalText(40),
  email: optionalText(320),
  /** The honeypot: hidden from people, filled in by bots. */
  website: z.string().max(500).optional(),
  referrer: optionalText(500),
  utmSource: optionalText(200),
  utmMedium: optionalText(200),
  utmCampaign: optionalText(200),
  utmTerm: optionalText(200),
  utmContent: optionalText(200),
});
export type OnlineBookingBody = z.infer<typeof onlineBookingBody>;

export const cancelBody = z.strictObject({ reason: optionalText(500) }).nullish();
export const rescheduleBody = z.strictObject({ startsAt: onlineBookingBody.shape.startsAt });

const price = z.object({ cents: z.number().int(), currency: z.string() }).nullable();

export const catalogSchema = z.object({
  clinic: z.object({ name: z.string(), slug: z.string(), timeZone: z.string() }),
  services: z.array(
    z.object({
      id: z.uuid(),
      name: z.string(),
      description: z.string().nullable(),
      durationMinutes: z.number().int(),
      mode: z.enum(['in_person', 'video']),
      eligibility: z.enum(['any', 'new', 'established']),
      price,
      practitionerIds: z.array(z.uuid()),
      locationIds: z.array(z.uuid()),
    }),
  ),
  practitioners: z.array(z.object({ id: z.uuid(), name: z.string(), specialty: z.string().nullable() })),
  locations: z.array(z.object({ id: z.uuid(), name: z.string(), address: z.string().nullable(), timeZone: z.string() })),
});
export type Catalog = z.infer<typeof catalogSchema>;

export const publicSlotsSchema = z.object({
  slots: z.array(z.object({ startsAt: z.string(), endsAt: z.string(), practitionerId: z.uuid(), locationId: z.uuid(), timeZone: z.string() })),
  practitioners: z.array(z.object({ id: z.uuid(), name: z.string() })),
});
export type PublicSlots = z.infer<typeof publicSlotsSchema>;

/** A visit as the patient sees it: what, with whom, where and when. */
export const publicAppointmentSchema = z.object({
  status: z.enum(['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow']),
  confirmed: z.boolean(),
  startsAt: z.string(),
  endsAt: z.string(),
  timeZone: z.string(),
  service: z.object({ id: z.uuid(), name: z.string(), durationMinutes: z.number().int(), mode: z.enum(['in_person', 'video']) }),
  practitioner: z.object({ id: z.uuid(), name: z.string() }),
  location: z.object({ id: z.uuid(), name: z.string(), address: z.string().nullable(), phone: z.string().nullable(), timeZone: z.string() }),
});
export type PublicAppointment = z.infer<typeof publicAppointmentSchema>;

export const bookedSchema = z.object({ appointment: publicAppointmentSchema, manageUrl: z.string(), icsUrl: z.string() });
export type Booked = z.infer<typeof bookedSchema>;

export const manageSchema = z.object({
  clinic: z.object({ name: z.string(), slug: z.string() }),
  appointment: publicAppointmentSchema,
  actions: z.object({ confirm: z.boolean(), cancel: z.boolean(), reschedule: z.boolean() }),
  manageUrl: z.string(),
  icsUrl: z.string(),
});
export type ManageView = z.infer<typeof manageSchema>;
