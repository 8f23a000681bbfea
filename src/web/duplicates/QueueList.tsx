import { Badge, Group, Stack, Text, UnstyledButton } from '@mantine/core';
import type { DuplicateCandidate } from '../api/duplicates.ts';
import { formatCalendarDate, formatFullName } from '../patients/format.ts';

interface QueueListProps {
  items: DuplicateCandidate[];
  selectedId: string | null;
  onSelect: (candidate: DuplicateCandidate) => void;
}

function PairLine({ candidate }: { candidate: DuplicateCandidate }) {
  const [a, b] = candidate.patients;
  const top = [...candidate.reasons].sort((x, y) => y.weight - x.weight).slice(0, 2);
  return (
    <Stack gap={4}>
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Text fz="sm" fw={600} lineClamp={2}>
          {formatFullName(a)} <Text span c="dimmed">and</Text> {formatFullName(b)}
        </Text>
        <Badge size="sm" color={candidate.level === 'clear' ? 'red' : 'orange'} variant="light" miw="max-content">
          {Math.round(candidate.score * 100)}%
        </Badge>
      </Group>
      <Text fz="xs" c="dimmed">
        {[a.birthDate, b.birthDate].map((d) => (d ? formatCalendarDate(d) : 'no DOB')).join(' / ')}
      </Text>
      {top.map((reason, i) => (
        <Text key={i} fz="xs" c="gray.7" lineClamp={1}>
          {reason.detail}
        </Text>
      ))}
    </Stack>
  );
}

/** The queue, best score first; the pair being reviewed is highlighted. */
export function QueueList({ items, selectedId, onSelect }: QueueListProps) {
  return (
    <Stack gap={6} component="ul" aria-label="Review queue" p={0} m={0} style={{ listStyle: 'none' }}>
      {items.map((candidate) => {
        const selected = candidate.id === selectedId;
        return (
          <li key={candidate.id}>
            <UnstyledButton
              w="100%"
              p="sm"
              aria-current={selected ? 'true' : undefined}
              onClick={() => onSelect(candidate)}
              style={{
                borderRadius: 'var(--mantine-radius-md)',
                border: `1px solid var(--mantine-color-${selected ? 'teal-5' : 'gray-3'})`,
                background: selected ? 'var(--mantine-color-teal-0)' : 'var(--mantine-color-white)',
              }}
            >
              <PairLine candidate={candidate} />
            </UnstyledButton>
          </li>
        );
      })}
    </Stack>
  );
}
