import { apiRequest } from './client.ts';
import type { Appointment } from './schedule.ts';

/** The waitlist: entries, the offers made from freed slots, and the fill rate (see src/modules/waitlist/). */

export type WaitlistStatus = 'waiting' | 'booked' | 'withdrawn' | 'expired';
export type OfferStatus = 'pending' | 'accepted' | 'gone' | 'declined' | 'expired';

export interface WaitlistPatient {
  id: string;
  givenName: string;
  familyName: string;
  phone: string | null;
}

export interface WaitlistEntry {
  id: string;
  status: WaitlistStatus;
  patient: WaitlistPatient;
  service: { id: string; name: string };
  practitioner: { id: string; name: string } | null;
  location: { id: string; name: string; timeZone: string } | null;
  /** ISO weekdays, 1 = Monday. */
  weekdays: number[];
  earliestTime: string | null;
  latestTime: string | null;
  notBefore: string | null;
  notAfter: string | null;
  appointment: { id: string; startsAt: string; timeZone: string; status: string } | null;
  notes: string | null;
  lastOfferedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewWaitlistEntry {
  patientId: string;
  serviceId: string;
  practitionerId?: string;
  locationId?: string;
  weekdays?: number[];
  earliestTime?: string;
  latestTime?: string;
  notBefore?: string;
  notAfter?: string;
  appointmentId?: string;
  notes?: string;
}

export interface WaitlistOffer {
  id: string;
  status: OfferStatus;
  batch: number;
  entryId: string;
  patient: WaitlistPatient;
  offeredAt: string;
  expiresAt: string;
  respondedAt: string | null;
  appointmentId: string | null;
  slot: {
    releaseId: string;
    releaseStatus: 'open' | 'filled' | 'expired' | 'unmatched';
    startsAt: string;
    endsAt: string;
    timeZone: string;
    /** The start as the clinic reads it, in the location's zone. */
    local: string;
    service: { id: string; name: string };
    practitioner: { id: string; name: string };
    location: { id: string; name: string };
  };
}

export interface WaitlistStats {
  from: string;
  to: string;
  timeZone: string;
  releases: number;
  offered: number;
  unmatched: number;
  open: number;
  filled: number;
  offers: number;
  fillRate: number | null;
  medianMinutesToFill: number | null;
}

export interface WaitlistQuery {
  status?: WaitlistStatus | 'all';
  serviceId?: string | null;
  patientId?: string | null;
}

export const fetchWaitlist = (query: WaitlistQuery, signal?: AbortSignal): Promise<{ items: WaitlistEntry[] }> =>
  apiRequest('/api/waitlist', { query: { status: query.status, serviceId: query.serviceId, patientId: query.patientId }, signal });

export const joinWaitlist = (body: NewWaitlistEntry): Promise<WaitlistEntry> => apiRequest('/api/waitlist', { method: 'POST', body });

export const changeWaitlistEntry = (id: string, body: Partial<Omit<NewWaitlistEntry, 'patientId' | 'serviceId'>> & { status?: 'waiting' | 'withdrawn' }): Promise<WaitlistEntry> =>
  apiRequest(`/api/waitlist/${encodeURIComponent(id)}`, { method: 'PATCH', body });

export const fetchOffers = (status: OfferStatus | 'all', signal?: AbortSignal): Promise<{ items: WaitlistOffer[] }> =>
  apiRequest('/api/waitlist/offers', { query: { status }, signal });

export const acceptOffer = (id: string): Promise<{ offer: WaitlistOffer; appointment: Appointment }> =>
  apiRequest(`/api/waitlist/offers/${encodeURIComponent(id)}/accept`, { method: 'POST' });

export const declineOffer = (id: string): Promise<WaitlistOffer> => apiRequest(`/api/waitlist/offers/${encodeURIComponent(id)}/decline`, { method: 'POST' });

export const fetchWaitlistStats = (from: string, to: string, signal?: AbortSignal): Promise<WaitlistStats> =>
  apiRequest('/api/waitlist/stats', { query: { from, to }, signal });
