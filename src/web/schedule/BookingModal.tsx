import { useState } from 'react';
import type { FormEvent } from 'react';
import { Button, Center, Checkbox, Group, Loader, Modal, NumberInput, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCalendarPlus } from '@tabler/icons-react';
import type { PatientSearchHit } from '../api/patients.ts';
import { bookAppointment, bookSeries, type Appointment, type NewAppointment, type Slot } from '../api/schedule.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { errorAt, fieldErrorsOf } from '../common/fieldErrors.ts';
import { useAction } from '../common/useAction.ts';
import { formatFullName } from '../patients/format.ts';
import { PatientPicker } from '../patients/PatientPicker.tsx';
import { BookingProblem } from './BookingProblem.tsx';
import { dateAt, formatRange, instantToWallClock, practitionerName, wallClockToInstant, zoneAbbreviation } from './format.ts';
import { SlotFinder } from './SlotFinder.tsx';
import { locationsFor, practitionersFor, useDirectory, type Directory } from './useDirectory.ts';

export interface BookingStart {
  /** ISO instant the booking starts at (a click on the calendar). */
  startsAt?: string;
  practitionerId?: string | null;
  locationId?: string | null;
  roomId?: string | null;
}

interface BookingModalProps {
  opened: boolean;
  onClose: () => void;
  /** The patient, when booking from their page; otherwise one is searched for. */
  patient?: { id: string; givenName: string; familyName: string } | null;
  initial?: BookingStart;
  /** Already loaded by the page; loaded here otherwise. */
  directory?: Directory;
  onBooked: (appointments: Appointment[]) => void;
}

const ANY = 'any';
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Books one appointment, or a weekly series, for a patient. */
export function BookingModal({ opened, onClose, patient, initial, directory, onBooked }: BookingModalProps) {
  const title = patient ? `Book an appointment for ${formatFullName(patient)}` : 'Book an appointment';
  return (
    <Modal opened={opened} onClose={onClose} title={title} size="xl">
      {directory ? (
        <BookingForm directory={directory} patient={patient ?? null} initial={initial ?? {}} onBooked={onBooked} onCancel={onClose} />
      ) : (
        <LoadDirectory patient={patient ?? null} initial={initial ?? {}} onBooked={onBooked} onCancel={onClose} />
      )}
    </Modal>
  );
}

type FormProps = Omit<BookingFormProps, 'directory'>;

function LoadDirectory(props: FormProps) {
  const directory = useDirectory();
  if (directory.status === 'loading') {
    return (
      <Center py="lg" role="status" aria-label="Loading services and practitioners">
        <Loader size="sm" />
      </Center>
    );
  }
  if (directory.status === 'error') return <ErrorAlert title="Services and practitioners could not be loaded" error={directory.error} onRetry={directory.reload} />;
  return <BookingForm {...props} directory={directory.data} />;
}

interface BookingFormProps {
  directory: Directory;
  patient: { id: string; givenName: string; familyName: string } | null;
  initial: BookingStart;
  onBooked: (appointments: Appointment[]) => void;
  onCancel: () => void;
}

function submitBooking(input: { booking: NewAppointment; sessions: number | null }): Promise<Appointment[]> {
  if (input.sessions === null) return bookAppointment(input.booking).then((a) => [a]);
  return bookSeries({ ...input.booking, rrule: `FREQ=WEEKLY;COUNT=${input.sessions}` }).then((s) => s.appointments);
}

