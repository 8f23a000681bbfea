import { useCallback, useState } from 'react';
import { Button, EmptyState, Group, Modal, SegmentedControl, Skeleton, Stack, Tabs, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCalendarPlus, IconCalendarShare, IconCalendarWeek, IconListCheck, IconMapPinOff } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../api/client.ts';
import { fetchAppointments, rescheduleAppointment, type Appointment } from '../api/schedule.ts';
import { fetchOwnPractitioner, type SetupPractitioner } from '../api/scheduling-setup.ts';
import { useSession } from '../auth/AuthContext.tsx';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { usePageTitle } from '../common/usePageTitle.ts';
import { formatFullName } from '../patients/format.ts';
import { navigate, updateSearch, useLocation, withSearch } from '../router.tsx';
import { CalendarFeeds } from '../setup/CalendarFeeds.tsx';
import { AppointmentDrawer } from './AppointmentDrawer.tsx';
import { BookingModal, type BookingStart } from './BookingModal.tsx';
import { DateNav, isDate } from './DateNav.tsx';
import { formatDate, formatWhen, instantAt, todayAt, weekStart } from './format.ts';
import { ScheduleCalendar, type CalendarView, type MovedAppointment } from './ScheduleCalendar.tsx';
import { ScheduleFilters, type ScheduleSelection } from './ScheduleFilters.tsx';
import { TodayList } from './TodayList.tsx';
import { useDirectory, type Directory } from './useDirectory.ts';

/** The clinic's schedule: a day or week calendar per location, practitioner or room, and today's list. */
export function SchedulePage({ today }: { today: boolean }) {
  usePageTitle(today ? 'Day list' : 'Schedule');
  const directory = useDirectory();
  const location = useLocation();

  return (
    <Stack gap="md">
      <PageHeader
        title="Schedule"
        description="Select a free time to book, drag an appointment to move it, click it for details."
        actions={<MyCalendarFeed />}
      />
      <Tabs
        value={today ? 'today' : 'calendar'}
        onChange={(value) => navigate(withSearch({ pathname: value === 'today' ? '/schedule/today' : '/schedule', search: location.search }, {}))}
      >
        <Tabs.List>
          <Tabs.Tab value="calendar" leftSection={<IconCalendarWeek size={16} aria-hidden />}>
            Calendar
          </Tabs.Tab>
          <Tabs.Tab value="today" leftSection={<IconListCheck size={16} aria-hidden />}>
            Day list
          </Tabs.Tab>
        </Tabs.List>
      </Tabs>
      {directory.status === 'loading' && <Skeleton height={480} radius="md" role="status" aria-label="Loading the schedule" />}
      {directory.status === 'error' && <ErrorAlert title="The schedule could not be loaded" error={directory.error} onRetry={directory.reload} />}
      {directory.status === 'success' &&
        (directory.data.locations.length === 0 ? (
          <EmptyState icon={<IconMapPinOff aria-hidden />} title="No locations yet" description="Add a location with its time zone to start scheduling." />
        ) : (
          <Schedule directory={directory.data} today={today} search={location.search} />
        ))}
    </Stack>
  );
}

/**
 * For a signed-in user linked to a practitioner: their own private calendar feeds, to subscribe to
 * from a phone or calendar app. Shows nothing for anyone else (or when the lookup fails).
 */
function MyCalendarFeed() {
  const { user } = useSession();
  const own = useApiQuery(useCallback((signal: AbortSignal) => fetchOwnPractitioner(user.id, signal), [user.id]));
  const [opened, setOpened] = useState(false);
  if (own.status !== 'success' || !own.data) return null;
  const practitioner: SetupPractitioner = own.data;
  return (
    <>
      <Button variant="default" size="sm" leftSection={<IconCalendarShare size={16} aria-hidden />} onClick={() => setOpened(true)}>
        Subscribe to my calendar
      </Button>
      <Modal opened={opened} onClose={() => setOpened(false)} size="lg" title={`Subscribe to my calendar · ${practitioner.name}`}>
        {opened && <CalendarFeeds practitionerId={practitioner.id} />}
      </Modal>
    </>
  );
}

