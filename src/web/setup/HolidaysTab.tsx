import { useState } from 'react';
import type { FormEvent } from 'react';
import { ActionIcon, Button, EmptyState, Group, Paper, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { IconBeach, IconTrash } from '@tabler/icons-react';
import { createHoliday, deleteHoliday } from '../api/scheduling-setup.ts';
import { errorMessage } from '../api/client.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { FormProblem } from './FormProblem.tsx';
import { locationName, locationOptions, type SetupData } from './useSetupData.ts';

const dateLabel = (date: string) => new Date(`${date}T12:00:00Z`).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** Days the whole clinic, or one location, is closed: no slots are offered then. */
export function HolidaysTab({ data, onSaved }: { data: SetupData; onSaved: () => void }) {
  const [draft, setDraft] = useState<{ date: string; name: string; locationId: string | null }>({ date: '', name: '', locationId: null });
  const add = useAction(createHoliday);
  const remove = useAction(async (id: string) => {
    await deleteHoliday(id);
    return true;
  });
  const errors = fieldErrorsOf(add.error);

  async function handleAdd(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (await add.run({ date: draft.date, name: draft.name.trim(), locationId: draft.locationId })) {
      setDraft({ date: '', name: '', locationId: null });
      onSaved();
    }
  }

  return (
    <Stack gap="md" maw={820}>
      <Paper withBorder radius="md">
        <Table verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Date</Table.Th>
              <Table.Th>Holiday</Table.Th>
              <Table.Th>Closed</Table.Th>
              <Table.Th w={48} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.holidays.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4} py="xl">
                  <EmptyState icon={<IconBeach aria-hidden />} title="No holidays" description="Add the days the clinic is closed, so nobody can book them." />
                </Table.Td>
              </Table.Tr>
            )}
            {data.holidays.map((h) => (
              <Table.Tr key={h.id}>
                <Table.Td fz="sm">{dateLabel(h.date)}</Table.Td>
                <Table.Td fz="sm">{h.name}</Table.Td>
                <Table.Td fz="sm">{h.locationId ? locationName(data, h.locationId) : 'Whole clinic'}</Table.Td>
                <Table.Td>
                  <ActionIcon variant="subtle" color="red" aria-label={`Remove ${h.name}`} onClick={() => void remove.run(h.id).then((done) => done && onSaved())}>
                    <IconTrash size={16} aria-hidden />
                  </ActionIcon>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
      {remove.error !== null && <Text c="red" fz="sm">{errorMessage(remove.error)}</Text>}
      <form onSubmit={(event) => void handleAdd(event)} noValidate>
        <Stack gap="xs">
          <FormProblem error={add.error} claimed={['date', 'name', 'locationId']} />
          <Group gap="xs" align="flex-start">
            <TextInput type="date" label="Date" value={draft.date} onChange={(e) => setDraft({ ...draft, date: e.currentTarget.value })} error={errorAt(errors, 'date')} />
            <TextInput label="Name" placeholder="e.g. Independence Day" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={errorAt(errors, 'name')} style={{ flex: 1 }} />
            <Select label="Closed" placeholder="Whole clinic" clearable data={locationOptions(data)} value={draft.locationId} onChange={(v) => setDraft({ ...draft, locationId: v })} error={errorAt(errors, 'locationId')} w={220} />
          </Group>
          <Group justify="flex-end">
            <Button type="submit" variant="light" loading={add.pending}>Add holiday</Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
