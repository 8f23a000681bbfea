import { useCallback, useState } from 'react';
import { Anchor, Button, Divider, Drawer, Group, Skeleton, Stack, Text, TextInput, Timeline, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconUser } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import {
  appointmentIcsUrl,
  cancelAppointment,
  changeAppointmentStatus,
  fetchAppointment,
  setCareInstructions,
  type Appointment,
  type AppointmentHistoryEntry,
  type StatusAction,
} from '../api/schedule.ts';
import { useSession } from '../auth/AuthContext.tsx';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { formatCalendarDate, formatFullName, formatInstant, formatPhone } from '../patients/format.ts';
import { Link } from '../router.tsx';
import { formatRange, formatWhen, statusLabel, zoneAbbreviation } from './format.ts';
import { CareInstructions, canWriteCareInstructions, hasCareInstructions } from './CareInstructions.tsx';
import { StatusBadge } from './StatusBadge.tsx';

interface AppointmentDrawerProps {
  /** The appointment to show; null keeps the drawer closed. */
  appointmentId: string | null;
  onClose: () => void;
  /** Something about the appointment changed: the lists around it should be read again. */
  onChanged: (appointment: Appointment) => void;
}

/** Details, history and the day's actions for one appointment. */
export function AppointmentDrawer({ appointmentId, onClose, onChanged }: AppointmentDrawerProps) {
  return (
    <Drawer opened={appointmentId !== null} onClose={onClose} position="right" size="md" title="Appointment">
      {appointmentId && <AppointmentDetails key={appointmentId} id={appointmentId} onChanged={onChanged} />}
    </Drawer>
  );
}

const ACTION_LABEL: Record<StatusAction, string> = {
  confirm: 'Confirm',
  'check-in': 'Check in',
  'no-show': 'No-show',
  complete: 'Complete',
};

const ACTION_DONE: Record<StatusAction, string> = {
  confirm: 'Confirmed',
  'check-in': 'Checked in',
  'no-show': 'Marked as no-show',
  complete: 'Completed',
};

/** What can happen next (as the server allows it: no-show once started, confirm until it is over). */
function actionsFor(appointment: Appointment, now = Date.now()): StatusAction[] {
  const started = new Date(appointment.startsAt).getTime() <= now;
  const over = new Date(appointment.endsAt).getTime() <= now;
  if (appointment.status === 'booked') {
    return [...(appointment.confirmedAt || over ? [] : ['confirm' as const]), 'check-in', ...(started ? ['no-show' as const] : [])];
  }
  if (appointment.status === 'arrived') return ['complete', 'no-show'];
  return [];
}

