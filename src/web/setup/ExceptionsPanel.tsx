import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { ActionIcon, Badge, Button, Group, Paper, SegmentedControl, Select, SimpleGrid, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconTrash } from '@tabler/icons-react';
import { DateTime } from 'luxon';
import { addException, deleteException, fetchAvailability, type ExceptionKind, type SetupPractitioner } from '../api/scheduling-setup.ts';
import { errorMessage } from '../api/client.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { FormProblem } from './FormProblem.tsx';
import { locationOptions, type SetupData } from './useSetupData.ts';

const EMPTY = { kind: 'time_off' as ExceptionKind, startsAt: '', endsAt: '', locationId: null as string | null, reason: '' };

/** A wall-clock time typed at the location, as an instant with its offset ('' when blank). */
const instantIn = (local: string, zone: string) => (local ? (DateTime.fromISO(local, { zone }).toISO({ suppressMilliseconds: true }) ?? local) : '');
const shown = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toFormat('ccc d LLL yyyy, HH:mm');

/** Upcoming time off and extra hours, with a form to add either. */
export function ExceptionsPanel({ data, practitioner, zone }: { data: SetupData; practitioner: SetupPractitioner; zone: string }) {
  const availability = useApiQuery(useCallback((signal: AbortSignal) => fetchAvailability(practitioner.id, signal), [practitioner.id]));
  const [draft, setDraft] = useState(EMPTY);
  const add = useAction((input: Parameters<typeof addException>[1]) => addException(practitioner.id, input));
  const remove = useAction(async (id: string) => {
    await deleteException(practitioner.id, id);
    return true;
  });
  const errors = fieldErrorsOf(add.error);
  // Extra hours are typed in their location's zone; time off in the practitioner's usual one.
  const entryZone = (draft.kind === 'extra' && data.locations.find((l) => l.id === draft.locationId)?.timeZone) || zone;

  async function handleAdd(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const saved = await add.run({
      kind: draft.kind,
      startsAt: instantIn(draft.startsAt, entryZone),
      endsAt: instantIn(draft.endsAt, entryZone),
      ...(draft.kind === 'extra' ? { locationId: draft.locationId } : {}),
      reason: draft.reason.trim() || null,
    });
    if (saved) {
      setDraft(EMPTY);
      notifications.show({ color: 'teal', message: saved.kind === 'extra' ? 'Extra hours added.' : 'Time off added.' });
      availability.refresh();
    }
  }

  async function handleRemove(id: string) {
    if (await remove.run(id)) availability.refresh();
  }

  return (
    <Stack gap="sm">
      {availability.status === 'loading' && <Skeleton height={60} radius="md" />}
      {availability.status === 'error' && <ErrorAlert title="Exceptions could not be loaded" error={availability.error} onRetry={availability.reload} />}
      {remove.error !== null && <Text c="red" fz="sm">{errorMessage(remove.error)}</Text>}
      {availability.status === 'success' && availability.data.exceptions.length === 0 && <Text c="dimmed" fz="sm">No upcoming time off or extra hours.</Text>}
      {availability.status === 'success' &&
        availability.data.exceptions.map((e) => {
          const where = data.locations.find((l) => l.id === e.locationId);
          const z = where?.timeZone ?? zone;
          return (
            <Paper key={e.id} withBorder radius="md" p="xs">
              <Group justify="space-between" wrap="nowrap">
                <Group gap="sm" wrap="nowrap">
                  <Badge variant="light" color={e.kind === 'extra' ? 'teal' : 'orange'}>{e.kind === 'extra' ? 'Extra hours' : 'Time off'}</Badge>
                  <Stack gap={0}>
                    <Text fz="sm">{shown(e.startsAt, z)} – {shown(e.endsAt, z)}</Text>
                    <Text fz="xs" c="dimmed">{[where?.name, e.reason].filter(Boolean).join(' · ') || z}</Text>
                  </Stack>
                </Group>
                <ActionIcon variant="subtle" color="red" aria-label="Remove" loading={remove.pending} onClick={() => void handleRemove(e.id)}>
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            </Paper>
          );
        })}
      <form onSubmit={(event) => void handleAdd(event)} noValidate>
        <Stack gap="xs">
          <FormProblem error={add.error} claimed={['kind', 'startsAt', 'endsAt', 'locationId', 'reason']} />
          <SegmentedControl
            value={draft.kind}
            onChange={(v) => setDraft((d) => ({ ...d, kind: v as ExceptionKind }))}
            data={[{ value: 'time_off', label: 'Time off' }, { value: 'extra', label: 'Extra hours' }]}
          />
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
            <TextInput type="datetime-local" label="From" value={draft.startsAt} onChange={(e) => setDraft({ ...draft, startsAt: e.currentTarget.value })} error={errorAt(errors, 'startsAt')} />
            <TextInput type="datetime-local" label="Until" value={draft.endsAt} onChange={(e) => setDraft({ ...draft, endsAt: e.currentTarget.value })} error={errorAt(errors, 'endsAt')} />
            {draft.kind === 'extra' && (
              <Select label="Location" data={locationOptions(data)} value={draft.locationId} onChange={(v) => setDraft({ ...draft, locationId: v })} error={errorAt(errors, 'locationId')} />
            )}
            <TextInput label="Reason" value={draft.reason} onChange={(e) => setDraft({ ...draft, reason: e.currentTarget.value })} error={errorAt(errors, 'reason')} />
          </SimpleGrid>
          <Group justify="space-between">
            <Text fz="xs" c="dimmed">Times in {entryZone}</Text>
            <Button type="submit" variant="light" loading={add.pending}>{draft.kind === 'extra' ? 'Add extra hours' : 'Add time off'}</Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
