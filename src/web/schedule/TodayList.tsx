import { useCallback, useState } from 'react';
import { Anchor, Button, EmptyState, Group, Skeleton, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCalendarOff } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { changeAppointmentStatus, fetchAppointments, type Appointment, type StatusAction } from '../api/schedule.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { formatFullName } from '../patients/format.ts';
import { Link } from '../router.tsx';
import { dayBounds, formatDate, formatTime, todayAt, zoneAbbreviation } from './format.ts';
import { StatusBadge } from './StatusBadge.tsx';

interface TodayListProps {
  /** YYYY-MM-DD at the location. */
  date: string;
  zone: string;
  locationId: string | null;
  practitionerId: string | null;
  /** Changes when something elsewhere on the page changed an appointment. */
  revision: number;
  onOpen: (appointment: Appointment) => void;
}

const DONE: Record<StatusAction, string> = { confirm: 'Confirmed', 'check-in': 'Checked in', 'no-show': 'No-show', complete: 'Completed' };

/** A day's appointments at a location (today unless another day is chosen), in time order, with check-in and no-show at hand. */
export function TodayList({ date, zone, locationId, practitionerId, revision, onOpen }: TodayListProps) {
  const load = useCallback(
    // `revision` is a dependency only so a change elsewhere reads the day again.
    async (signal: AbortSignal) => {
      const { from, to } = dayBounds(date, zone);
      const answer = await fetchAppointments(
        { from, to, ...(locationId ? { locationId } : {}), ...(practitionerId ? { practitionerId } : {}) },
        signal,
      );
      return [...answer.items].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    },
    [date, zone, locationId, practitionerId, revision],
  );
  const list = useApiQuery(load);
  const [busy, setBusy] = useState<string | null>(null);

  async function act(appointment: Appointment, action: StatusAction) {
    setBusy(`${appointment.id}:${action}`);
    try {
      const changed = await changeAppointmentStatus(appointment.id, action, appointment.version);
      notifications.show({ color: 'teal', message: `${DONE[action]}: ${formatFullName(changed.patient)} at ${formatTime(changed.startsAt, zone)}` });
    } catch (error) {
      notifications.show({ color: 'red', title: 'Not changed', message: errorMessage(error) });
      if (!(error instanceof ApiError && error.status === 409)) return;
    } finally {
      setBusy(null);
    }
    list.refresh();
  }

  if (list.status === 'loading') {
    return (
      <Stack gap="xs" role="status" aria-label="Loading the day's appointments">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} height={44} />
        ))}
      </Stack>
    );
  }
  if (list.status === 'error') return <ErrorAlert title="The day's appointments could not be loaded" error={list.error} onRetry={list.reload} />;

  const heading = `${formatDate(date)} · times in ${zone} (${zoneAbbreviation(dayBounds(date, zone).from, zone)})`;
  if (list.data.length === 0) {
    return (
      <EmptyState icon={<IconCalendarOff aria-hidden />} title={date === todayAt(zone) ? 'No appointments today' : 'No appointments on this day'} description={heading} py="lg" />
    );
  }
  return (
    <Stack gap="xs">
      <Text fz="sm" c="dimmed">
        {heading}
      </Text>
      <Table.ScrollContainer minWidth={760}>
        <Table verticalSpacing="xs" highlightOnHover aria-label="Appointments of the day">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Time</Table.Th>
              <Table.Th>Patient</Table.Th>
              <Table.Th>Service</Table.Th>
              <Table.Th>Practitioner</Table.Th>
              <Table.Th>Room</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>
                <VisuallyHidden>Actions</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data.map((a) => {
              const name = formatFullName(a.patient);
              return (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    {formatTime(a.startsAt, zone)}–{formatTime(a.endsAt, zone)}
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} href={`/patients/${a.patient.id}`} fz="sm">
                      {name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{a.service.name}</Table.Td>
                  <Table.Td>{a.practitioner.name}</Table.Td>
                  <Table.Td>{a.room?.name ?? '—'}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={a.status} confirmed={a.confirmedAt !== null} />
                  </Table.Td>
                  <Table.Td>
                    <Group gap={6} justify="flex-end" wrap="nowrap">
                      {a.status === 'booked' && (
                        <>
                          {/* No-show only once the appointment has started, as the server allows it. */}
                          <Button size="compact-sm" loading={busy === `${a.id}:check-in`} onClick={() => void act(a, 'check-in')} aria-label={`Check in ${name}`}>
                            Check in
                          </Button>
                          {new Date(a.startsAt).getTime() <= Date.now() && (
                            <Button size="compact-sm" variant="default" loading={busy === `${a.id}:no-show`} onClick={() => void act(a, 'no-show')} aria-label={`No-show ${name}`}>
                              No-show
                            </Button>
                          )}
                        </>
                      )}
                      {a.status === 'arrived' && (
                        <Button size="compact-sm" variant="light" loading={busy === `${a.id}:complete`} onClick={() => void act(a, 'complete')} aria-label={`Complete ${name}`}>
                          Complete
                        </Button>
                      )}
                      <Button size="compact-sm" variant="subtle" onClick={() => onOpen(a)} aria-label={`Details for ${name}`}>
                        Details
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
