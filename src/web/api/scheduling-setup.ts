import { apiRequest } from './client.ts';

/** Clinic setup for scheduling: the directory admins keep (see src/modules/scheduling/directory-routes.ts). */

const BASE = '/api/scheduling';
const at = (path: string, id: string) => `${BASE}/${path}/${encodeURIComponent(id)}`;

export interface SetupLocation {
  id: string;
  name: string;
  addressLine: string | null;
  city: string | null;
  postalCode: string | null;
  phone: string | null;
  timeZone: string;
  active: boolean;
}
export type LocationInput = Partial<Omit<SetupLocation, 'id'>>;

export interface SetupDepartment {
  id: string;
  name: string;
  locationId: string;
}
export type DepartmentInput = Partial<Omit<SetupDepartment, 'id'>>;

export interface SetupRoom {
  id: string;
  locationId: string;
  name: string;
  active: boolean;
}
export type RoomInput = Partial<Omit<SetupRoom, 'id'>>;

export interface SetupPractitioner {
  id: string;
  name: string;
  prefix: string | null;
  givenName: string;
  familyName: string;
  specialty: string | null;
  email: string | null;
  phone: string | null;
  departmentId: string | null;
  userId: string | null;
  active: boolean;
  serviceIds: string[];
  locationIds: string[];
}
export type PractitionerInput = Partial<Omit<SetupPractitioner, 'id' | 'name' | 'serviceIds' | 'locationIds'>>;

export type ServiceMode = 'in_person' | 'video';
export type ServiceEligibility = 'any' | 'new' | 'established';

export interface SetupService {
  id: string;
  name: string;
  description: string | null;
  /** Sent in the follow-up email the day after a visit, unless the visit has its own. */
  careInstructions: string | null;
  departmentId: string | null;
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  /** How far apart offered start times are; null means the duration. */
  slotIntervalMinutes: number | null;
  mode: ServiceMode;
  eligibility: ServiceEligibility;
  priceCents: number | null;
  currency: string | null;
  requiresRoom: boolean;
  minNoticeMinutes: number;
  maxAdvanceDays: number | null;
  maxFutureBookings: number | null;
  publicBooking: boolean;
  active: boolean;
  practitionerIds: string[];
  locationIds: string[];
}
export type ServiceInput = Partial<Omit<SetupService, 'id'>>;

export interface WeeklyRule {
  id: string;
  locationId: string;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  startTime: string;
  endTime: string;
  validFrom: string | null;
  validUntil: string | null;
}
export type WeeklyRuleInput = Omit<WeeklyRule, 'id'>;

export type ExceptionKind = 'time_off' | 'extra';
export interface AvailabilityException {
  id: string;
  kind: ExceptionKind;
  locationId: string | null;
  startsAt: string;
  endsAt: string;
  reason: string | null;
}
export interface ExceptionInput {
  kind: ExceptionKind;
  startsAt: string;
  endsAt: string;
  locationId?: string | null;
  reason?: string | null;
}

export interface Availability {
  rules: WeeklyRule[];
  exceptions: AvailabilityException[];
}

export interface SetupHoliday {
  id: string;
  date: string;
  name: string;
  locationId: string | null;
}
export type HolidayInput = Omit<SetupHoliday, 'id'>;

type Items<T> = { items: T[] };
const items = async <T>(path: string, signal?: AbortSignal) => (await apiRequest<Items<T>>(`${BASE}/${path}`, { signal })).items;

export const fetchSetupLocations = (signal?: AbortSignal) => items<SetupLocation>('locations', signal);
export const createLocation = (body: LocationInput): Promise<SetupLocation> => apiRequest(`${BASE}/locations`, { method: 'POST', body });
export const changeLocation = (id: string, body: LocationInput): Promise<SetupLocation> => apiRequest(at('locations', id), { method: 'PATCH', body });

export const fetchSetupDepartments = (signal?: AbortSignal) => items<SetupDepartment>('departments', signal);
export const createDepartment = (body: DepartmentInput): Promise<SetupDepartment> => apiRequest(`${BASE}/departments`, { method: 'POST', body });
export const changeDepartment = (id: string, body: DepartmentInput): Promise<SetupDepartment> => apiRequest(at('departments', id), { method: 'PATCH', body });

