import { useCallback } from 'react';
import { Anchor, Badge, Button, Card, Center, EmptyState, Group, Loader, Stack, Text } from '@mantine/core';
import { IconArrowMerge, IconCopyCheck } from '@tabler/icons-react';
import { fetchPatientDuplicates } from '../api/duplicates.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { MatchReasons } from '../duplicates/MatchReasons.tsx';
import { formatAge, formatCalendarDate, formatFullName, formatMrn, formatPhone } from '../patients/format.ts';
import { Link } from '../router.tsx';

/** Open pairs in the review queue this patient is part of, each with a way to review and merge it. */
export function DuplicatesTab({ patientId }: { patientId: string }) {
  const load = useCallback((signal: AbortSignal) => fetchPatientDuplicates(patientId, signal), [patientId]);
  const candidates = useApiQuery(load);

  if (candidates.status === 'loading') {
    return (
      <Center py="xl">
        <Loader size="sm" />
      </Center>
    );
  }
  if (candidates.status === 'error') {
    return <ErrorAlert title="Possible duplicates could not be loaded" error={candidates.error} onRetry={candidates.reload} />;
  }
  if (candidates.data.items.length === 0) {
    return (
      <EmptyState
        icon={<IconCopyCheck aria-hidden />}
        title="No open duplicate candidates"
        description="Nobody in the review queue looks like the same person as this patient."
      >
        <EmptyState.Actions>
          <Button component={Link} href="/duplicates" variant="light">
            Open the review queue
          </Button>
        </EmptyState.Actions>
      </EmptyState>
    );
  }
  return (
    <Stack gap="sm">
      {candidates.data.items.map((candidate) => {
        const other = candidate.patients.find((p) => p.id !== patientId) ?? candidate.patients[1];
        const age = other.birthDate ? formatAge(other.birthDate) : null;
        return (
          <Card key={candidate.id} withBorder radius="md" padding="md">
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Stack gap={2}>
                <Anchor component={Link} href={`/patients/${other.id}`} fw={600}>
                  {formatFullName(other)}
                </Anchor>
                <Text fz="xs" c="dimmed">
                  {[
                    other.birthDate ? `Born ${formatCalendarDate(other.birthDate)}${age ? ` (${age})` : ''}` : 'No date of birth',
                    other.mrn ? formatMrn(other.mrn) : null,
                    other.phone ? formatPhone(other.phone) : null,
                    other.email,
                    other.city,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </Text>
              </Stack>
              <Badge color={candidate.level === 'clear' ? 'red' : 'orange'} variant="light" miw="max-content">
                {Math.round(candidate.score * 100)}% alike
              </Badge>
            </Group>
            <Stack mt="sm" gap="sm">
              <MatchReasons reasons={candidate.reasons} max={5} />
              <Group>
                <Button
                  component={Link}
                  href={`/duplicates?candidate=${candidate.id}&patient=${patientId}`}
                  size="xs"
                  leftSection={<IconArrowMerge size={14} aria-hidden />}
                >
                  Review and merge
                </Button>
              </Group>
            </Stack>
          </Card>
        );
      })}
    </Stack>
  );
}
