import { Badge, Button, EmptyState, Skeleton, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconHourglass } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import { changeWaitlistEntry, type WaitlistEntry, type WaitlistStatus } from '../api/waitlist.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useAction } from '../common/useAction.ts';
import type { ApiQuery } from '../common/useApiQuery.ts';
import { formatFullName, formatInstant } from '../patients/format.ts';
import { Link } from '../router.tsx';
import { formatWhen } from '../schedule/format.ts';
import { WEEKDAYS } from './AddToWaitlistForm.tsx';

const STATUS: Record<WaitlistStatus, { label: string; color: string }> = {
  waiting: { label: 'Waiting', color: 'blue' },
  booked: { label: 'Booked', color: 'teal' },
  withdrawn: { label: 'Withdrawn', color: 'gray' },
  expired: { label: 'Expired', color: 'gray' },
};

/** "Mon, Tue · 09:00–12:00 · from 1 Dec": what suits the patient, in a line. */
function describePreferences(entry: WaitlistEntry): string {
  const days = entry.weekdays.length === 7 ? 'Any day' : entry.weekdays.map((d) => WEEKDAYS[d - 1]).join(', ');
  const times = entry.earliestTime || entry.latestTime ? `${entry.earliestTime ?? 'opening'}–${entry.latestTime ?? 'closing'}` : 'any time';
  const dates = [entry.notBefore ? `from ${entry.notBefore}` : null, entry.notAfter ? `until ${entry.notAfter}` : null].filter(Boolean).join(' ');
  return [days, times, dates].filter(Boolean).join(' · ');
}

function EntryRow({ entry, onChanged }: { entry: WaitlistEntry; onChanged: () => void }) {
  const change = useAction(changeWaitlistEntry);
  async function setStatus(status: 'waiting' | 'withdrawn') {
    const saved = await change.run(entry.id, { status });
    if (saved) notifications.show({ color: 'teal', message: status === 'withdrawn' ? `${formatFullName(entry.patient)} left the waitlist.` : `${formatFullName(entry.patient)} is back on the waitlist.` });
    onChanged();
  }
  const status = STATUS[entry.status];
  return (
    <Table.Tr>
      <Table.Td>
        <Link href={`/patients/${entry.patient.id}`}>{formatFullName(entry.patient)}</Link>
        {entry.notes && (
          <Text fz="xs" c="dimmed" lineClamp={1}>
            {entry.notes}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Text fz="sm">{entry.service.name}</Text>
        <Text fz="xs" c="dimmed">
          {[entry.practitioner?.name ?? 'Any practitioner', entry.location?.name ?? 'any location'].join(' · ')}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text fz="sm">{describePreferences(entry)}</Text>
        {entry.appointment && (
          <Text fz="xs" c="dimmed">
            Holds {formatWhen(entry.appointment.startsAt, entry.appointment.timeZone)}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Badge variant="light" color={status.color}>
          {status.label}
        </Badge>
        <Text fz="xs" c="dimmed">
          {entry.lastOfferedAt ? `Last offered ${formatInstant(entry.lastOfferedAt)}` : `Since ${formatInstant(entry.createdAt)}`}
        </Text>
      </Table.Td>
      <Table.Td ta="right">
        {(entry.status === 'waiting' || entry.status === 'withdrawn') && (
          <Button size="xs" variant="default" loading={change.pending} onClick={() => void setStatus(entry.status === 'waiting' ? 'withdrawn' : 'waiting')}>
            {entry.status === 'waiting' ? 'Withdraw' : 'Put back'}
          </Button>
        )}
        {change.error !== null && (
          <Text c="red" fz="xs" role="alert">
            {errorMessage(change.error)}
          </Text>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

/** The waitlist in the order it is worked: not recently offered first, then longest waiting. */
export function EntryList({ entries }: { entries: ApiQuery<WaitlistEntry[]> }) {
  if (entries.status === 'loading') return <Skeleton height={120} radius="md" role="status" aria-label="Loading the waitlist" />;
  if (entries.status === 'error') return <ErrorAlert title="The waitlist could not be loaded" error={entries.error} onRetry={entries.reload} />;
  if (entries.data.length === 0) {
    return <EmptyState icon={<IconHourglass aria-hidden />} title="Nobody here" description="Patients who want an earlier slot appear here once added." py="md" />;
  }
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="xs" aria-label="Waitlist entries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Patient</Table.Th>
            <Table.Th>Service</Table.Th>
            <Table.Th>What suits</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.data.map((entry) => (
            <EntryRow key={entry.id} entry={entry} onChanged={entries.refresh} />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
