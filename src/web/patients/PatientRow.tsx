import { Anchor, Group, Stack, Table, Text } from '@mantine/core';
import type { PatientListItem } from '../api/types.ts';
import { TagBadge } from '../catalog/TagBadge.tsx';
import { Link, navigate } from '../router.tsx';
import { formatAge, formatCalendarDate, formatDaysFromNow, formatInstant, formatListName, formatPhone } from './format.ts';
import { LifecycleBadge } from './LifecycleBadge.tsx';

function Missing({ label }: { label: string }) {
  return (
    <Text component="span" fz="sm" c="dimmed">
      {label}
    </Text>
  );
}

const MAX_TAGS = 3;

/** One patient: everything needed to tell two people of the same name apart at a glance. */
export function PatientRow({ patient, tagColors }: { patient: PatientListItem; tagColors: ReadonlyMap<string, string> }) {
  const age = patient.birthDate ? formatAge(patient.birthDate) : null;
  const preferred = patient.preferredName?.trim();
  const showPreferred = preferred && preferred !== patient.givenName.trim();
  const href = `/patients/${patient.id}`;

  return (
    <Table.Tr
      style={{ cursor: 'pointer' }}
      onClick={(event) => {
        // The name is a real link (new tab, keyboard); the rest of the row is a shortcut to it.
        if (!(event.target instanceof Element) || !event.target.closest('a')) navigate(href);
      }}
    >
      <Table.Td>
        <Stack gap={0}>
          <Anchor component={Link} href={href} fz="sm" fw={600} c="teal.9" style={{ whiteSpace: 'nowrap' }}>
            {formatListName(patient)}
          </Anchor>
          {showPreferred && (
            <Text fz="xs" c="dimmed" fs="italic">
              Prefers “{preferred}”
            </Text>
          )}
          {patient.mrn && (
            <Text fz="xs" c="dimmed" ff="monospace" aria-label={`MRN ${patient.mrn}`}>
              {patient.mrn}
            </Text>
          )}
        </Stack>
      </Table.Td>
      <Table.Td>
        {patient.birthDate ? (
          <Stack gap={0}>
            <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
              {formatCalendarDate(patient.birthDate)}
            </Text>
            {age && (
              <Text fz="xs" c="dimmed">
                {age}
              </Text>
            )}
          </Stack>
        ) : (
          <Missing label="Unknown" />
        )}
      </Table.Td>
      <Table.Td>
        <Stack gap={0}>
          {patient.phone ? (
            <Text fz="sm" style={{ whiteSpace: 'nowrap' }}>
              {formatPhone(patient.phone)}
            </Text>
          ) : null}
          {patient.email ? (
            <Text fz="xs" c="dimmed" truncate maw={200} title={patient.email}>
              {patient.email}
            </Text>
          ) : null}
          {!patient.phone && !patient.email && <Missing label="No contact details" />}
        </Stack>
      </Table.Td>
      <Table.Td>{patient.city ? <Text fz="sm">{patient.city}</Text> : <Missing label="—" />}</Table.Td>
      <Table.Td>
        {patient.tags.length ? (
          <Group gap={4} wrap="wrap" miw={140} maw={240}>
            {patient.tags.slice(0, MAX_TAGS).map((tag) => (
              <TagBadge key={tag} name={tag} color={tagColors.get(tag.toLowerCase())} noWrap />
            ))}
            {patient.tags.length > MAX_TAGS && (
              <Text fz="xs" c="dimmed" title={patient.tags.slice(MAX_TAGS).join(', ')}>
                +{patient.tags.length - MAX_TAGS}
              </Text>
            )}
          </Group>
        ) : (
          <Missing label="—" />
        )}
      </Table.Td>
      <Table.Td>
        <LifecycleBadge status={patient.lifecycleStatus} />
      </Table.Td>
      <Table.Td>
        {patient.nextAppointmentAt ? (
          <Stack gap={0}>
            <Text fz="sm">
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
