import { apiRequest } from '../api/client.ts';

/** The public booking page's API (src/modules/booking-page/schema.ts), as the page uses it. No session. */

export type Mode = 'in_person' | 'video';

export interface Catalog {
  clinic: { name: string; slug: string; timeZone: string };
  services: Array<{
    id: string;
    name: string;
    description: string | null;
    durationMinutes: number;
    mode: Mode;
    eligibility: 'any' | 'new' | 'established';
    price: { cents: number; currency: string } | null;
    practitionerIds: string[];
    locationIds: string[];
  }>;
  practitioners: Array<{ id: string; name: string; specialty: string | null }>;
  locations: Array<{ id: string; name: string; address: string | null; timeZone: string }>;
}
export type CatalogService = Catalog['services'][number];

export interface PublicSlot {
  startsAt: string;
  endsAt: string;
  practitionerId: string;
  locationId: string;
  timeZone: string;
}

export interface PublicSlots {
  slots: PublicSlot[];
  practitioners: Array<{ id: string; name: string }>;
}

export interface PublicAppointment {
  status: 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';
  confirmed: boolean;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  service: { id: string; name: string; durationMinutes: number; mode: Mode };
  practitioner: { id: string; name: string };
  location: { id: string; name: string; address: string | null; phone: string | null; timeZone: string };
}

export interface Booked {
  appointment: PublicAppointment;
  manageUrl: string;
  icsUrl: string;
}

export interface ManageView extends Booked {
  clinic: { name: string; slug: string };
  actions: { confirm: boolean; cancel: boolean; reschedule: boolean };
}

export interface BookingDetails {
  givenName: string;
  familyName: string;
  birthDate: string;
  phone?: string;
  email?: string;
  website?: string;
  referrer?: string;
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  utmTerm?: string;
  utmContent?: string;
}

const base = (slug: string) => `/api/public/booking/${encodeURIComponent(slug)}`;
const manage = (token: string) => `/api/public/booking/manage/${encodeURIComponent(token)}`;
const quiet = { redirectOnUnauthenticated: false } as const;

export const fetchCatalog = (slug: string, signal?: AbortSignal) => apiRequest<Catalog>(base(slug), { ...quiet, signal });

export const fetchPublicSlots = (
  slug: string,
  query: { serviceId: string; from: string; to: string; practitionerId?: string | null; locationId?: string | null },
  signal?: AbortSignal,
) => apiRequest<PublicSlots>(`${base(slug)}/slots`, { ...quiet, query, signal });

export const bookOnline = (slug: string, body: { serviceId: string; practitionerId: string; locationId: string; startsAt: string } & BookingDetails) =>
  apiRequest<Booked>(`${base(slug)}/appointments`, { ...quiet, method: 'POST', body });

export const fetchBooking = (token: string, signal?: AbortSignal) => apiRequest<ManageView>(manage(token), { ...quiet, signal });

export const confirmBooking = (token: string) => apiRequest<ManageView>(`${manage(token)}/confirm`, { ...quiet, method: 'POST', body: {} });

export const cancelBooking = (token: string, reason: string) =>
  apiRequest<ManageView>(`${manage(token)}/cancel`, { ...quiet, method: 'POST', body: reason.trim() ? { reason: reason.trim() } : {} });

export const rescheduleBooking = (token: string, startsAt: string) =>
  apiRequest<ManageView>(`${manage(token)}/reschedule`, { ...quiet, method: 'POST', body: { startsAt } });
