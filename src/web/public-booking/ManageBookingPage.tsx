import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Group, Loader, Stack, Text, Textarea, Title } from '@mantine/core';
import { IconCalendarPlus } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { navigate } from '../router.tsx';
import { formatDay, formatTime } from '../schedule/format.ts';
import { cancelBooking, confirmBooking, fetchBooking, rescheduleBooking, type ManageView, type PublicSlot } from './api.ts';
import { SlotPicker } from './SlotPicker.tsx';
import { Centered, PublicFrame, VisitSummary } from './VisitSummary.tsx';

function linkProblem(error: unknown): { title: string; text: string } {
  if (error instanceof ApiError && error.status === 410) return { title: 'This link has expired', text: error.message };
  if (error instanceof ApiError && error.status === 404) return { title: 'This link does not work', text: error.message };
  return { title: 'Something went wrong', text: errorMessage(error) };
}

/** A booking opened from its signed link: see it, confirm, cancel, or move it. */
export function ManageBookingPage({ token }: { token: string }) {
  const load = useCallback((signal: AbortSignal) => fetchBooking(token, signal), [token]);
  const booking = useApiQuery(load);
  const clinicName = booking.status === 'success' ? booking.data.clinic.name : null;

  useEffect(() => {
    document.title = clinicName ? `Your appointment · ${clinicName}` : 'Your appointment';
  }, [clinicName]);

  return (
    <PublicFrame clinicName={clinicName}>
      {booking.status === 'loading' && (
        <Centered>
          <Loader color="teal" aria-label="Loading your appointment" />
        </Centered>
      )}
      {booking.status === 'error' && (
        <Alert color="red" role="alert" title={linkProblem(booking.error).title}>
          {linkProblem(booking.error).text}
        </Alert>
      )}
      {booking.status === 'success' && <Manage token={token} view={booking.data} onChange={booking.setData} />}
    </PublicFrame>
  );
}

function Manage({ token, view, onChange }: { token: string; view: ManageView; onChange: (view: ManageView) => void }) {
  const [mode, setMode] = useState<'view' | 'cancel' | 'reschedule'>('view');
  const [reason, setReason] = useState('');
  const [slot, setSlot] = useState<PublicSlot | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const confirm = useAction(confirmBooking);
  const cancel = useAction(cancelBooking);
  const move = useAction(rescheduleBooking);
  const a = view.appointment;
  const error = confirm.error ?? cancel.error ?? move.error;

  const done = (next: ManageView, message: string) => {
    onChange(next);
    setMode('view');
    setSlot(null);
    setNotice(message);
  };

  async function doConfirm() {
    const next = await confirm.run(token);
    if (next) done(next, 'Thank you, your appointment is confirmed.');
  }
  async function doCancel() {
    const next = await cancel.run(token, reason);
    if (next) done(next, 'Your appointment is cancelled.');
  }
  async function doMove() {
    if (!slot) return;
    const next = await move.run(token, slot.startsAt);
    if (!next) return;
    done(next, `Your appointment is moved to ${formatDay(next.appointment.startsAt, next.appointment.timeZone)}, ${formatTime(next.appointment.startsAt, next.appointment.timeZone)}.`);
    // The moved visit comes with a fresh link (its expiry follows the visit).
    navigate(next.manageUrl, { replace: true });
  }

  return (
    <Stack gap="lg">
      <Title order={1} fz="h2">
        Your appointment
      </Title>
      {notice && (
        <Alert color="teal" variant="light" role="status">
          {notice}
        </Alert>
      )}
      {error !== null && error !== undefined && (
        <Alert color="red" variant="light" role="alert">
          {errorMessage(error)}
        </Alert>
      )}
      <VisitSummary appointment={a} />
      {a.status === 'cancelled' && (
        <Text>
          This appointment is cancelled.{' '}
          <a href={`/book/${view.clinic.slug}`}>Book another time</a>
        </Text>
      )}
      {mode === 'view' && (
        <Group>
          {view.actions.confirm && (
            <Button onClick={() => void doConfirm()} loading={confirm.pending}>
              Confirm appointment
            </Button>
          )}
          {view.actions.reschedule && (
            <Button variant="light" onClick={() => setMode('reschedule')}>
              Choose another time
            </Button>
          )}
          {view.actions.cancel && (
            <Button variant="light" color="red" onClick={() => setMode('cancel')}>
              Cancel appointment
            </Button>
          )}
          {a.status !== 'cancelled' && (
            <Button component="a" href={view.icsUrl} download="appointment.ics" variant="default" leftSection={<IconCalendarPlus size={18} aria-hidden />}>
              Add to calendar (.ics)
            </Button>
          )}
        </Group>
      )}
      {mode === 'cancel' && (
        <Stack gap="sm" component="section" aria-label="Cancel the appointment">
          <Textarea label="Reason (optional)" maxLength={400} autosize minRows={2} value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          <Group>
            <Button color="red" onClick={() => void doCancel()} loading={cancel.pending}>
              Yes, cancel my appointment
            </Button>
            <Button variant="default" onClick={() => setMode('view')}>
              Keep it
            </Button>
          </Group>
        </Stack>
      )}
      {mode === 'reschedule' && (
        <Stack gap="sm" component="section" aria-label="Choose another time">
          <Text fz="sm">
            Free times with {a.practitioner.name} at {a.location.name}:
          </Text>
          <SlotPicker
            slug={view.clinic.slug}
            serviceId={a.service.id}
            practitionerId={a.practitioner.id}
            locationId={a.location.id}
            zone={a.timeZone}
            chosen={slot}
            onChoose={(s) => {
              setSlot(s);
              move.reset();
            }}
          />
          <Group>
            <Button onClick={() => void doMove()} loading={move.pending} disabled={!slot}>
              {slot ? `Move to ${formatDay(slot.startsAt, slot.timeZone)}, ${formatTime(slot.startsAt, slot.timeZone)}` : 'Pick a new time'}
            </Button>
            <Button variant="default" onClick={() => setMode('view')}>
              Keep the current time
            </Button>
          </Group>
        </Stack>
      )}
    </Stack>
  );
}
