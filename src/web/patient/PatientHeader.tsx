import { Avatar, Badge, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { PatientRecord } from '../api/patients.ts';
import type { Appointment } from '../api/schedule.ts';
import { initials } from '../auth/roles.ts';
import { TagBadge } from '../catalog/TagBadge.tsx';
import { formatAge, formatCalendarDate, formatFullName, formatMrn, sexLabel } from '../patients/format.ts';
import { LifecycleBadge } from '../patients/LifecycleBadge.tsx';
import { ArchiveAction } from './ArchiveAction.tsx';
import { BookAppointmentButton } from './BookAppointmentButton.tsx';
import { PatientFacts } from './PatientFacts.tsx';

interface PatientHeaderProps {
  patient: PatientRecord;
  onChanged: (record: PatientRecord) => void;
  /** Something about the record changed elsewhere (a household link): load it again. */
  onStale: () => void;
  /** Appointments were booked from the header. */
  onBooked?: (appointments: Appointment[]) => void;
}

function Identity({ patient }: { patient: PatientRecord }) {
  const age = patient.birthDate ? formatAge(patient.birthDate) : null;
  const preferred = patient.preferredName?.trim();
  const parts = [
    patient.birthDate ? `${age ? `${age}, ` : ''}born ${formatCalendarDate(patient.birthDate)}` : 'Date of birth not recorded',
    patient.sex ? sexLabel(patient.sex) : null,
    patient.genderIdentity,
  ].filter(Boolean);
  return (
    <Stack gap={4}>
      <Group gap="sm" align="baseline">
        <Title order={1} fz={28} fw={650}>
          {formatFullName(patient)}
        </Title>
        {preferred && preferred !== patient.givenName && (
          <Text c="dimmed" fs="italic">
            prefers “{preferred}”
          </Text>
        )}
        {patient.pronouns && (
          <Badge variant="outline" color="gray" tt="none" radius="sm">
            {patient.pronouns}
          </Badge>
        )}
        <LifecycleBadge status={patient.lifecycleStatus} size="md" />
        {patient.archivedAt && !patient.mergedIntoId && (
          <Badge color="gray" variant="filled" radius="sm" tt="none">
            Archived
          </Badge>
        )}
        {patient.mergedIntoId && (
          <Badge color="grape" variant="filled" radius="sm" tt="none">
            Merged
          </Badge>
        )}
      </Group>
      <Group gap="md">
        <Text c="dimmed" fz="sm">
          {parts.join(' · ')}
        </Text>
        {patient.mrn && (
          <Text fz="sm" ff="monospace" c="gray.8">
            {formatMrn(patient.mrn)}
          </Text>
        )}
      </Group>
      {patient.tags.length > 0 && (
        <Group gap={6} mt={4} aria-label="Tags">
          {patient.tags.map((tag) => (
            <TagBadge key={tag.id} name={tag.name} color={tag.color} />
          ))}
        </Group>
      )}
    </Stack>
  );
}

/** Who the patient is and how to reach them, above every tab of the patient page. */
export function PatientHeader({ patient, onChanged, onStale, onBooked }: PatientHeaderProps) {
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-label="Patient">
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="md">
        <Group gap="md" align="flex-start" wrap="nowrap">
          <Avatar color="teal" radius="xl" size={56} aria-hidden>
            {initials(formatFullName(patient))}
          </Avatar>
          <Identity patient={patient} />
        </Group>
        {!patient.mergedIntoId && (
          <Group gap="xs" wrap="nowrap">
            {onBooked && !patient.archivedAt && <BookAppointmentButton patient={patient} onBooked={onBooked} />}
            <ArchiveAction patient={patient} onChanged={onChanged} />
          </Group>
        )}
      </Group>
      <PatientFacts patient={patient} onStale={onStale} />
    </Paper>
  );
}