export const fetchSetupRooms = (signal?: AbortSignal) => items<SetupRoom>('rooms', signal);
export const createRoom = (body: RoomInput): Promise<SetupRoom> => apiRequest(`${BASE}/rooms`, { method: 'POST', body });
export const changeRoom = (id: string, body: RoomInput): Promise<SetupRoom> => apiRequest(at('rooms', id), { method: 'PATCH', body });

export const fetchSetupPractitioners = (signal?: AbortSignal) => items<SetupPractitioner>('practitioners', signal);
export const createPractitioner = (body: PractitionerInput): Promise<SetupPractitioner> => apiRequest(`${BASE}/practitioners`, { method: 'POST', body });
export const changePractitioner = (id: string, body: PractitionerInput): Promise<SetupPractitioner> => apiRequest(at('practitioners', id), { method: 'PATCH', body });

export const fetchSetupServices = (signal?: AbortSignal) => items<SetupService>('services', signal);
export const createService = (body: ServiceInput): Promise<SetupService> => apiRequest(`${BASE}/services`, { method: 'POST', body });
export const changeService = (id: string, body: ServiceInput): Promise<SetupService> => apiRequest(at('services', id), { method: 'PATCH', body });

export const fetchAvailability = (practitionerId: string, signal?: AbortSignal): Promise<Availability> =>
  apiRequest(`${at('practitioners', practitionerId)}/availability`, { signal });
export const replaceWeeklyRules = (practitionerId: string, rules: WeeklyRuleInput[]): Promise<Availability> =>
  apiRequest(`${at('practitioners', practitionerId)}/availability/rules`, { method: 'PUT', body: { rules } });
export const addException = (practitionerId: string, body: ExceptionInput): Promise<AvailabilityException> =>
  apiRequest(`${at('practitioners', practitionerId)}/exceptions`, { method: 'POST', body });
export const deleteException = (practitionerId: string, exceptionId: string): Promise<void> =>
  apiRequest(`${at('practitioners', practitionerId)}/exceptions/${encodeURIComponent(exceptionId)}`, { method: 'DELETE' });

export const fetchSetupHolidays = (signal?: AbortSignal) => items<SetupHoliday>('holidays', signal);
export const createHoliday = (body: HolidayInput): Promise<SetupHoliday> => apiRequest(`${BASE}/holidays`, { method: 'POST', body });
export const deleteHoliday = (id: string): Promise<void> => apiRequest(at('holidays', id), { method: 'DELETE' });

/** A practitioner's private calendar subscription (see src/modules/scheduling/feed-routes.ts); its URL is never listed. */
export interface CalendarFeed {
  id: string;
  label: string | null;
  createdAt: string;
  createdBy: { id: string; name: string } | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
/** A feed just made: the only answer that carries its secret URL. */
export interface NewCalendarFeed {
  id: string;
  url: string;
  label: string | null;
  createdAt: string;
}

const feedsOf = (practitionerId: string) => `${at('practitioners', practitionerId)}/feeds`;
export const fetchCalendarFeeds = async (practitionerId: string, signal?: AbortSignal): Promise<CalendarFeed[]> =>
  (await apiRequest<Items<CalendarFeed>>(feedsOf(practitionerId), { signal })).items;
export const createCalendarFeed = (practitionerId: string, label: string | null): Promise<NewCalendarFeed> =>
  apiRequest(feedsOf(practitionerId), { method: 'POST', body: label ? { label } : {} });
export const revokeCalendarFeed = (practitionerId: string, feedId: string): Promise<void> =>
  apiRequest(`${feedsOf(practitionerId)}/${encodeURIComponent(feedId)}`, { method: 'DELETE' });

/** The active practitioner a staff user is linked to, if any (their own calendar). */
export const fetchOwnPractitioner = async (userId: string, signal?: AbortSignal): Promise<SetupPractitioner | null> =>
  (await fetchSetupPractitioners(signal)).find((p) => p.userId === userId && p.active) ?? null;
