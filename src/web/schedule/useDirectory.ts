import { useCallback } from 'react';
import { fetchLocations, fetchPractitioners, fetchRooms, fetchServices } from '../api/schedule.ts';
import type { Location, Practitioner, Room, Service } from '../api/schedule.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

export interface Directory {
  locations: Location[];
  practitioners: Practitioner[];
  rooms: Room[];
  services: Service[];
}

async function loadDirectory(signal: AbortSignal): Promise<Directory> {
  const [locations, practitioners, rooms, services] = await Promise.all([
    fetchLocations(signal),
    fetchPractitioners(signal),
    fetchRooms(signal),
    fetchServices(signal),
  ]);
  return { locations, practitioners, rooms, services };
}

/** What can be booked: locations, practitioners, rooms and services, loaded together. */
export function useDirectory() {
  return useApiQuery(useCallback((signal: AbortSignal) => loadDirectory(signal), []));
}

/** The practitioners who offer a service (all of them when the directory does not say). */
export function practitionersFor(directory: Directory, serviceId: string | null): Practitioner[] {
  const service = directory.services.find((s) => s.id === serviceId);
  if (!service) return directory.practitioners;
  return directory.practitioners.filter(
    (p) => (service.practitionerIds ? service.practitionerIds.includes(p.id) : true) && (p.serviceIds ? p.serviceIds.includes(service.id) : true),
  );
}

/** The locations where a service is offered (all of them when the directory does not say). */
export function locationsFor(directory: Directory, serviceId: string | null): Location[] {
  const service = directory.services.find((s) => s.id === serviceId);
  if (!service?.locationIds) return directory.locations;
  return directory.locations.filter((l) => service.locationIds!.includes(l.id));
}
