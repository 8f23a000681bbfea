import { useCallback } from 'react';
import { Button, Center, EmptyState, Group, Loader, Paper, Stack, Table, Text } from '@mantine/core';
import { IconArrowRight, IconHistory } from '@tabler/icons-react';
import { fetchPatientHistory, type HistoryEntry } from '../api/patients.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useCursorList } from '../common/useCursorList.ts';
import { formatAgo, formatInstant } from '../patients/format.ts';
import { fieldLabel, formatValue } from './historyFormat.ts';

function Value({ value }: { value: unknown }) {
  const text = formatValue(value);
  return text === null ? (
    <Text fz="sm" c="dimmed">
      —
    </Text>
  ) : (
    <Text fz="sm" style={{ wordBreak: 'break-word' }}>
      {text}
    </Text>
  );
}

function who(actor: HistoryEntry['actor']): string {
  if (actor.name) return actor.name;
  if (actor.type === 'system') return 'Rapport';
  if (actor.type === 'api_token') return 'An integration';
  return 'Someone';
}

function ChangeSet({ entry }: { entry: HistoryEntry }) {
  return (
    <Paper withBorder radius="md" p="md">
      <Group justify="space-between" mb="xs">
        <Text fw={600} fz="sm">
          {who(entry.actor)}
        </Text>
        <Text fz="xs" c="dimmed" title={new Date(entry.changedAt).toLocaleString()}>
          {formatInstant(entry.changedAt)} ({formatAgo(entry.changedAt)})
        </Text>
      </Group>
      <Table verticalSpacing={6} horizontalSpacing="sm" layout="fixed" aria-label={`Changes by ${who(entry.actor)}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w="24%">Field</Table.Th>
            <Table.Th>From</Table.Th>
            <Table.Th w={28} aria-hidden />
            <Table.Th>To</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entry.changes.map((change) => (
            <Table.Tr key={change.field}>
              <Table.Td>
                <Text fz="sm" fw={500}>
                  {fieldLabel(change.field)}
                </Text>
              </Table.Td>
              <Table.Td>
                <Value value={change.from} />
              </Table.Td>
              <Table.Td c="dimmed" aria-hidden>
                <IconArrowRight size={14} />
              </Table.Td>
              <Table.Td>
                <Value value={change.to} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

/** Who changed which field of the record, from what to what, newest first. */
export function HistoryTab({ patientId }: { patientId: string }) {
  const loadPage = useCallback((cursor: string | null, signal: AbortSignal) => fetchPatientHistory(patientId, cursor, signal), [patientId]);
  const history = useCursorList(loadPage);

  if (history.error !== null) return <ErrorAlert title="The history could not be loaded" error={history.error} onRetry={history.reload} />;
  if (history.loading) {
    return (
      <Center py="xl">
        <Loader size="sm" />
      </Center>
    );
  }
  if (history.items.length === 0) {
    return <EmptyState icon={<IconHistory aria-hidden />} title="No changes recorded" description="Every change to this record will be listed here." />;
  }
  return (
    <Stack gap="sm">
      {history.items.map((entry) => (
        <ChangeSet key={entry.changeSet} entry={entry} />
      ))}
      {history.loadMoreError !== null && (
        <ErrorAlert title="Older changes could not be loaded" error={history.loadMoreError} onRetry={history.loadMore} />
      )}
      {history.nextCursor !== null && (
        <Center>
          <Button variant="default" onClick={history.loadMore} loading={history.loadingMore}>
            Load older changes
          </Button>
        </Center>
      )}
    </Stack>
  );
}
