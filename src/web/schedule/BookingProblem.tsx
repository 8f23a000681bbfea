import { useEffect, useRef } from 'react';
import { Alert, List, Text } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { conflictsOf, occurrencesOf } from '../api/schedule.ts';
import { formatRange, formatDay, formatTime } from './format.ts';

/** Why a booking was refused: the server's message, with the taken times or each occurrence's verdict. */
export function BookingProblem({ error, zone }: { error: unknown; zone: string }) {
  const code = error instanceof ApiError ? error.code : null;
  const details = error instanceof ApiError ? error.details : null;
  const conflicts = code === 'slot_taken' || code === 'room_taken' ? conflictsOf(details) : [];
  const occurrences = code === 'series_conflicts' ? occurrencesOf(details) : [];
  // The form is long: bring the answer into view.
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.scrollIntoView({ block: 'nearest' }), [error]);
  return (
    <Alert ref={ref} color="red" variant="light" icon={<IconAlertCircle aria-hidden />} title="Not booked" role="alert">
      {/* With occurrences listed one by one, the message's summary (before its colon) is enough above them. */}
      <Text fz="sm">{occurrences.length > 0 ? `${errorMessage(error).split(':')[0]}.` : errorMessage(error)}</Text>
      {conflicts.length > 0 && (
        <List fz="sm" mt={4} aria-label="Conflicting appointments">
          {conflicts.map((c) => (
            <List.Item key={c.startsAt}>Taken: {formatRange(c.startsAt, c.endsAt, zone)}</List.Item>
          ))}
        </List>
      )}
      {occurrences.length > 0 && (
        <List fz="sm" mt={4} aria-label="Occurrences">
          {occurrences.map((o) => (
            <List.Item key={o.startsAt} c={o.ok ? undefined : 'red.8'}>
              {formatDay(o.startsAt, zone)} {formatTime(o.startsAt, zone)}: {o.ok ? 'free' : (o.problem ?? 'not possible')}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
