import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { ActionIcon, Badge, Button, Group, Paper, Select, SimpleGrid, Skeleton, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPill, IconPlus, IconX } from '@tabler/icons-react';
import { errorMessage } from '../../api/client.ts';
import { ErrorAlert } from '../../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../../common/fieldErrors.ts';
import { useAction } from '../../common/useAction.ts';
import { useApiQuery } from '../../common/useApiQuery.ts';
import { addDays, todayAt } from '../../schedule/format.ts';
import { FormProblem } from '../../setup/FormProblem.tsx';
import { addMedicationReminder, fetchMedicationReminders, stopMedicationReminder, type Channel, type MedicationReminder, type NewMedicationReminder } from '../api.ts';
import { channelName, CHANNELS } from '../words.ts';

function NewReminderForm({ patientId, zone, onAdded }: { patientId: string; zone: string; onAdded: () => void }) {
  const today = todayAt(zone);
  const [draft, setDraft] = useState<NewMedicationReminder>({ medication: '', instructions: '', timesOfDay: ['08:00'], startDate: today, endDate: addDays(today, 6), channel: 'sms' });
  const add = useAction((input: NewMedicationReminder) => addMedicationReminder(patientId, input));
  const errors = fieldErrorsOf(add.error);
  const set = (change: Partial<NewMedicationReminder>) => setDraft((d) => ({ ...d, ...change }));
  const setTime = (i: number, value: string) => set({ timesOfDay: draft.timesOfDay.map((t, j) => (j === i ? value : t)) });

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await add.run({ ...draft, medication: draft.medication.trim(), instructions: draft.instructions?.trim() || null });
    if (saved) {
      notifications.show({ color: 'teal', message: `Reminders for ${saved.medication} set up.` });
      onAdded();
    }
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)} noValidate aria-label="New medication reminder">
      <Stack gap="xs">
        <FormProblem error={add.error} claimed={['medication', 'instructions', 'timesOfDay', 'startDate', 'endDate', 'channel']} />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
          <TextInput label="Medication" required value={draft.medication} onChange={(e) => set({ medication: e.currentTarget.value })} error={errorAt(errors, 'medication')} />
          <TextInput label="Instructions" placeholder="One tablet with food" value={draft.instructions ?? ''} onChange={(e) => set({ instructions: e.currentTarget.value })} error={errorAt(errors, 'instructions')} />
        </SimpleGrid>
        <Stack gap={4}>
          <Text fz="sm" fw={500}>Times of day <Text span c="dimmed" fz="xs">(in the patient&apos;s time zone, {zone})</Text></Text>
          <Group gap="xs">
            {draft.timesOfDay.map((time, i) => (
              <Group key={i} gap={2} wrap="nowrap">
                <TextInput type="time" aria-label={`Dose time ${i + 1}`} value={time} onChange={(e) => setTime(i, e.currentTarget.value)} error={errors.get(`timesOfDay.${i}`)} w={130} />
                {draft.timesOfDay.length > 1 && (
                  <ActionIcon variant="subtle" color="gray" aria-label={`Remove dose time ${i + 1}`} onClick={() => set({ timesOfDay: draft.timesOfDay.filter((_, j) => j !== i) })}>
                    <IconX size={14} aria-hidden />
                  </ActionIcon>
                )}
              </Group>
            ))}
            {draft.timesOfDay.length < 8 && (
              <Button variant="subtle" size="xs" leftSection={<IconPlus size={14} aria-hidden />} onClick={() => set({ timesOfDay: [...draft.timesOfDay, '20:00'] })}>
                Add a time
              </Button>
            )}
          </Group>
          {errors.get('timesOfDay') && <Text c="red" fz="xs">{errorAt(errors, 'timesOfDay')}</Text>}
        </Stack>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
          <TextInput label="From" type="date" value={draft.startDate} onChange={(e) => set({ startDate: e.currentTarget.value })} error={errorAt(errors, 'startDate')} />
          <TextInput label="Until" type="date" value={draft.endDate} onChange={(e) => set({ endDate: e.currentTarget.value })} error={errorAt(errors, 'endDate')} />
          <Select label="By" allowDeselect={false} data={CHANNELS} value={draft.channel} onChange={(v) => set({ channel: (v ?? 'sms') as Channel })} error={errorAt(errors, 'channel')} />
        </SimpleGrid>
        <Group justify="flex-end">
          <Button type="submit" loading={add.pending}>Add reminder</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The patient's medication reminders: add one (times in the patient's zone until an end date), stop one. */
export function MedicationReminders({ patientId }: { patientId: string }) {
  const load = useCallback((signal: AbortSignal) => fetchMedicationReminders(patientId, signal), [patientId]);
  const reminders = useApiQuery(load);
  const [adding, setAdding] = useState(false);

  async function stop(r: MedicationReminder) {
    if (!window.confirm(`Stop the reminders for ${r.medication}? Reminders already planned are not sent.`)) return;
    try {
      await stopMedicationReminder(r.id);
      notifications.show({ color: 'teal', message: `Reminders for ${r.medication} stopped.` });
      reminders.refresh();
    } catch (error) {
      notifications.show({ color: 'red', title: 'Not stopped', message: errorMessage(error) });
    }
  }

  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label="Medication reminders">
      <Group justify="space-between" mb="sm">
        <Group gap="xs">
          <IconPill size={18} aria-hidden />
          <Title order={3} fz="md">Medication reminders</Title>
        </Group>
        <Button size="xs" variant={adding ? 'default' : 'light'} onClick={() => setAdding((a) => !a)}>
          {adding ? 'Close' : 'Add medication reminder'}
        </Button>
      </Group>
      {adding && reminders.status === 'success' && (
        <Paper withBorder radius="md" p="sm" mb="sm">
          <NewReminderForm patientId={patientId} zone={reminders.data.timeZone} onAdded={() => {
            setAdding(false);
            reminders.refresh();
          }} />
        </Paper>
      )}
      {reminders.status === 'loading' && <Skeleton height={60} />}
      {reminders.status === 'error' && <ErrorAlert title="Medication reminders could not be loaded" error={reminders.error} onRetry={reminders.reload} />}
      {reminders.status === 'success' && reminders.data.items.length === 0 && <Text fz="sm" c="dimmed">No medication reminders.</Text>}
      {reminders.status === 'success' && reminders.data.items.length > 0 && (
        <Table verticalSpacing="xs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Medication</Table.Th>
              <Table.Th>Times</Table.Th>
              <Table.Th>Dates</Table.Th>
              <Table.Th>By</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {reminders.data.items.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <Text fz="sm" fw={600} c={r.active ? undefined : 'dimmed'}>{r.medication}</Text>
                  {r.instructions && <Text fz="xs" c="dimmed">{r.instructions}</Text>}
                </Table.Td>
                <Table.Td fz="sm">{r.timesOfDay.join(', ')}</Table.Td>
                <Table.Td fz="sm">{r.startDate} – {r.endDate}</Table.Td>
                <Table.Td fz="sm">{channelName(r.channel)}</Table.Td>
                <Table.Td ta="right">
                  {r.active ? (
                    <Button size="xs" variant="subtle" color="red" onClick={() => void stop(r)} aria-label={`Stop reminders for ${r.medication}`}>Stop</Button>
                  ) : (
                    <Badge variant="light" color="gray">Stopped</Badge>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}
