import { Stack, Table, Text } from '@mantine/core';
import type { PatientListItem } from '../api/types.ts';
import { formatAge, formatCalendarDate, formatDaysFromNow, formatInstant, formatListName } from './format.ts';
import { LifecycleBadge } from './LifecycleBadge.tsx';

function Missing({ label }: { label: string }) {
  return (
    <Text component="span" fz="sm" c="dimmed">
      {label}
    </Text>
  );
}

export function PatientRow({ patient }: { patient: PatientListItem }) {
  const age = patient.birthDate ? formatAge(patient.birthDate) : null;
  const preferred = patient.preferredName?.trim();
  const showPreferred = preferred && preferred !== patient.givenName.trim();

  return (
    <Table.Tr>
      <Table.Td>
        <Stack gap={0}>
          <Text fz="sm" fw={600} style={{ whiteSpace: 'nowrap' }}>
            {formatListName(patient)}
          </Text>
          {showPreferred && (
            <Text fz="xs" c="dimmed" fs="italic">
              Prefers “{preferred}”
            </Text>
          )}
        </Stack>
      </Table.Td>
      <Table.Td>
        {patient.birthDate ? (
          <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
            {formatCalendarDate(patient.birthDate)}
            {age && (
              <Text component="span" fz="xs" c="dimmed" ml={6}>
                ({age})
              </Text>
            )}
          </Text>
        ) : (
          <Missing label="Unknown" />
        )}
      </Table.Td>
      <Table.Td style={{ whiteSpace: 'nowrap' }}>{patient.phone ?? <Missing label="—" />}</Table.Td>
      <Table.Td>
        {patient.email ? (
          <Text fz="sm" truncate maw={240} title={patient.email}>
            {patient.email}
          </Text>
        ) : (
          <Missing label="—" />
        )}
      </Table.Td>
      <Table.Td>{patient.mrn ? <Text fz="sm" ff="monospace" style={{ whiteSpace: 'nowrap' }}>
            {patient.mrn}
          </Text> : <Missing label="—" />}</Table.Td>
      <Table.Td>
        <LifecycleBadge status={patient.lifecycleStatus} />
      </Table.Td>
      <Table.Td>
        {patient.nextAppointmentAt ? (
          <Stack gap={0}>
            <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
              {formatInstant(patient.nextAppointmentAt)}
            </Text>
            <Text fz="xs" c="dimmed">
              {formatDaysFromNow(patient.nextAppointmentAt)}
            </Text>
          </Stack>
        ) : (
          <Missing label="None booked" />
        )}
      </Table.Td>
    </Table.Tr>
  );
}
