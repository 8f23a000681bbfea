import type { ReactNode } from 'react';
import { Badge, Box, Center, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { IconCalendarEvent, IconMapPin, IconUser, IconVideo } from '@tabler/icons-react';
import { BrandIcon } from '../common/BrandMark.tsx';
import { formatDay, formatTime, zoneAbbreviation } from '../schedule/format.ts';
import type { PublicAppointment } from './api.ts';

/** The frame of the public pages: the clinic's name over a single column. */
export function PublicFrame({ clinicName, children }: { clinicName: string | null; children: ReactNode }) {
  return (
    <Box mih="100vh" bg="gray.0" py="xl" px="md">
      <Stack maw={640} mx="auto" gap="lg">
        <Group gap="sm">
          <BrandIcon size={36} />
          <Text fw={700} fz="lg" c="teal.9">
            {clinicName ?? 'Online booking'}
          </Text>
        </Group>
        <Paper component="main" withBorder radius="lg" p="lg" shadow="xs">
          {children}
        </Paper>
      </Stack>
    </Box>
  );
}

export function Centered({ children }: { children: ReactNode }) {
  return <Center py="xl">{children}</Center>;
}

const STATUS: Record<PublicAppointment['status'], { label: string; color: string }> = {
  booked: { label: 'Booked', color: 'teal' },
  arrived: { label: 'Checked in', color: 'teal' },
  fulfilled: { label: 'Completed', color: 'gray' },
  cancelled: { label: 'Cancelled', color: 'red' },
  noshow: { label: 'Missed', color: 'orange' },
};

/** What, with whom, where and when, the time in the location's zone. */
export function VisitSummary({ appointment, title }: { appointment: PublicAppointment; title?: string }) {
  const zone = appointment.timeZone;
  const status = appointment.status === 'booked' && appointment.confirmed ? { label: 'Confirmed', color: 'teal' } : STATUS[appointment.status];
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label={title ?? 'Your appointment'}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start">
          <Title order={3} fz="md">
            {appointment.service.name}
          </Title>
          <Badge color={status.color} variant="light">
            {status.label}
          </Badge>
        </Group>
        <Group gap="xs" wrap="nowrap">
          <IconCalendarEvent size={18} aria-hidden />
          <Text data-testid="visit-time">
            {formatDay(appointment.startsAt, zone)}, {formatTime(appointment.startsAt, zone)}–{formatTime(appointment.endsAt, zone)}{' '}
            <Text span c="dimmed" fz="sm">
              ({zoneAbbreviation(appointment.startsAt, zone)})
            </Text>
          </Text>
        </Group>
        <Group gap="xs" wrap="nowrap">
          <IconUser size={18} aria-hidden />
          <Text>with {appointment.practitioner.name}</Text>
        </Group>
        <Group gap="xs" wrap="nowrap" align="flex-start">
          {appointment.service.mode === 'video' ? <IconVideo size={18} aria-hidden /> : <IconMapPin size={18} aria-hidden />}
          <Text>
            {appointment.service.mode === 'video' ? 'Video call; the clinic will send you the link. ' : ''}
            {appointment.location.name}
            {appointment.location.address ? `, ${appointment.location.address}` : ''}
            {appointment.location.phone ? ` · ${appointment.location.phone}` : ''}
          </Text>
        </Group>
      </Stack>
    </Paper>
  );
}