function AppointmentDetails({ id, onChanged }: { id: string; onChanged: (appointment: Appointment) => void }) {
  const detail = useApiQuery(useCallback((signal: AbortSignal) => fetchAppointment(id, signal), [id]));
  const [pending, setPending] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [cancelling, setCancelling] = useState(false);
  const [reason, setReason] = useState('');
  // null until edited: the stored text shows.
  const [careDraft, setCareDraft] = useState<string | null>(null);
  const canWriteCare = canWriteCareInstructions(useSession().user.role);

  if (detail.status === 'loading') {
    return (
      <Stack role="status" aria-label="Loading the appointment">
        <Skeleton height={120} />
        <Skeleton height={200} />
      </Stack>
    );
  }
  if (detail.status === 'error') return <ErrorAlert title="The appointment could not be loaded" error={detail.error} onRetry={detail.reload} />;
  const appointment = detail.data;
  const zone = appointment.location.timeZone || appointment.timeZone;
  const care = careDraft ?? appointment.careInstructions ?? '';
  const careChanged = canWriteCare && careDraft !== null && care.trim() !== (appointment.careInstructions ?? '');

  async function run(action: StatusAction | 'cancel' | 'care') {
    setPending(true);
    setFailure(null);
    let changed: Appointment;
    try {
      changed =
        action === 'cancel'
          ? await cancelAppointment(id, reason.trim(), appointment.version)
          : action === 'care'
            ? await setCareInstructions(id, care.trim() || null, appointment.version)
            : await changeAppointmentStatus(id, action, appointment.version, action === 'complete' && careChanged ? { careInstructions: care.trim() || null } : {});
    } catch (error) {
      setFailure(error);
      // A stale version means someone else changed it meanwhile: show what it is now.
      if (error instanceof ApiError && error.status === 409) detail.refresh();
      return;
    } finally {
      setPending(false);
    }
    const done = action === 'cancel' ? 'Cancelled' : action === 'care' ? 'Care instructions saved' : ACTION_DONE[action];
    notifications.show({ color: 'teal', message: `${done}: ${formatFullName(changed.patient)}, ${formatRange(changed.startsAt, changed.endsAt, zone)}` });
    setCancelling(false);
    setReason('');
    setCareDraft(null);
    detail.refresh();
    onChanged(changed);
  }

  return (
    <Stack gap="md" aria-label="Appointment details" role="region">
      <Stack gap={4}>
        <Group gap="xs">
          <Title order={2} fz="lg">
            {formatFullName(appointment.patient)}
          </Title>
          <StatusBadge status={appointment.status} confirmed={appointment.confirmedAt !== null} />
        </Group>
        <Text fz="sm">
          {appointment.service.name} with {appointment.practitioner.name}
        </Text>
        <Text fz="sm">
          {formatRange(appointment.startsAt, appointment.endsAt, zone)} ({zoneAbbreviation(appointment.startsAt, zone)})
        </Text>
        <Text fz="sm" c="dimmed">
          {appointment.location.name}
          {appointment.room ? ` · ${appointment.room.name}` : ''}
          {appointment.service.mode === 'video' ? ' · Video' : ''}
        </Text>
        <Text fz="sm" c="dimmed">
          {[
            appointment.patient.birthDate ? `Born ${formatCalendarDate(appointment.patient.birthDate)}` : null,
            appointment.patient.phone ? formatPhone(appointment.patient.phone) : null,
          ]
            .filter(Boolean)
            .join(' · ')}
        </Text>
        {appointment.notes && (
          <Text fz="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {appointment.notes}
          </Text>
        )}
        {appointment.cancelReason && <Text fz="sm">Cancelled: {appointment.cancelReason}</Text>}
      </Stack>

      <Group gap="xs">
        {actionsFor(appointment).map((action) => (
          <Button key={action} size="xs" variant={action === 'no-show' ? 'default' : 'light'} loading={pending} onClick={() => void run(action)}>
            {ACTION_LABEL[action]}
          </Button>
        ))}
        {(appointment.status === 'booked' || appointment.status === 'arrived') && !cancelling && (
          <Button size="xs" variant="subtle" color="red" onClick={() => setCancelling(true)}>
            Cancel appointment
          </Button>
        )}
      </Group>
      {cancelling && (
        <Group align="flex-end" gap="xs">
          <TextInput label="Reason for cancelling" value={reason} onChange={(e) => setReason(e.currentTarget.value)} style={{ flex: 1 }} data-autofocus />
          <Button color="red" size="sm" disabled={!reason.trim()} loading={pending} onClick={() => void run('cancel')}>
            Cancel it
          </Button>
          <Button variant="default" size="sm" onClick={() => setCancelling(false)}>
            Keep it
          </Button>
        </Group>
      )}
      {hasCareInstructions(appointment) && (
        <CareInstructions
          appointment={appointment}
          canWrite={canWriteCare}
          draft={care}
          onDraftChange={setCareDraft}
          onSave={() => void run('care')}
          pending={pending}
          error={failure}
        />
      )}
      {failure !== null && (
        <Text c="red" fz="sm" role="alert">
          {errorMessage(failure)}
        </Text>
      )}
      <Group gap="md">
        <Anchor href={appointmentIcsUrl(appointment.id)} download fz="sm">
          <Group gap={4} component="span">
            <IconDownload size={14} aria-hidden />
            Download .ics
          </Group>
        </Anchor>
        <Anchor component={Link} href={`/patients/${appointment.patient.id}`} fz="sm">
          <Group gap={4} component="span">
            <IconUser size={14} aria-hidden />
            Open patient
          </Group>
        </Anchor>
      </Group>
      <Divider />
      <History entries={appointment.history} zone={zone} />
    </Stack>
  );
}

function historyLine(entry: AppointmentHistoryEntry, zone: string): string {
  const what =
    entry.previousStartsAt && entry.startsAt && entry.previousStartsAt !== entry.startsAt
      ? `Moved from ${formatWhen(entry.previousStartsAt, zone)} to ${formatWhen(entry.startsAt, zone)}`
      : entry.toStatus && entry.fromStatus !== entry.toStatus
        ? `${entry.fromStatus ? `${statusLabel(entry.fromStatus)} → ` : ''}${statusLabel(entry.toStatus)}`
        : entry.action.charAt(0).toUpperCase() + entry.action.slice(1).replaceAll('_', ' ');
  return entry.reason ? `${what}: ${entry.reason}` : what;
}

function History({ entries, zone }: { entries: AppointmentHistoryEntry[]; zone: string }) {
  if (entries.length === 0) return null;
  return (
    <Stack gap="xs" component="section" aria-label="History">
      <Title order={3} fz="sm">
        History
      </Title>
      <Timeline bulletSize={12} lineWidth={2}>
        {entries.map((entry, i) => (
          <Timeline.Item key={`${entry.occurredAt}-${i}`} title={<Text fz="sm">{historyLine(entry, zone)}</Text>}>
            <Text fz="xs" c="dimmed">
              {entry.actor.name ?? (entry.actor.type === 'public' ? 'The patient' : entry.actor.type === 'system' ? 'Rapport' : 'Someone')}
              {entry.via ? ` · via ${entry.via}` : ''} · {formatInstant(entry.occurredAt)}
            </Text>
          </Timeline.Item>
        ))}
      </Timeline>
    </Stack>
  );
}
