import { useCallback, useState } from 'react';
import { Button, EmptyState, Group, Paper, Skeleton, Stack, Text, Title } from '@mantine/core';
import { IconCalendarOff } from '@tabler/icons-react';
import { fetchAppointments, type Appointment } from '../api/schedule.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { AppointmentDrawer } from '../schedule/AppointmentDrawer.tsx';
import { formatRange, isActive, zoneAbbreviation } from '../schedule/format.ts';
import { StatusBadge } from '../schedule/StatusBadge.tsx';

function AppointmentRow({ appointment, onOpen }: { appointment: Appointment; onOpen: () => void }) {
  const zone = appointment.location.timeZone || appointment.timeZone;
  const when = `${formatRange(appointment.startsAt, appointment.endsAt, zone)} (${zoneAbbreviation(appointment.startsAt, zone)})`;
  return (
    <Paper withBorder radius="md" p="sm" role="listitem" aria-label={`${appointment.service.name}, ${when}`}>
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Stack gap={2}>
          <Group gap="xs">
            <Text fw={600} fz="sm">
              {appointment.service.name}
            </Text>
            <StatusBadge status={appointment.status} confirmed={appointment.confirmedAt !== null} />
          </Group>
          <Text fz="sm">{when}</Text>
          <Text fz="xs" c="dimmed">
            {appointment.practitioner.name} · {appointment.location.name}
            {appointment.room ? ` · ${appointment.room.name}` : ''}
            {appointment.cancelReason ? ` · Cancelled: ${appointment.cancelReason}` : ''}
          </Text>
        </Stack>
        <Button size="compact-sm" variant="subtle" onClick={onOpen}>
          Details
        </Button>
      </Group>
    </Paper>
  );
}

function Section({ title, items, empty, onOpen }: { title: string; items: Appointment[]; empty: string; onOpen: (a: Appointment) => void }) {
  return (
    <Stack gap="xs" component="section" aria-label={title}>
      <Title order={2} fz="md">
        {title}
      </Title>
      {items.length === 0 ? (
        <Text fz="sm" c="dimmed">
          {empty}
        </Text>
      ) : (
        <Stack gap="xs" role="list" aria-label={title}>
          {items.map((a) => (
            <AppointmentRow key={a.id} appointment={a} onOpen={() => onOpen(a)} />
          ))}
        </Stack>
      )}
    </Stack>
  );
}

/** The patient's appointments: what is coming (soonest first) and what has been (latest first). */
export function PatientAppointmentsTab({ patientId }: { patientId: string }) {
  const list = useApiQuery(useCallback(async (signal: AbortSignal) => (await fetchAppointments({ patientId }, signal)).items, [patientId]));
  const [openId, setOpenId] = useState<string | null>(null);

  if (list.status === 'loading') {
    return (
      <Stack gap="xs" role="status" aria-label="Loading appointments">
        <Skeleton height={72} radius="md" />
        <Skeleton height={72} radius="md" />
      </Stack>
    );
  }
  if (list.status === 'error') return <ErrorAlert title="Appointments could not be loaded" error={list.error} onRetry={list.reload} />;
  if (list.data.length === 0) {
    return <EmptyState icon={<IconCalendarOff aria-hidden />} title="No appointments" description="Appointments booked for this patient appear here." py="lg" />;
  }
  const now = Date.now();
  const upcoming = list.data
    .filter((a) => isActive(a.status) && new Date(a.endsAt).getTime() >= now)
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const past = list.data.filter((a) => !upcoming.includes(a)).sort((a, b) => b.startsAt.localeCompare(a.startsAt));
  return (
    <Stack gap="lg">
      <Section title="Upcoming" items={upcoming} empty="Nothing booked." onOpen={(a) => setOpenId(a.id)} />
      <Section title="Past and cancelled" items={past} empty="No earlier appointments." onOpen={(a) => setOpenId(a.id)} />
      <AppointmentDrawer appointmentId={openId} onClose={() => setOpenId(null)} onChanged={() => list.refresh()} />
    </Stack>
  );
}
