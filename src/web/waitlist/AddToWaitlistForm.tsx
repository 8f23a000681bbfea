import { useCallback, useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Chip, Group, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { errorMessage } from '../api/client.ts';
import type { PatientSearchHit } from '../api/patients.ts';
import { fetchAppointments } from '../api/schedule.ts';
import { joinWaitlist, type WaitlistEntry } from '../api/waitlist.ts';
import { errorAt, fieldErrorsOf, unclaimedErrors } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { PatientPicker } from '../patients/PatientPicker.tsx';
import { formatWhen, practitionerName } from '../schedule/format.ts';
import { locationsFor, practitionersFor, type Directory } from '../schedule/useDirectory.ts';

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const ANY = '';

const CLAIMED = ['patientId', 'serviceId', 'practitionerId', 'locationId', 'weekdays', 'earliestTime', 'latestTime', 'notBefore', 'notAfter', 'appointmentId', 'notes'];

/** The patient's future bookings, any of which they may want moved earlier. */
function useFutureBookings(patientId: string | null) {
  const load = useCallback(
    async (signal: AbortSignal) => (patientId ? (await fetchAppointments({ patientId, status: 'booked' }, signal)).items.filter((a) => new Date(a.startsAt) > new Date()) : []),
    [patientId],
  );
  return useApiQuery(load);
}

/** Puts a patient on the waitlist: the service, and the practitioner, days, times and dates that suit them. */
export function AddToWaitlistForm({ directory, onAdded }: { directory: Directory; onAdded: (entry: WaitlistEntry) => void }) {
  const [patient, setPatient] = useState<PatientSearchHit | null>(null);
  const [serviceId, setServiceId] = useState<string | null>(directory.services[0]?.id ?? null);
  const [practitionerId, setPractitionerId] = useState(ANY);
  const [locationId, setLocationId] = useState(ANY);
  const [weekdays, setWeekdays] = useState<string[]>(['1', '2', '3', '4', '5']);
  const [earliestTime, setEarliestTime] = useState('');
  const [latestTime, setLatestTime] = useState('');
  const [notBefore, setNotBefore] = useState('');
  const [notAfter, setNotAfter] = useState('');
  const [appointmentId, setAppointmentId] = useState(ANY);
  const [notes, setNotes] = useState('');
  const bookings = useFutureBookings(patient?.id ?? null);
  const save = useAction(joinWaitlist);
  const errors = fieldErrorsOf(save.error);
  const others = unclaimedErrors(errors, CLAIMED);

  const heldOptions =
    bookings.status === 'success'
      ? bookings.data.filter((a) => a.service.id === serviceId).map((a) => ({ value: a.id, label: `${formatWhen(a.startsAt, a.timeZone)} with ${a.practitioner.name}` }))
      : [];

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!patient || !serviceId) return;
    const entry = await save.run({
      patientId: patient.id,
      serviceId,
      weekdays: weekdays.map(Number).sort(),
      ...(practitionerId ? { practitionerId } : {}),
      ...(locationId ? { locationId } : {}),
      ...(earliestTime ? { earliestTime } : {}),
      ...(latestTime ? { latestTime } : {}),
      ...(notBefore ? { notBefore } : {}),
      ...(notAfter ? { notAfter } : {}),
      ...(appointmentId ? { appointmentId } : {}),
      ...(notes.trim() ? { notes: notes.trim() } : {}),
    });
    if (entry) {
      setPatient(null);
      setAppointmentId(ANY);
      setNotes('');
      onAdded(entry);
    }
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)} aria-label="Add to the waitlist">
      <Stack gap="sm">
        <PatientPicker label="Patient" value={patient} onChange={setPatient} />
        {errorAt(errors, 'patientId') && <Text c="red" fz="sm">{errorAt(errors, 'patientId')}</Text>}
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <Select
            label="Service"
            data={directory.services.map((s) => ({ value: s.id, label: s.name }))}
            value={serviceId}
            allowDeselect={false}
            onChange={(value) => {
              setServiceId(value);
              setAppointmentId(ANY);
            }}
            error={errorAt(errors, 'serviceId')}
          />
          <Select
            label="Practitioner"
            data={[{ value: ANY, label: 'Any practitioner' }, ...practitionersFor(directory, serviceId).map((p) => ({ value: p.id, label: practitionerName(p) }))]}
            value={practitionerId}
            allowDeselect={false}
            onChange={(value) => setPractitionerId(value ?? ANY)}
            error={errorAt(errors, 'practitionerId')}
          />
          <Select
            label="Location"
            data={[{ value: ANY, label: 'Any location' }, ...locationsFor(directory, serviceId).map((l) => ({ value: l.id, label: l.name }))]}
            value={locationId}
            allowDeselect={false}
            onChange={(value) => setLocationId(value ?? ANY)}
            error={errorAt(errors, 'locationId')}
          />
        </SimpleGrid>
        <Stack gap={4}>
          <Text fz="sm" fw={500}>
            Days that suit
          </Text>
          <Chip.Group multiple value={weekdays} onChange={setWeekdays}>
            <Group gap={6}>
              {WEEKDAYS.map((day, i) => (
                <Chip key={day} value={String(i + 1)} size="sm">
                  {day}
                </Chip>
              ))}
            </Group>
          </Chip.Group>
          {errorAt(errors, 'weekdays') && <Text c="red" fz="sm">{errorAt(errors, 'weekdays')}</Text>}
        </Stack>
        <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
          <TextInput type="time" label="From (local time)" value={earliestTime} onChange={(e) => setEarliestTime(e.currentTarget.value)} error={errorAt(errors, 'earliestTime')} />
          <TextInput type="time" label="Until" value={latestTime} onChange={(e) => setLatestTime(e.currentTarget.value)} error={errorAt(errors, 'latestTime')} />
          <TextInput type="date" label="Not before" value={notBefore} onChange={(e) => setNotBefore(e.currentTarget.value)} error={errorAt(errors, 'notBefore')} />
          <TextInput type="date" label="Not after" value={notAfter} onChange={(e) => setNotAfter(e.currentTarget.value)} error={errorAt(errors, 'notAfter')} />
        </SimpleGrid>
        <Select
          label="Booking to move earlier"
          description="If the patient already holds a booking, accepting an offer moves it instead of adding one."
          data={[{ value: ANY, label: 'None: book a new appointment' }, ...heldOptions]}
          value={appointmentId}
          allowDeselect={false}
          onChange={(value) => setAppointmentId(value ?? ANY)}
          disabled={!patient}
          error={errorAt(errors, 'appointmentId')}
        />
        <Textarea label="Notes" autosize minRows={1} maxRows={4} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} error={errorAt(errors, 'notes')} />
        {save.error !== null && (errors.size === 0 || others.length > 0) && (
          <Text c="red" fz="sm" role="alert">
            {errors.size === 0 ? errorMessage(save.error) : others.map((o) => `${o.path} ${o.message}`).join('; ')}
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" leftSection={<IconPlus size={16} aria-hidden />} loading={save.pending} disabled={!patient || !serviceId || weekdays.length === 0}>
            Add to waitlist
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
