import { apiRequest } from './client.ts';

/** Scheduling: the clinic's directory, open slots and appointments (see src/modules/scheduling/). */

export interface Location {
  id: string;
  name: string;
  /** IANA zone the location's clock runs in; every time at the location is shown in it. */
  timeZone: string;
  active?: boolean;
}

export interface Practitioner {
  id: string;
  /** Display name, when the server composes it. */
  name?: string;
  prefix?: string | null;
  givenName?: string;
  familyName?: string;
  specialty?: string | null;
  locationIds?: string[];
  serviceIds?: string[];
}

export interface Room {
  id: string;
  name: string;
  locationId: string;
  active?: boolean;
}

export type ServiceMode = 'in_person' | 'video';

export interface Service {
  id: string;
  name: string;
  durationMinutes: number;
  mode?: ServiceMode;
  requiresRoom?: boolean;
  practitionerIds?: string[];
  locationIds?: string[];
}

export interface Slot {
  startsAt: string;
  endsAt: string;
  practitionerId: string;
  locationId: string;
  /** The room the slot would take, for services that need one. */
  roomId?: string | null;
  timeZone: string;
}

export type AppointmentStatus = 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';

export interface Appointment {
  id: string;
  status: AppointmentStatus;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  version: number;
  confirmedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  bookedVia: string;
  seriesId: string | null;
  notes: string | null;
  /** The clinician's care instructions for this visit; the follow-up email falls back to the service's. */
  careInstructions: string | null;
  patient: {
    id: string;
    givenName: string;
    familyName: string;
    preferredName: string | null;
    birthDate: string | null;
    phone: string | null;
  };
  practitioner: { id: string; name: string };
  location: { id: string; name: string; timeZone: string };
  service: { id: string; name: string; durationMinutes: number; mode: ServiceMode | (string & {}) };
  room: { id: string; name: string } | null;
}

export interface AppointmentHistoryEntry {
  action: string;
  fromStatus: AppointmentStatus | null;
  toStatus: AppointmentStatus;
  previousStartsAt: string | null;
  startsAt: string;
  reason: string | null;
  via: string;
  actor: { type: string; name: string | null };
  occurredAt: string;
}

export type AppointmentDetail = Appointment & { history: AppointmentHistoryEntry[] };

/** Lists come as { items } (the house style); a bare array is accepted too. */
type ListAnswer<T> = { items: T[] } | T[];
const itemsOf = <T>(answer: ListAnswer<T>): T[] => (Array.isArray(answer) ? answer : answer.items);

// Only what can be booked now: retired locations, rooms, practitioners and services are left out.

export const fetchLocations = async (signal?: AbortSignal): Promise<Location[]> =>
  itemsOf(await apiRequest<ListAnswer<Location>>('/api/scheduling/locations', { signal })).filter((l) => l.active !== false);

export const fetchPractitioners = async (signal?: AbortSignal): Promise<Practitioner[]> =>
  itemsOf(await apiRequest<ListAnswer<Practitioner>>('/api/scheduling/practitioners', { query: { active: 'true' }, signal }));

export const fetchRooms = async (signal?: AbortSignal): Promise<Room[]> =>
  itemsOf(await apiRequest<ListAnswer<Room>>('/api/scheduling/rooms', { signal })).filter((r) => r.active !== false);

export const fetchServices = async (signal?: AbortSignal): Promise<Service[]> =>
  itemsOf(await apiRequest<ListAnswer<Service>>('/api/scheduling/services', { query: { active: 'true' }, signal }));

export interface SlotQuery {
  serviceId: string;
  /** Calendar dates, YYYY-MM-DD, at the location. */
  from: string;
  to: string;
  practitionerId?: string;
  locationId?: string;
}

export const fetchSlots = (query: SlotQuery, signal?: AbortSignal): Promise<{ slots: Slot[] }> =>
  apiRequest('/api/scheduling/slots', { query: { ...query }, signal });

export interface AppointmentQuery {
  /** ISO instants. */
  from?: string;
  to?: string;
  practitionerId?: string;
  locationId?: string;
  roomId?: string;
  patientId?: string;
  /** Comma-separated statuses. */
  status?: string;
}

export const fetchAppointments = (query: AppointmentQuery, signal?: AbortSignal): Promise<{ items: Appointment[] }> =>
  apiRequest('/api/appointments', { query: { ...query }, signal });

export const fetchAppointment = (id: string, signal?: AbortSignal): Promise<AppointmentDetail> =>
  apiRequest(`/api/appointments/${encodeURIComponent(id)}`, { signal });

export interface NewAppointment {
  patientId: string;
  serviceId: string;
  practitionerId: string;
  locationId: string;
  /** ISO instant with its offset. */
  startsAt: string;
  roomId?: string;
  notes?: string;
}

export const bookAppointment = (body: NewAppointment): Promise<Appointment> =>
  apiRequest('/api/appointments', { method: 'POST', body });

export const bookSeries = (body: NewAppointment & { rrule: string }): Promise<{ seriesId: string; appointments: Appointment[] }> =>
  apiRequest('/api/appointments/series', { method: 'POST', body });

export interface Reschedule {
  startsAt: string;
  practitionerId?: string;
  locationId?: string;
  roomId?: string;
  version: number;
}

const path = (id: string, action: string) => `/api/appointments/${encodeURIComponent(id)}/${action}`;

export const rescheduleAppointment = (id: string, body: Reschedule): Promise<Appointment> =>
  apiRequest(path(id, 'reschedule'), { method: 'POST', body });

export const cancelAppointment = (id: string, reason: string, version?: number): Promise<Appointment> =>
  apiRequest(path(id, 'cancel'), { method: 'POST', body: { reason, ...(version !== undefined ? { version } : {}) } });

export type StatusAction = 'confirm' | 'check-in' | 'no-show' | 'complete';

export const changeAppointmentStatus = (id: string, action: StatusAction, version?: number, extra: { careInstructions?: string | null } = {}): Promise<Appointment> =>
  apiRequest(path(id, action), { method: 'POST', body: { ...(version !== undefined ? { version } : {}), ...extra } });

/** Sets (or with null clears) the visit's own care instructions: an arrived or completed visit, clinicians and administrators. */
export const setCareInstructions = (id: string, careInstructions: string | null, version?: number): Promise<Appointment> =>
  apiRequest(path(id, 'care-instructions'), { method: 'PUT', body: { careInstructions, ...(version !== undefined ? { version } : {}) } });

/** The .ics download is a plain link (the session cookie goes with it). */
export const appointmentIcsUrl = (id: string): string => path(id, 'ics');

/** Conflicts a refused booking names (409 slot_taken or room_taken). */
export function conflictsOf(details: unknown): Array<{ startsAt: string; endsAt: string }> {
  if (typeof details !== 'object' || details === null) return [];
  const conflicts = (details as { conflicts?: unknown }).conflicts;
  return Array.isArray(conflicts) ? (conflicts as Array<{ startsAt: string; endsAt: string }>) : [];
}

export interface OccurrenceCheck {
  startsAt: string;
  ok: boolean;
  problem: string | null;
}

/** Per-occurrence verdicts a refused series names (409 series_conflicts). */
export function occurrencesOf(details: unknown): OccurrenceCheck[] {
  if (typeof details !== 'object' || details === null) return [];
  const occurrences = (details as { occurrences?: unknown }).occurrences;
  return Array.isArray(occurrences) ? (occurrences as OccurrenceCheck[]) : [];
}
