import { useCallback, useMemo, useState } from 'react';
import { Badge, Button, EmptyState, Group, Paper, Skeleton, Stack, Switch, Table, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconRoute } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { fetchJourneys, switchJourney, type Journey } from './api.ts';
import { JourneyDrawer } from './JourneyDrawer.tsx';
import type { JourneyCatalog } from './useJourneyCatalog.ts';
import { describeStep, describeTrigger } from './words.ts';

/** The clinic's journeys: what starts each, what it does, how it is doing; switch on and off in place. */
export function JourneysTab({ catalog, onChanged }: { catalog: JourneyCatalog; onChanged: () => void }) {
  const load = useCallback((signal: AbortSignal) => fetchJourneys(signal), []);
  const journeys = useApiQuery(load);
  const [editing, setEditing] = useState<Journey | 'new' | null>(null);
  const [switching, setSwitching] = useState<string | null>(null);
  const names = useMemo(
    () => ({
      services: new Map(catalog.services.map((s) => [s.id, s.name])),
      locations: new Map(catalog.locations.map((l) => [l.id, l.name])),
      fields: new Map(catalog.customFields.map((f) => [`custom.${f.key}`, f.label])),
    }),
    [catalog],
  );

  async function toggle(journey: Journey, on: boolean) {
    setSwitching(journey.id);
    try {
      const saved = await switchJourney(journey.id, on);
      if (journeys.status === 'success') journeys.setData(journeys.data.map((j) => (j.id === saved.id ? saved : j)));
      notifications.show({ color: on ? 'teal' : 'gray', message: `“${saved.name}” is ${on ? 'on' : 'off'}.` });
    } catch (error) {
      notifications.show({ color: 'red', title: `“${journey.name}” was not switched ${on ? 'on' : 'off'}`, message: errorMessage(error) });
    } finally {
      setSwitching(null);
    }
  }

  if (journeys.status === 'loading') return <Skeleton height={240} radius="md" />;
  if (journeys.status === 'error') return <ErrorAlert title="The journeys could not be loaded" error={journeys.error} onRetry={journeys.reload} />;

  return (
    <>
      <Group justify="flex-end" mb="sm">
        <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing('new')}>
          New journey
        </Button>
      </Group>
      <Paper withBorder radius="md">
        <Table verticalSpacing="sm" highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={70}>On</Table.Th>
              <Table.Th>Journey</Table.Th>
              <Table.Th>Starts when</Table.Th>
              <Table.Th>Runs</Table.Th>
              <Table.Th>Sent (30 days)</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {journeys.data.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={5} py="xl">
                  <EmptyState icon={<IconRoute aria-hidden />} title="No journeys" description="A journey sends messages, makes tasks and updates records when something happens." />
                </Table.Td>
              </Table.Tr>
            )}
            {journeys.data.map((j) => (
              <JourneyRow key={j.id} journey={j} names={names} switching={switching === j.id} onToggle={(on) => void toggle(j, on)} onEdit={() => setEditing(j)} />
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
      <Stack mt="xs">
        <Text fz="xs" c="dimmed">
          Switching a journey off stops its messages not yet sent; runs waiting for a later step stop when they come due, unless it is back on by then.
        </Text>
      </Stack>
      {editing && (
        <JourneyDrawer
          key={editing === 'new' ? 'new' : `${editing.id}:${editing.version}`}
          journey={editing === 'new' ? null : editing}
          catalog={catalog}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            journeys.refresh();
            // Which templates are sent, and by whom, may have changed.
            onChanged();
          }}
        />
      )}
    </>
  );
}

type Names = Parameters<typeof describeTrigger>[1];

function JourneyRow({ journey: j, names, switching, onToggle, onEdit }: { journey: Journey; names: Names; switching: boolean; onToggle: (on: boolean) => void; onEdit: () => void }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Switch aria-label={j.name} checked={j.enabled} disabled={switching} onChange={(e) => onToggle(e.currentTarget.checked)} />
      </Table.Td>
      <Table.Td>
        <UnstyledButton onClick={onEdit} aria-label={`Edit ${j.name}`}>
          <Text fw={600} fz="sm" c={j.enabled ? undefined : 'dimmed'}>{j.name}</Text>
        </UnstyledButton>
        <Text fz="xs" c="dimmed" lineClamp={2}>{j.steps.map(describeStep).join(' → ')}</Text>
      </Table.Td>
      <Table.Td fz="sm">{describeTrigger(j.trigger, names)}</Table.Td>
      <Table.Td>
        <Group gap={4}>
          <Tooltip label="Waiting for their next step"><Badge variant="light" color="blue">{j.counts.waiting} waiting</Badge></Tooltip>
          <Badge variant="light" color="teal">{j.counts.done} done</Badge>
          {j.counts.cancelled > 0 && <Badge variant="light" color="gray">{j.counts.cancelled} stopped</Badge>}
          {j.counts.failed > 0 && <Badge variant="light" color="red">{j.counts.failed} failed</Badge>}
        </Group>
      </Table.Td>
      <Table.Td fz="sm">{j.counts.sentLast30Days}</Table.Td>
    </Table.Tr>
  );
}
