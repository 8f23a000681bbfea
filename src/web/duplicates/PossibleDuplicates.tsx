import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import { Alert, Anchor, Badge, Button, Card, Group, Skeleton, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconExternalLink, IconUserPlus } from '@tabler/icons-react';
import type { DuplicateMatch } from '../api/duplicates.ts';
import type { PatientRecord } from '../api/patients.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { formatAge, formatCalendarDate, formatFullName, formatMrn, formatPhone } from '../patients/format.ts';
import { Link } from '../router.tsx';
import { MatchReasons } from './MatchReasons.tsx';
import { useMatchedPatients } from './useMatchedPatients.ts';

interface PossibleDuplicatesProps {
  matches: DuplicateMatch[];
  /** Resends the create with confirmNotDuplicate. */
  onConfirmDifferent: () => void;
  confirming: boolean;
  /** Something to do with a match besides opening it (link a lead to that patient ...). */
  matchAction?: (patient: PatientRecord) => ReactNode;
}

function MatchCard({ match, patient, action }: { match: DuplicateMatch; patient: PatientRecord; action?: ReactNode }) {
  const age = patient.birthDate ? formatAge(patient.birthDate) : null;
  const phone = patient.phones[0]?.value;
  return (
    <Card withBorder padding="sm" radius="md" shadow="none">
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
        <Stack gap={2}>
          <Anchor component={Link} href={`/patients/${patient.id}`} target="_blank" fw={600} fz="sm">
            {formatFullName(patient)} <IconExternalLink size={12} aria-hidden />
          </Anchor>
          <Text fz="xs" c="dimmed">
            {[
              patient.birthDate ? `Born ${formatCalendarDate(patient.birthDate)}${age ? ` (${age})` : ''}` : 'No date of birth',
              patient.mrn ? formatMrn(patient.mrn) : null,
              phone ? formatPhone(phone) : null,
              patient.emails[0]?.value ?? null,
              patient.address.city,
            ]
              .filter(Boolean)
              .join(' · ')}
          </Text>
        </Stack>
        <Badge variant="light" color={match.score >= 0.9 ? 'red' : 'orange'} miw="max-content">
          {Math.round(match.score * 100)}% alike
        </Badge>
      </Group>
      <Stack mt="xs" gap="xs">
        <MatchReasons reasons={match.reasons} max={4} />
        {action}
      </Stack>
    </Card>
  );
}

/** Shown when the API refuses a create because the person seems to be registered already. */
export function PossibleDuplicates({ matches, onConfirmDifferent, confirming, matchAction }: PossibleDuplicatesProps) {
  const patients = useMatchedPatients(matches.map((m) => m.patientId));
  const ref = useRef<HTMLDivElement>(null);
  // The form is long and the warning sits above it: bring it into view when it appears.
  useEffect(() => ref.current?.scrollIntoView({ behavior: 'smooth', block: 'start' }), []);
  return (
    <Alert
      ref={ref}
      color="orange"
      variant="light"
      icon={<IconAlertTriangle aria-hidden />}
      title="This person may already be registered"
      role="alert"
    >
      <Stack gap="sm">
        <Text fz="sm">
          Check the {matches.length === 1 ? 'record' : 'records'} below. If one is this person, open it instead of creating a
          second record.
        </Text>
        {patients.status === 'loading' && <Skeleton height={72} radius="md" />}
        {patients.status === 'error' && (
          <ErrorAlert title="The matching records could not be loaded" error={patients.error} onRetry={patients.reload} />
        )}
        {patients.status === 'success' &&
          matches.map((match) => {
            const patient = patients.data.find((p) => p.id === match.patientId);
            return patient ? <MatchCard key={match.patientId} match={match} patient={patient} action={matchAction?.(patient)} /> : null;
          })}
        <Group justify="flex-end">
          <Button variant="default" leftSection={<IconUserPlus size={16} aria-hidden />} loading={confirming} onClick={onConfirmDifferent}>
            This is a different person
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
