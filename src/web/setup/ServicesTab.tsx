import { useState } from 'react';
import { Badge, Button, EmptyState, Group, Paper, Table, Text, UnstyledButton } from '@mantine/core';
import { IconPlus, IconStethoscope } from '@tabler/icons-react';
import type { SetupService } from '../api/scheduling-setup.ts';
import { ServiceDrawer } from './ServiceDrawer.tsx';
import type { SetupData } from './useSetupData.ts';

const price = (s: SetupService) =>
  s.priceCents === null ? '—' : new Intl.NumberFormat(undefined, { style: 'currency', currency: s.currency ?? 'USD' }).format(s.priceCents / 100);

const ELIGIBILITY: Record<SetupService['eligibility'], string> = { any: 'Any patient', new: 'New patients', established: 'Established' };

/** The services patients can book, with their booking rules; a row opens the editor. */
export function ServicesTab({ data, onSaved }: { data: SetupData; onSaved: () => void }) {
  const [editing, setEditing] = useState<SetupService | 'new' | null>(null);
  return (
    <>
      <Group justify="flex-end" mb="sm">
        <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing('new')}>
          New service
        </Button>
      </Group>
      <Paper withBorder radius="md">
        <Table highlightOnHover verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Service</Table.Th>
              <Table.Th>Length</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>Price</Table.Th>
              <Table.Th>Online</Table.Th>
              <Table.Th>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.services.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6} py="xl">
                  <EmptyState icon={<IconStethoscope aria-hidden />} title="No services yet" description="Add what patients can book: a consultation, a check-up, a video follow-up." />
                </Table.Td>
              </Table.Tr>
            )}
            {data.services.map((s) => (
              <Table.Tr key={s.id} style={{ cursor: 'pointer' }} onClick={() => setEditing(s)}>
                <Table.Td>
                  <UnstyledButton onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                    <Text fw={600} fz="sm">{s.name}</Text>
                  </UnstyledButton>
                  <Group gap={4} mt={2}>
                    {s.mode === 'video' && <Badge size="xs" variant="light" color="grape">Video</Badge>}
                    {s.requiresRoom && <Badge size="xs" variant="light" color="gray">Needs a room</Badge>}
                  </Group>
                </Table.Td>
                <Table.Td fz="sm">
                  {s.durationMinutes} min
                  {(s.bufferBeforeMinutes > 0 || s.bufferAfterMinutes > 0) && (
                    <Text fz="xs" c="dimmed">+{s.bufferBeforeMinutes} before, +{s.bufferAfterMinutes} after</Text>
                  )}
                </Table.Td>
                <Table.Td fz="sm">
                  {ELIGIBILITY[s.eligibility]}
                  <Text fz="xs" c="dimmed">{s.practitionerIds.length} practitioner(s), {s.locationIds.length} location(s)</Text>
                </Table.Td>
                <Table.Td fz="sm">{price(s)}</Table.Td>
                <Table.Td>{s.publicBooking ? <Badge variant="light" color="teal">Bookable</Badge> : <Badge variant="light" color="gray">Staff only</Badge>}</Table.Td>
                <Table.Td>{s.active ? <Badge variant="dot" color="teal">Active</Badge> : <Badge variant="dot" color="gray">Retired</Badge>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
      {editing !== null && (
        <ServiceDrawer
          key={editing === 'new' ? 'new' : editing.id}
          data={data}
          service={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            onSaved();
          }}
        />
      )}
    </>
  );
}
