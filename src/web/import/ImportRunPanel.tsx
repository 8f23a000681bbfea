import { useEffect } from 'react';
import { Alert, Badge, Group, List, Paper, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { isFinished, type ImportRun } from './types.ts';
import { useImportRun } from './useImportRun.ts';

function Count({ label, value, color }: { label: string; value: number; color?: string }) {
  return (
    <Stack gap={0}>
      <Text fz="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz={24} fw={650} c={value > 0 ? color : undefined}>
        {value}
      </Text>
    </Stack>
  );
}

function statusText(run: ImportRun): string {
  if (run.status === 'queued') return 'Waiting to start…';
  if (run.status === 'running') return `${run.processedRows} of ${run.totalRows} rows`;
  if (run.status === 'failed') return 'Stopped';
  return run.dryRun ? 'Dry run finished: nothing was stored' : 'Import finished';
}

/** A run as it happens: a progress bar while it runs, then what it did and every row it skipped. */
export function ImportRunPanel({ started, onFinished }: { started: ImportRun; onFinished?: (run: ImportRun) => void }) {
  const { run, error } = useImportRun(started);
  useEffect(() => {
    if (isFinished(run)) onFinished?.(run);
  }, [run, onFinished]);
  const percent = run.totalRows === 0 ? 100 : Math.round((run.processedRows / run.totalRows) * 100);
  const done = isFinished(run);
  const would = run.dryRun ? 'Would be ' : '';
  return (
    <Paper withBorder radius="md" p="md">
      <Stack gap="md">
        <Group justify="space-between">
          <Title order={2} fz="lg">
            {run.dryRun ? 'Dry run' : 'Import'} of {run.filename}
          </Title>
          <Badge color={run.status === 'failed' ? 'red' : done ? 'teal' : 'blue'} variant="light">
            {run.status}
          </Badge>
        </Group>
        <Stack gap={4}>
          <Progress value={percent} animated={!done} size="lg" aria-label="Rows processed" />
          <Text fz="sm" c="dimmed" aria-live="polite">
            {statusText(run)} ({percent}%)
          </Text>
        </Stack>
        {error !== null && <ErrorAlert title="The progress could not be refreshed" error={error} />}
        {run.error && (
          <Alert color="red" variant="light" icon={<IconAlertTriangle aria-hidden />}>
            {run.error}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 2, sm: 5 }}>
          <Count label={`${would}created`} value={run.counts.created} color="teal" />
          <Count label={`${would}updated`} value={run.counts.updated} color="blue" />
          <Count label="Unchanged" value={run.counts.unchanged} />
          <Count label="Failed" value={run.counts.failed} color="red" />
          <Count label="Sent to duplicate review" value={run.counts.sentToReview} color="orange" />
        </SimpleGrid>
        {run.warnings.length > 0 && (
          <List size="sm" c="dimmed" spacing={2}>
            {run.warnings.map((w) => (
              <List.Item key={w}>{w}</List.Item>
            ))}
          </List>
        )}
        {run.problems.length > 0 && <ProblemTable run={run} />}
      </Stack>
    </Paper>
  );
}

function ProblemTable({ run }: { run: ImportRun }) {
  return (
    <Stack gap="xs">
      <Text fw={600}>
        {run.counts.failed} row{run.counts.failed === 1 ? '' : 's'} {run.dryRun ? 'would be' : run.counts.failed === 1 ? 'was' : 'were'} skipped; nothing was stored for
        {run.counts.failed === 1 ? ' it' : ' them'}. Fix the file and import it again.
      </Text>
      <Table striped withTableBorder verticalSpacing={4} fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={70}>Line</Table.Th>
            <Table.Th>Column</Table.Th>
            <Table.Th>Value</Table.Th>
            <Table.Th>Problem</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {run.problems.map((p, i) => (
            <Table.Tr key={`${p.line}-${p.field}-${i}`}>
              <Table.Td>{p.line}</Table.Td>
              <Table.Td>{p.field}</Table.Td>
              <Table.Td>{p.value}</Table.Td>
              <Table.Td>{p.message}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {run.problemsNotShown > 0 && (
        <Text fz="sm" c="dimmed">
          …and {run.problemsNotShown} more problem{run.problemsNotShown === 1 ? '' : 's'} not shown.
        </Text>
      )}
    </Stack>
  );
}
