import { Group, Select } from '@mantine/core';
import { practitionerName } from './format.ts';
import type { Directory } from './useDirectory.ts';

export interface ScheduleSelection {
  locationId: string | null;
  practitionerId: string | null;
  roomId: string | null;
}

interface ScheduleFiltersProps {
  directory: Directory;
  value: ScheduleSelection;
  onChange: (changes: Partial<ScheduleSelection>) => void;
  /** Rooms only matter on the calendar. */
  withRoom: boolean;
}

/** Whose schedule is shown: a location (whose zone the times are in), one practitioner or all, one room or all. */
export function ScheduleFilters({ directory, value, onChange, withRoom }: ScheduleFiltersProps) {
  const rooms = directory.rooms.filter((r) => r.locationId === value.locationId);
  const practitioners = directory.practitioners.filter((p) => !p.locationIds || !value.locationId || p.locationIds.includes(value.locationId));
  return (
    <Group gap="sm" align="flex-end">
      <Select
        label="Location"
        data={directory.locations.map((l) => ({ value: l.id, label: l.name }))}
        value={value.locationId}
        allowDeselect={false}
        onChange={(locationId) => onChange({ locationId, roomId: null })}
        w={260}
      />
      <Select
        label="Practitioner"
        data={practitioners.map((p) => ({ value: p.id, label: practitionerName(p) }))}
        value={value.practitionerId}
        onChange={(practitionerId) => onChange({ practitionerId })}
        placeholder="All practitioners"
        clearable
        searchable
        w={260}
      />
      {withRoom && (
        <Select
          label="Room"
          data={rooms.map((r) => ({ value: r.id, label: r.name }))}
          value={value.roomId}
          onChange={(roomId) => onChange({ roomId })}
          placeholder={rooms.length === 0 ? 'No rooms here' : 'All rooms'}
          disabled={rooms.length === 0}
          clearable
          w={200}
        />
      )}
    </Group>
  );
}
