import { useState } from 'react';
import type { FormEvent } from 'react';
import { Badge, Button, Card, EmptyState, Group, Select, SimpleGrid, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { IconBuildingHospital, IconPencil, IconPlus } from '@tabler/icons-react';
import { changeDepartment, changeRoom, createDepartment, createRoom, type SetupLocation } from '../api/scheduling-setup.ts';
import { errorMessage } from '../api/client.ts';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { LocationModal } from './LocationModal.tsx';
import { locationOptions, type SetupData } from './useSetupData.ts';

/** Locations with their rooms, and the departments that work there. */
export function LocationsTab({ data, onSaved }: { data: SetupData; onSaved: () => void }) {
  const [editing, setEditing] = useState<SetupLocation | 'new' | null>(null);
  return (
    <Stack gap="lg">
      <Group justify="flex-end">
        <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing('new')}>New location</Button>
      </Group>
      {data.locations.length === 0 && (
        <EmptyState icon={<IconBuildingHospital aria-hidden />} title="No locations yet" description="Add where care happens; each location keeps its own time zone." />
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        {data.locations.map((l) => (
          <Card key={l.id} withBorder radius="md" padding="md">
            <Group justify="space-between" align="flex-start">
              <Stack gap={2}>
                <Group gap="xs">
                  <Title order={3} fz="md">{l.name}</Title>
                  {!l.active && <Badge variant="light" color="gray">Inactive</Badge>}
                </Group>
                <Text fz="sm" c="dimmed">{[l.addressLine, l.city, l.postalCode].filter(Boolean).join(', ') || 'No address'}</Text>
                <Text fz="sm" c="dimmed">{l.timeZone}{l.phone ? ` · ${l.phone}` : ''}</Text>
              </Stack>
              <Button size="xs" variant="subtle" leftSection={<IconPencil size={14} aria-hidden />} onClick={() => setEditing(l)}>Edit</Button>
            </Group>
            <RoomList data={data} location={l} onSaved={onSaved} />
          </Card>
        ))}
      </SimpleGrid>
      <Departments data={data} onSaved={onSaved} />
      {editing !== null && (
        <LocationModal
          location={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            onSaved();
          }}
        />
      )}
    </Stack>
  );
}

function RoomList({ data, location, onSaved }: { data: SetupData; location: SetupLocation; onSaved: () => void }) {
  const rooms = data.rooms.filter((r) => r.locationId === location.id);
  const [name, setName] = useState('');
  const add = useAction(createRoom);
  const toggle = useAction((id: string, active: boolean) => changeRoom(id, { active }));

  async function handleAdd(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (await add.run({ locationId: location.id, name: name.trim() })) {
      setName('');
      onSaved();
    }
  }

  return (
    <Stack gap={6} mt="md">
      <Text fz="xs" fw={600} c="dimmed" tt="uppercase">Rooms</Text>
      {rooms.length === 0 && <Text fz="sm" c="dimmed">No rooms yet.</Text>}
      {rooms.map((r) => (
        <Group key={r.id} justify="space-between">
          <Text fz="sm" c={r.active ? undefined : 'dimmed'}>{r.name}</Text>
          <Switch
            size="xs"
            label={r.active ? 'In use' : 'Out of use'}
            checked={r.active}
            onChange={(e) => {
              const active = e.currentTarget.checked;
              void toggle.run(r.id, active).then((saved) => saved && onSaved());
            }}
          />
        </Group>
      ))}
      {toggle.error !== null && <Text fz="xs" c="red">{errorMessage(toggle.error)}</Text>}
      <form onSubmit={(event) => void handleAdd(event)} noValidate>
        <Group gap="xs" align="flex-start">
          <TextInput
            size="xs"
            placeholder="New room name"
            aria-label={`New room at ${location.name}`}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={add.error !== null ? (errorAt(fieldErrorsOf(add.error), 'name') ?? errorMessage(add.error)) : undefined}
            style={{ flex: 1 }}
          />
          <Button size="xs" variant="light" type="submit" loading={add.pending}>Add room</Button>
        </Group>
      </form>
    </Stack>
  );
}

function Departments({ data, onSaved }: { data: SetupData; onSaved: () => void }) {
  const [draft, setDraft] = useState<{ name: string; locationId: string | null }>({ name: '', locationId: null });
  const add = useAction(createDepartment);
  const move = useAction((id: string, locationId: string) => changeDepartment(id, { locationId }));
  const errors = fieldErrorsOf(add.error);

  async function handleAdd(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (await add.run({ name: draft.name.trim(), locationId: draft.locationId ?? '' })) {
      setDraft({ name: '', locationId: null });
      onSaved();
    }
  }

  return (
    <Card withBorder radius="md" padding="md">
      <Title order={3} fz="md" mb="sm">Departments</Title>
      <Table verticalSpacing={6}>
        <Table.Tbody>
          {data.departments.map((d) => (
            <Table.Tr key={d.id}>
              <Table.Td fz="sm">{d.name}</Table.Td>
              <Table.Td w={280}>
                <Select
                  size="xs"
                  aria-label={`Location of ${d.name}`}
                  data={locationOptions(data)}
                  value={d.locationId}
                  allowDeselect={false}
                  onChange={(v) => v && v !== d.locationId && void move.run(d.id, v).then((saved) => saved && onSaved())}
                />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {move.error !== null && <Text fz="xs" c="red">{errorMessage(move.error)}</Text>}
      <form onSubmit={(event) => void handleAdd(event)} noValidate>
        <Group gap="xs" align="flex-start" mt="sm">
          <TextInput size="xs" placeholder="New department" aria-label="New department name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} error={errorAt(errors, 'name')} style={{ flex: 1 }} />
          <Select size="xs" placeholder="Location" aria-label="New department location" data={locationOptions(data)} value={draft.locationId} onChange={(v) => setDraft({ ...draft, locationId: v })} error={errorAt(errors, 'locationId')} w={220} />
          <Button size="xs" variant="light" type="submit" loading={add.pending}>Add department</Button>
        </Group>
      </form>
    </Card>
  );
}