function BookingForm({ directory, patient, initial, onBooked, onCancel }: BookingFormProps) {
  const [picked, setPicked] = useState<PatientSearchHit | null>(null);
  const [serviceId, setServiceId] = useState<string | null>(directory.services.length === 1 ? directory.services[0]!.id : null);
  const [practitionerId, setPractitionerId] = useState<string>(initial.practitionerId ?? ANY);
  const [locationId, setLocationId] = useState<string | null>(initial.locationId ?? (directory.locations.length === 1 ? directory.locations[0]!.id : null));
  const location = directory.locations.find((l) => l.id === locationId) ?? null;
  const zone = location?.timeZone ?? browserZone;
  const [start, setStart] = useState(() => (initial.startsAt ? instantToWallClock(initial.startsAt, zone) : ''));
  const [roomId, setRoomId] = useState<string | null>(initial.roomId ?? null);
  const [notes, setNotes] = useState('');
  const [repeats, setRepeats] = useState(false);
  const [sessions, setSessions] = useState<number>(6);
  const [slot, setSlot] = useState<Slot | null>(null);
  const book = useAction(submitBooking);
  const errors = fieldErrorsOf(book.error);

  const practitioners = practitionersFor(directory, serviceId);
  const locations = locationsFor(directory, serviceId);
  const rooms = directory.rooms.filter((r) => r.locationId === locationId);
  const service = directory.services.find((s) => s.id === serviceId) ?? null;
  const patientId = patient?.id ?? picked?.id ?? null;
  const startsAt = wallClockToInstant(start, zone);
  const ready = patientId && serviceId && practitionerId !== ANY && locationId && startsAt;

  function chooseSlot(chosen: Slot) {
    setSlot(chosen);
    setPractitionerId(chosen.practitionerId);
    setRoomId(chosen.roomId ?? (chosen.locationId === locationId ? roomId : null));
    setLocationId(chosen.locationId);
    setStart(instantToWallClock(chosen.startsAt, chosen.timeZone));
  }

  async function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!ready) return;
    const booked = await book.run({
      booking: {
        patientId,
        serviceId,
        practitionerId,
        locationId,
        startsAt,
        ...(roomId ? { roomId } : {}),
        ...(notes.trim() ? { notes: notes.trim() } : {}),
      },
      sessions: repeats ? sessions : null,
    });
    if (!booked || booked.length === 0) return;
    const first = booked[0]!;
    notifications.show({
      color: 'teal',
      title: booked.length > 1 ? `Booked ${booked.length} appointments` : 'Appointment booked',
      message: `${formatFullName(first.patient)}: ${first.service.name}, ${formatRange(first.startsAt, first.endsAt, first.timeZone)}`,
    });
    onBooked(booked);
  }

  return (
    <form onSubmit={(event) => void handleSubmit(event)} aria-label="Book an appointment">
      <Stack gap="sm">
        {patient ? (
          <Text fz="sm">
            Patient: <strong>{formatFullName(patient)}</strong>
          </Text>
        ) : (
          <PatientPicker label="Patient" value={picked} onChange={setPicked} />
        )}
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <Select
            label="Service"
            data={directory.services.map((s) => ({ value: s.id, label: `${s.name} (${s.durationMinutes} min)` }))}
            value={serviceId}
            onChange={(value) => {
              setServiceId(value);
              setSlot(null);
              // A service offered at one place only: that is where it will be.
              const places = locationsFor(directory, value);
              if (value && places.length === 1 && places[0]!.id !== locationId) {
                setLocationId(places[0]!.id);
                setRoomId(null);
              }
            }}
            searchable
            error={errorAt(errors, 'serviceId')}
          />
          <Select
            label="Practitioner"
            data={[{ value: ANY, label: 'Any practitioner' }, ...practitioners.map((p) => ({ value: p.id, label: practitionerName(p) }))]}
            value={practitionerId}
            allowDeselect={false}
            onChange={(value) => {
              setPractitionerId(value ?? ANY);
              setSlot(null);
            }}
            searchable
            error={errorAt(errors, 'practitionerId')}
          />
          <Select
            label="Location"
            data={locations.map((l) => ({ value: l.id, label: l.name }))}
            value={locationId}
            onChange={(value) => {
              setLocationId(value);
              setRoomId(null);
              setSlot(null);
            }}
            clearable
            error={errorAt(errors, 'locationId')}
          />
        </SimpleGrid>
        <SlotFinder
          directory={directory}
          serviceId={serviceId}
          practitionerId={practitionerId === ANY ? null : practitionerId}
          locationId={locationId}
          zone={zone}
          initialFrom={initial.startsAt ? dateAt(initial.startsAt, zone) : null}
          chosen={slot}
          onChoose={chooseSlot}
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <TextInput
            type="datetime-local"
            label="Starts at"
            description={
              location
                ? `Time at ${location.name}, ${zone}${startsAt ? ` (${zoneAbbreviation(startsAt, zone)})` : ''}${service ? `; lasts ${service.durationMinutes} min` : ''}`
                : 'Choose a location first: times are in its zone'
            }
            value={start}
            onChange={(event) => {
              setStart(event.currentTarget.value);
              setSlot(null);
            }}
            error={errorAt(errors, 'startsAt')}
            disabled={!location}
          />
          <Select
            label="Room"
            description={service?.requiresRoom ? 'This service needs a room' : 'Optional'}
            data={rooms.map((r) => ({ value: r.id, label: r.name }))}
            value={roomId}
            onChange={setRoomId}
            clearable
            disabled={!locationId || rooms.length === 0}
            error={errorAt(errors, 'roomId')}
          />
        </SimpleGrid>
        <Textarea label="Notes" autosize minRows={1} maxRows={4} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} error={errorAt(errors, 'notes')} />
        <Group align="flex-end" gap="md">
          <Checkbox label="Repeats weekly" checked={repeats} onChange={(e) => setRepeats(e.currentTarget.checked)} mb={8} />
          {repeats && (
            <NumberInput
              label="Number of sessions"
              min={2}
              max={52}
              value={sessions}
              onChange={(value) => setSessions(typeof value === 'number' ? value : Number(value) || 2)}
              w={180}
              error={errorAt(errors, 'rrule')}
            />
          )}
        </Group>
        {book.error !== null && <BookingProblem error={book.error} zone={zone} />}
        {practitionerId === ANY && (
          <Text fz="sm" c="dimmed">
            Pick a free time, or choose a practitioner, to book.
          </Text>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" leftSection={<IconCalendarPlus size={16} aria-hidden />} loading={book.pending} disabled={!ready}>
            {repeats ? `Book ${sessions} appointments` : 'Book appointment'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
