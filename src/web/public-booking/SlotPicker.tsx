import { useCallback, useMemo, useState } from 'react';
import { Alert, Button, Center, Group, Loader, Stack, Text } from '@mantine/core';
import { IconChevronLeft, IconChevronRight } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { addDays, dateAt, formatDay, formatTime, todayAt, zoneAbbreviation } from '../schedule/format.ts';
import { fetchPublicSlots, type PublicSlot } from './api.ts';

/** How many days one page of the picker shows (the API allows up to 31). */
const DAYS = 14;

interface SlotPickerProps {
  slug: string;
  serviceId: string;
  /** null: anyone who offers the service. */
  practitionerId: string | null;
  locationId: string | null;
  /** The clinic's zone, whose "today" starts the search. */
  zone: string;
  chosen: PublicSlot | null;
  onChoose: (slot: PublicSlot, practitionerName: string) => void;
}

const sameSlot = (a: PublicSlot | null, b: PublicSlot) =>
  a !== null && a.startsAt === b.startsAt && a.practitionerId === b.practitionerId && a.locationId === b.locationId;

/** Picks a day, then a free time on it; times are shown in the location's own zone. */
export function SlotPicker({ slug, serviceId, practitionerId, locationId, zone, chosen, onChoose }: SlotPickerProps) {
  const today = todayAt(zone);
  const [from, setFrom] = useState(today);
  const [day, setDay] = useState<string | null>(null);
  const to = addDays(from, DAYS - 1);
  const load = useCallback(
    (signal: AbortSignal) => fetchPublicSlots(slug, { serviceId, from, to, practitionerId, locationId }, signal),
    [slug, serviceId, from, to, practitionerId, locationId],
  );
  const query = useApiQuery(load);

  const days = useMemo(() => {
    if (query.status !== 'success') return [];
    // With "any practitioner", one time is offered once: the first practitioner free then.
    const seen = new Set<string>();
    const groups = new Map<string, PublicSlot[]>();
    for (const slot of query.data.slots) {
      const key = `${slot.startsAt}|${slot.locationId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const date = dateAt(slot.startsAt, slot.timeZone);
      groups.set(date, [...(groups.get(date) ?? []), slot]);
    }
    return [...groups]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, slots]) => ({ date, slots: slots.sort((a, b) => a.startsAt.localeCompare(b.startsAt)) }));
  }, [query]);

  const names = query.status === 'success' ? new Map(query.data.practitioners.map((p) => [p.id, p.name])) : new Map<string, string>();
  const shownDay = days.find((d) => d.date === day) ?? days[0] ?? null;

  const move = (by: number) => {
    setDay(null);
    setFrom(addDays(from, by));
  };

  return (
    <Stack gap="sm">
      <Group justify="space-between" wrap="nowrap">
        <Button variant="subtle" leftSection={<IconChevronLeft size={16} aria-hidden />} disabled={from <= today} onClick={() => move(-DAYS)}>
          Earlier dates
        </Button>
        <Text fz="xs" c="dimmed" ta="center">
          {formatDay(`${from}T12:00:00Z`, 'UTC')} – {formatDay(`${to}T12:00:00Z`, 'UTC')}
        </Text>
        <Button variant="subtle" rightSection={<IconChevronRight size={16} aria-hidden />} onClick={() => move(DAYS)}>
          Later dates
        </Button>
      </Group>
      {query.status === 'loading' && (
        <Center py="md" role="status" aria-label="Looking for free times">
          <Loader size="sm" color="teal" />
        </Center>
      )}
      {query.status === 'error' && (
        <Alert color="red" role="alert">
          {errorMessage(query.error)}
        </Alert>
      )}
      {query.status === 'success' && days.length === 0 && <Text c="dimmed">No free times in these dates. Try later dates.</Text>}
      {shownDay && (
        <>
          <Group gap={6} role="group" aria-label="Days with free times">
            {days.map((d) => (
              <Button
                key={d.date}
                size="compact-md"
                variant={d.date === shownDay.date ? 'filled' : 'default'}
                aria-pressed={d.date === shownDay.date}
                onClick={() => setDay(d.date)}
              >
                {formatDay(d.slots[0]!.startsAt, d.slots[0]!.timeZone)}
              </Button>
            ))}
          </Group>
          <Text fz="sm" c="dimmed">
            Times are local to the clinic ({shownDay.slots[0]!.timeZone}, {zoneAbbreviation(shownDay.slots[0]!.startsAt, shownDay.slots[0]!.timeZone)}).
          </Text>
          <Group gap={6} role="group" aria-label={`Free times on ${formatDay(shownDay.slots[0]!.startsAt, shownDay.slots[0]!.timeZone)}`}>
            {shownDay.slots.map((slot) => {
              const who = names.get(slot.practitionerId) ?? 'a practitioner';
              const time = formatTime(slot.startsAt, slot.timeZone);
              const selected = sameSlot(chosen, slot);
              return (
                <Button
                  key={`${slot.startsAt}|${slot.practitionerId}|${slot.locationId}`}
                  size="compact-md"
                  variant={selected ? 'filled' : 'light'}
                  aria-pressed={selected}
                  aria-label={`${formatDay(slot.startsAt, slot.timeZone)} ${time} with ${who}`}
                  onClick={() => onChoose(slot, who)}
                >
                  {time}
                </Button>
              );
            })}
          </Group>
        </>
      )}
    </Stack>
  );
}
