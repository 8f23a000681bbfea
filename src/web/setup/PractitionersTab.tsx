import { useState } from 'react';
import { Badge, Button, EmptyState, Group, Paper, Table, Text, UnstyledButton } from '@mantine/core';
import { IconPlus, IconUserHeart } from '@tabler/icons-react';
import type { SetupPractitioner } from '../api/scheduling-setup.ts';
import { PractitionerDrawer } from './PractitionerDrawer.tsx';
import { locationName, type SetupData } from './useSetupData.ts';

/** Who gives care: their staff account, services, and where they have weekly hours. */
export function PractitionersTab({ data, onSaved }: { data: SetupData; onSaved: () => void }) {
  const [editingId, setEditingId] = useState<string | 'new' | null>(null);
  const editing: SetupPractitioner | null = data.practitioners.find((p) => p.id === editingId) ?? null;
  const staffName = (id: string | null) => data.staff.find((s) => s.id === id)?.displayName ?? null;
  return (
    <>
      <Group justify="flex-end" mb="sm">
        <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditingId('new')}>
          New practitioner
        </Button>
      </Group>
      <Paper withBorder radius="md">
        <Table highlightOnHover verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Practitioner</Table.Th>
              <Table.Th>Department</Table.Th>
              <Table.Th>Staff user</Table.Th>
              <Table.Th>Services</Table.Th>
              <Table.Th>Hours at</Table.Th>
              <Table.Th>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data.practitioners.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6} py="xl">
                  <EmptyState icon={<IconUserHeart aria-hidden />} title="No practitioners yet" description="Add the people patients book with, then give them weekly hours." />
                </Table.Td>
              </Table.Tr>
            )}
            {data.practitioners.map((p) => (
              <Table.Tr key={p.id} style={{ cursor: 'pointer' }} onClick={() => setEditingId(p.id)}>
                <Table.Td>
                  <UnstyledButton onClick={() => setEditingId(p.id)} aria-label={`Edit ${p.name}`}>
                    <Text fw={600} fz="sm">{p.name}</Text>
                  </UnstyledButton>
                  {p.specialty && <Text fz="xs" c="dimmed">{p.specialty}</Text>}
                </Table.Td>
                <Table.Td fz="sm">{data.departments.find((d) => d.id === p.departmentId)?.name ?? '—'}</Table.Td>
                <Table.Td fz="sm">{staffName(p.userId) ?? <Text span c="dimmed" fz="sm">Not linked</Text>}</Table.Td>
                <Table.Td fz="sm">{p.serviceIds.length}</Table.Td>
                <Table.Td fz="sm">
                  {p.locationIds.length === 0 ? <Badge variant="light" color="orange">No hours</Badge> : p.locationIds.map((id) => locationName(data, id)).join(', ')}
                </Table.Td>
                <Table.Td>{p.active ? <Badge variant="dot" color="teal">Active</Badge> : <Badge variant="dot" color="gray">Inactive</Badge>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Paper>
      {/* A practitioner just added opens again once the reloaded list has them. */}
      {(editingId === 'new' || editing !== null) && (
        <PractitionerDrawer
          key={editingId}
          data={data}
          practitioner={editing}
          onClose={() => setEditingId(null)}
          onCreated={(p) => {
            setEditingId(p.id);
            onSaved();
          }}
          onSaved={onSaved}
        />
      )}
    </>
  );
}