function Schedule({ directory, today, search }: { directory: Directory; today: boolean; search: URLSearchParams }) {
  const requestedLocation = search.get('location');
  const shown = directory.locations.find((l) => l.id === requestedLocation) ?? directory.locations[0]!;
  const zone = shown.timeZone;
  const selection: ScheduleSelection = {
    locationId: shown.id,
    practitionerId: directory.practitioners.some((p) => p.id === search.get('practitioner')) ? search.get('practitioner') : null,
    roomId: directory.rooms.some((r) => r.id === search.get('room') && r.locationId === shown.id) ? search.get('room') : null,
  };
  const view: CalendarView = search.get('view') === 'day' ? 'day' : 'week';
  const requestedDate = search.get('date');
  const date = isDate(requestedDate) ? requestedDate : todayAt(zone);

  const [booking, setBooking] = useState<BookingStart | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [revision, setRevision] = useState(0);
  const changed = () => setRevision((n) => n + 1);

  const select = (changes: Partial<ScheduleSelection>) =>
    updateSearch(
      {
        ...('locationId' in changes ? { location: changes.locationId ?? null } : {}),
        ...('practitionerId' in changes ? { practitioner: changes.practitionerId ?? null } : {}),
        ...('roomId' in changes ? { room: changes.roomId ?? null } : {}),
      },
      { replace: true },
    );

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <ScheduleFilters directory={directory} value={selection} onChange={select} withRoom={!today} />
        <Button
          leftSection={<IconCalendarPlus size={18} aria-hidden />}
          onClick={() => setBooking({ practitionerId: selection.practitionerId, locationId: selection.locationId, roomId: selection.roomId })}
        >
          Book appointment
        </Button>
      </Group>
      {today && <DateNav date={date} unit="day" />}
      {today ? (
        <TodayList
          date={date}
          zone={zone}
          locationId={selection.locationId}
          practitionerId={selection.practitionerId}
          revision={revision}
          onOpen={(a) => setOpenId(a.id)}
        />
      ) : (
        <CalendarPanel
          view={view}
          date={date}
          zone={zone}
          selection={selection}
          revision={revision}
          onChanged={changed}
          onBook={(startsAt) => setBooking({ startsAt, practitionerId: selection.practitionerId, locationId: selection.locationId, roomId: selection.roomId })}
          onOpen={(a) => setOpenId(a.id)}
        />
      )}
      <BookingModal
        opened={booking !== null}
        onClose={() => setBooking(null)}
        directory={directory}
        initial={booking ?? {}}
        onBooked={() => {
          setBooking(null);
          changed();
        }}
      />
      <AppointmentDrawer appointmentId={openId} onClose={() => setOpenId(null)} onChanged={changed} />
    </Stack>
  );
}

interface CalendarPanelProps {
  view: CalendarView;
  date: string;
  zone: string;
  selection: ScheduleSelection;
  revision: number;
  onChanged: () => void;
  onBook: (startsAt: string) => void;
  onOpen: (appointment: Appointment) => void;
}

function CalendarPanel({ view, date, zone, selection, revision, onChanged, onBook, onOpen }: CalendarPanelProps) {
  const [range, setRange] = useState<{ from: string; to: string } | null>(null);
  const [showCancelled, setShowCancelled] = useState(false);
  const { locationId, practitionerId, roomId } = selection;
  const load = useCallback(
    // `revision` is a dependency only so a change elsewhere reads the range again.
    async (signal: AbortSignal): Promise<Appointment[]> => {
      if (!range || revision < 0) return [];
      const answer = await fetchAppointments(
        {
          from: range.from,
          to: range.to,
          ...(roomId ? { roomId } : { locationId: locationId ?? undefined }),
          ...(practitionerId ? { practitionerId } : {}),
          ...(showCancelled ? {} : { status: 'booked,arrived,fulfilled,noshow' }),
        },
        signal,
      );
      return answer.items;
    },
    [range, locationId, practitionerId, roomId, showCancelled, revision],
  );
  const appointments = useApiQuery(load);

  async function move({ appointment, start, revert }: MovedAppointment) {
    try {
      const moved = await rescheduleAppointment(appointment.id, { startsAt: instantAt(start, zone), version: appointment.version });
      notifications.show({ color: 'teal', message: `Moved ${formatFullName(moved.patient)} to ${formatWhen(moved.startsAt, zone)}.` });
      onChanged();
    } catch (error) {
      revert();
      notifications.show({ color: 'red', title: 'The appointment was not moved', message: errorMessage(error) });
      if (error instanceof ApiError && error.code === 'stale') onChanged();
    }
  }

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end">
        <DateNav date={date} unit={view} />
        <Group gap="sm" align="center">
          <Button variant={showCancelled ? 'light' : 'subtle'} size="xs" aria-pressed={showCancelled} onClick={() => setShowCancelled((v) => !v)}>
            {showCancelled ? 'Hide cancelled' : 'Show cancelled'}
          </Button>
          <SegmentedControl
            aria-label="Calendar view"
            value={view}
            onChange={(value) => updateSearch({ view: value === 'week' ? null : value }, { replace: true })}
            data={[
              { value: 'day', label: 'Day' },
              { value: 'week', label: 'Week' },
            ]}
          />
        </Group>
      </Group>
      <Text fz="sm" c="dimmed" aria-live="polite">
        {view === 'day' ? formatDate(date) : `Week of ${formatDate(weekStart(date))}`} · times in {zone}
        {appointments.status === 'success' && range ? ` · ${appointments.data.length} appointment${appointments.data.length === 1 ? '' : 's'}` : ''}
      </Text>
      {appointments.status === 'error' && <ErrorAlert title="Appointments could not be loaded" error={appointments.error} onRetry={appointments.reload} />}
      <ScheduleCalendar
        view={view}
        date={date}
        zone={zone}
        appointments={appointments.status === 'success' ? appointments.data : []}
        onRangeChange={(next) => setRange((current) => (current?.from === next.from && current.to === next.to ? current : next))}
        onSelectTime={(start) => onBook(instantAt(start, zone))}
        onOpen={onOpen}
        onMove={(m) => void move(m)}
        resizable={false}
      />
    </Stack>
  );
}
