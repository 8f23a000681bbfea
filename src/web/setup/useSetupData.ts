import { useCallback } from 'react';
import { fetchStaff, type StaffMember } from '../api/catalog.ts';
import {
  fetchSetupDepartments, fetchSetupHolidays, fetchSetupLocations, fetchSetupPractitioners, fetchSetupRooms, fetchSetupServices,
  type SetupDepartment, type SetupHoliday, type SetupLocation, type SetupPractitioner, type SetupRoom, type SetupService,
} from '../api/scheduling-setup.ts';
import { useApiQuery } from '../common/useApiQuery.ts';

/** Everything the clinic setup page shows, loaded together and reloaded after each save. */
export interface SetupData {
  locations: SetupLocation[];
  departments: SetupDepartment[];
  rooms: SetupRoom[];
  practitioners: SetupPractitioner[];
  services: SetupService[];
  holidays: SetupHoliday[];
  staff: StaffMember[];
}

async function loadSetup(signal: AbortSignal): Promise<SetupData> {
  const [locations, departments, rooms, practitioners, services, holidays, staff] = await Promise.all([
    fetchSetupLocations(signal),
    fetchSetupDepartments(signal),
    fetchSetupRooms(signal),
    fetchSetupPractitioners(signal),
    fetchSetupServices(signal),
    fetchSetupHolidays(signal),
    fetchStaff(signal).then((r) => r.items),
  ]);
  return { locations, departments, rooms, practitioners, services, holidays, staff };
}

export function useSetupData() {
  return useApiQuery(useCallback((signal: AbortSignal) => loadSetup(signal), []));
}

/** Select options for locations (retired ones marked, so old choices stay readable). */
export const locationOptions = (data: SetupData) =>
  data.locations.map((l) => ({ value: l.id, label: l.active ? l.name : `${l.name} (inactive)` }));

export const locationName = (data: SetupData, id: string | null) => data.locations.find((l) => l.id === id)?.name ?? '—';

/** The zone a practitioner's times are entered in: their department's location, else the first location. */
export function practitionerZone(data: SetupData, practitioner: SetupPractitioner): string {
  const department = data.departments.find((d) => d.id === practitioner.departmentId);
  const location = data.locations.find((l) => l.id === (department?.locationId ?? practitioner.locationIds[0])) ?? data.locations[0];
  return location?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}
