import { useState } from 'react';
import { Button, Group, Paper, ScrollArea, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconSearch } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { fetchSlots, type Slot } from '../api/schedule.ts';
import { useAction } from '../common/useAction.ts';
import { addDays, dateAt, formatDay, formatTime, practitionerName, todayAt, zoneAbbreviation } from './format.ts';
import type { Directory } from './useDirectory.ts';

interface SlotFinderProps {
  directory: Directory;
  serviceId: string | null;
  /** A practitioner, or null for any who offers the service. */
  practitionerId: string | null;
  locationId: string | null;
  /** The zone whose "today" starts the search. */
  zone: string;
  /** The first day to search (YYYY-MM-DD), when not today. */
  initialFrom?: string | null;
  chosen: Slot | null;
  onChoose: (slot: Slot) => void;
}

const sameSlot = (a: Slot | null, b: Slot) =>
  a !== null && a.startsAt === b.startsAt && a.practitionerId === b.practitionerId && a.locationId === b.locationId;

/** Slots grouped by their day at their location, in the order they come. */
function byDay(slots: Slot[]): Array<{ day: string; slots: Slot[] }> {
  const groups = new Map<string, Slot[]>();
  for (const slot of slots) {
    const day = dateAt(slot.startsAt, slot.timeZone);
    const list = groups.get(day) ?? [];
    list.push(slot);
    groups.set(day, list);
  }
  return [...groups].map(([day, list]) => ({ day, slots: list }));
}

/** Finds free times for a service over a range of days and lets one be picked. */
export function SlotFinder({ directory, serviceId, practitionerId, locationId, zone, initialFrom, chosen, onChoose }: SlotFinderProps) {
  const [from, setFrom] = useState(() => initialFrom ?? todayAt(zone));
  const [to, setTo] = useState(() => addDays(initialFrom ?? todayAt(zone), 6));
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const search = useAction(fetchSlots);
  const nameOf = (id: string) => {
    const p = directory.practitioners.find((x) => x.id === id);
    return p ? practitionerName(p) : 'Practitioner';
  };
  const locationName = (id: string) => directory.locations.find((l) => l.id === id)?.name ?? 'Location';
  const manyLocations = new Set(slots?.map((s) => s.locationId)).size > 1;

  async function find() {
    if (!serviceId) return;
    const answer = await search.run({
      serviceId,
      from,
      to,
      ...(practitionerId ? { practitionerId } : {}),
      ...(locationId ? { locationId } : {}),
    });
    setSlots(answer ? answer.slots : null);
  }

  return (
    <Paper withBorder radius="md" p="sm" component="section" aria-label="Find a free time">
      <Stack gap="xs">
        <Title order={3} fz="sm">
          Find a free time
        </Title>
        <Group align="flex-end" gap="sm">
          <TextInput type="date" label="From" value={from} onChange={(e) => setFrom(e.currentTarget.value)} w={160} />
          <TextInput type="date" label="To" value={to} onChange={(e) => setTo(e.currentTarget.value)} w={160} />
          <Button
            variant="light"
            leftSection={<IconSearch size={16} aria-hidden />}
            onClick={() => void find()}
            loading={search.pending}
            disabled={!serviceId || !from || !to}
          >
            Find free times
          </Button>
        </Group>
        {!serviceId && (
          <Text fz="sm" c="dimmed">
            Choose a service first.
          </Text>
        )}
        {search.error !== null && (
          <Text c="red" fz="sm" role="alert">
            {errorMessage(search.error)}
          </Text>
        )}
        {slots !== null && slots.length === 0 && (
          <Text fz="sm" c="dimmed">
            No free times in these days. Try a wider range or another practitioner.
          </Text>
        )}
        {slots !== null && slots.length > 0 && (
          <ScrollArea.Autosize mah={300} type="auto">
            <Stack gap="sm" role="list" aria-label="Free times">
              {byDay(slots).map(({ day, slots: daySlots }) => (
                <Stack key={day} gap={4} role="listitem">
                  <Text fz="sm" fw={600}>
                    {formatDay(daySlots[0]!.startsAt, daySlots[0]!.timeZone)}{' '}
                    <Text span c="dimmed" fz="xs">
                      ({zoneAbbreviation(daySlots[0]!.startsAt, daySlots[0]!.timeZone)})
                    </Text>
                  </Text>
                  <Group gap={6}>
                    {daySlots.map((slot) => {
                      const time = formatTime(slot.startsAt, slot.timeZone);
                      const who = nameOf(slot.practitionerId);
                      const where = manyLocations ? `, ${locationName(slot.locationId)}` : '';
                      const selected = sameSlot(chosen, slot);
                      return (
                        <Button
                          key={`${slot.startsAt}|${slot.practitionerId}|${slot.locationId}`}
                          size="compact-sm"
                          variant={selected ? 'filled' : 'default'}
                          aria-pressed={selected}
                          aria-label={`${formatDay(slot.startsAt, slot.timeZone)} ${time} with ${who}${where}`}
                          onClick={() => onChoose(slot)}
                        >
                          {practitionerId ? time : `${time} · ${who}`}
                          {where}
                        </Button>
                      );
                    })}
                  </Group>
                </Stack>
              ))}
            </Stack>
          </ScrollArea.Autosize>
        )}
      </Stack>
    </Paper>
  );
}
