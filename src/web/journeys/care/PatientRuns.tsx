import { useCallback, useState } from 'react';
import { Badge, Button, Collapse, Group, Paper, Skeleton, Stack, Text, Timeline, Title, UnstyledButton } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconChevronRight, IconRoute } from '@tabler/icons-react';
import { errorMessage } from '../../api/client.ts';
import { ErrorAlert } from '../../common/ErrorAlert.tsx';
import { useApiQuery } from '../../common/useApiQuery.ts';
import { formatInstant } from '../../patients/format.ts';
import { cancelRun, fetchPatientRuns, type PatientRun, type RunStatus } from '../api.ts';
import { channelName } from '../words.ts';

const STATUS: Record<RunStatus, { label: string; color: string }> = {
  waiting: { label: 'Waiting', color: 'blue' },
  running: { label: 'Running', color: 'blue' },
  done: { label: 'Done', color: 'teal' },
  cancelled: { label: 'Stopped', color: 'gray' },
  failed: { label: 'Failed', color: 'red' },
};

const REASONS: Record<string, string> = {
  cancelled_by_staff: 'stopped by staff',
  journey_disabled: 'the journey was switched off',
  appointment_cancelled: 'the appointment was cancelled',
  appointment_changed: 'the appointment moved',
  appointment_past: 'the appointment had started',
  appointment_noshow: 'the patient did not come to the appointment',
  invoice_settled: 'the invoice was settled',
  medication_stopped: 'the medication reminder was stopped',
  medication_changed: 'the dose times changed',
};

/** One step log line in words ("send: sandboxed (SMS)"). */
function logLine(entry: PatientRun['log'][number]): string {
  const d = entry.detail;
  switch (entry.stepType) {
    case 'send':
      return `Message ${typeof d.template === 'string' ? `“${d.template}” ` : ''}${typeof d.channel === 'string' ? `by ${channelName(d.channel)} ` : ''}${entry.outcome}${typeof d.reason === 'string' ? ` (${d.reason})` : ''}`;
    case 'wait':
      return `Waiting until ${typeof d.until === 'string' ? formatInstant(d.until) : 'later'}`;
    case 'branch':
      return `Condition checked: took the ${entry.outcome === 'then' ? '“then”' : '“otherwise”'} path`;
    case 'task':
      return 'Task created';
    case 'update_field':
      return `Field ${String(d.field ?? '')} set to ${String(d.value ?? '')}`;
    case 'add_tag':
      return `Tagged “${String(d.tag ?? '')}”`;
    case 'run':
      return `Run ${entry.outcome}${typeof d.reason === 'string' ? `: ${REASONS[d.reason] ?? d.reason}` : ''}`;
    default:
      return `${entry.stepType}: ${entry.outcome}`;
  }
}

function RunCard({ run, onCancelled }: { run: PatientRun; onCancelled: () => void }) {
  const [open, setOpen] = useState(false);
  const [stopping, setStopping] = useState(false);
  const status = STATUS[run.status];
  async function stop() {
    if (!window.confirm(`Stop “${run.journey.name}” for this patient? Its messages not yet sent are not sent.`)) return;
    setStopping(true);
    try {
      await cancelRun(run.id);
      notifications.show({ color: 'teal', message: `“${run.journey.name}” stopped for this patient.` });
      onCancelled();
    } catch (error) {
      notifications.show({ color: 'red', title: 'Not stopped', message: errorMessage(error) });
    } finally {
      setStopping(false);
    }
  }
  return (
    <Paper withBorder radius="sm" p="xs">
      <Group justify="space-between" wrap="nowrap">
        <UnstyledButton onClick={() => setOpen((o) => !o)} aria-expanded={open} style={{ flex: 1 }}>
          <Group gap="xs" wrap="nowrap">
            {open ? <IconChevronDown size={14} aria-hidden /> : <IconChevronRight size={14} aria-hidden />}
            <Text fz="sm" fw={600}>{run.journey.name}</Text>
            <Badge size="sm" variant="light" color={status.color}>{status.label}</Badge>
            <Text fz="xs" c="dimmed">
              started {formatInstant(run.createdAt)}
              {run.nextAt ? `, next step ${formatInstant(run.nextAt)}` : ''}
              {run.reason ? `, ${REASONS[run.reason] ?? run.reason}` : ''}
            </Text>
          </Group>
        </UnstyledButton>
        {(run.status === 'waiting' || run.status === 'running') && (
          <Button size="xs" variant="subtle" color="red" loading={stopping} onClick={() => void stop()} aria-label={`Stop ${run.journey.name} for this patient`}>
            Stop
          </Button>
        )}
      </Group>
      <Collapse expanded={open}>
        <Timeline bulletSize={10} lineWidth={1} mt="xs" ml="md">
          {run.log.map((entry) => (
            <Timeline.Item key={entry.id}>
              <Text fz="sm">{logLine(entry)}</Text>
              <Text fz="xs" c="dimmed">{formatInstant(entry.at)}</Text>
            </Timeline.Item>
          ))}
          {run.log.length === 0 && <Timeline.Item><Text fz="sm" c="dimmed">Nothing has run yet.</Text></Timeline.Item>}
        </Timeline>
        {run.lastError && <Text fz="xs" c="red" mt={4}>Last error: {run.lastError}</Text>}
      </Collapse>
    </Paper>
  );
}

/** The journeys this patient is in or went through, each with what its steps did. */
export function PatientRuns({ patientId }: { patientId: string }) {
  const load = useCallback((signal: AbortSignal) => fetchPatientRuns(patientId, signal), [patientId]);
  const runs = useApiQuery(load);
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label="Journeys">
      <Group gap="xs" mb="sm">
        <IconRoute size={18} aria-hidden />
        <Title order={3} fz="md">Journeys</Title>
      </Group>
      {runs.status === 'loading' && <Skeleton height={60} />}
      {runs.status === 'error' && <ErrorAlert title="Journeys could not be loaded" error={runs.error} onRetry={runs.reload} />}
      {runs.status === 'success' && runs.data.length === 0 && <Text fz="sm" c="dimmed">This patient has not been in any journey.</Text>}
      {runs.status === 'success' && (
        <Stack gap={6}>
          {runs.data.map((run) => <RunCard key={run.id} run={run} onCancelled={runs.refresh} />)}
        </Stack>
      )}
    </Paper>
  );
}
