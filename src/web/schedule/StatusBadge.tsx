import { Badge } from '@mantine/core';
import type { AppointmentStatus } from '../api/schedule.ts';
import { statusColor, statusLabel } from './format.ts';

export function StatusBadge({ status, confirmed = false }: { status: AppointmentStatus; confirmed?: boolean }) {
  return (
    <Badge color={statusColor(status)} variant="light" radius="sm" tt="none">
      {status === 'booked' && confirmed ? 'Confirmed' : statusLabel(status)}
    </Badge>
  );
}
