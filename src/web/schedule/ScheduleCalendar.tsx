import { useEffect, useRef } from 'react';
import type { DateSelectArg, DatesSetArg, EventClickArg, EventContentArg, EventDropArg, EventInput } from '@fullcalendar/core';
import interactionPlugin from '@fullcalendar/interaction';
import type { EventResizeDoneArg } from '@fullcalendar/interaction';
import luxonPlugin from '@fullcalendar/luxon3';
import FullCalendar from '@fullcalendar/react';
import timeGridPlugin from '@fullcalendar/timegrid';
import type { Appointment } from '../api/schedule.ts';
import { formatFullName } from '../patients/format.ts';
import { statusLabel } from './format.ts';

export type CalendarView = 'day' | 'week';

const VIEW_NAME: Record<CalendarView, string> = { day: 'timeGridDay', week: 'timeGridWeek' };

/** Status colours as Mantine's palette, so the calendar matches the badges. */
const EVENT_COLOR: Record<string, { bg: string; border: string; text: string }> = {
  booked: { bg: 'var(--mantine-color-blue-6)', border: 'var(--mantine-color-blue-7)', text: 'white' },
  arrived: { bg: 'var(--mantine-color-teal-7)', border: 'var(--mantine-color-teal-8)', text: 'white' },
  fulfilled: { bg: 'var(--mantine-color-gray-3)', border: 'var(--mantine-color-gray-5)', text: 'var(--mantine-color-gray-9)' },
  noshow: { bg: 'var(--mantine-color-orange-1)', border: 'var(--mantine-color-orange-6)', text: 'var(--mantine-color-orange-9)' },
  cancelled: { bg: 'var(--mantine-color-red-0)', border: 'var(--mantine-color-red-4)', text: 'var(--mantine-color-red-9)' },
};

export interface MovedAppointment {
  appointment: Appointment;
  start: Date;
  end: Date;
  /** Puts the event back where it was (the server refused the move). */
  revert: () => void;
}

interface ScheduleCalendarProps {
  view: CalendarView;
  /** YYYY-MM-DD at the zone. */
  date: string;
  /** The shown location's IANA zone: every time on the calendar is wall-clock time there. */
  zone: string;
  appointments: Appointment[];
  onRangeChange: (range: { from: string; to: string }) => void;
  onSelectTime: (start: Date, end: Date) => void;
  onOpen: (appointment: Appointment) => void;
  onMove: (move: MovedAppointment) => void;
  /** Whether an appointment's length can be changed by dragging its end. */
  resizable: boolean;
}

function toEvent(appointment: Appointment): EventInput {
  const color = EVENT_COLOR[appointment.status] ?? EVENT_COLOR.booked!;
  return {
    id: appointment.id,
    title: `${formatFullName(appointment.patient)} · ${appointment.service.name}`,
    start: appointment.startsAt,
    end: appointment.endsAt,
    backgroundColor: color.bg,
    borderColor: color.border,
    textColor: color.text,
    // Only a booked appointment can be moved (the server refuses the rest).
    startEditable: appointment.status === 'booked',
    classNames: appointment.status === 'cancelled' ? ['rapport-cancelled'] : [],
    extendedProps: { appointment },
  };
}

function EventBody({ event, timeText }: EventContentArg) {
  const appointment = event.extendedProps.appointment as Appointment | undefined;
  // The outline of a time being selected is an event too, with no appointment behind it.
  if (!appointment) return <div style={{ fontSize: 12 }}>{timeText}</div>;
  return (
    <div
      style={{ overflow: 'hidden', lineHeight: 1.25, fontSize: 12, textDecoration: appointment.status === 'cancelled' ? 'line-through' : undefined }}
      aria-label={`${formatFullName(appointment.patient)}, ${appointment.service.name} with ${appointment.practitioner.name}, ${timeText}, ${statusLabel(appointment.status)}`}
    >
      <div style={{ fontWeight: 600 }}>{formatFullName(appointment.patient)}</div>
      <div>
        {timeText} · {appointment.service.name}
      </div>
      <div>{appointment.practitioner.name}</div>
    </div>
  );
}

/** Day or week of appointments in the location's zone: select a time to book, drag to move, click to open. */
export function ScheduleCalendar(props: ScheduleCalendarProps) {
  const { view, date, zone, appointments, onRangeChange, onSelectTime, onOpen, onMove, resizable } = props;
  const calendar = useRef<FullCalendar>(null);

  // Navigation is driven by the page's address; the calendar follows it.
  useEffect(() => {
    calendar.current?.getApi().changeView(VIEW_NAME[view], date);
  }, [view, date]);

  const moved = (info: EventDropArg | EventResizeDoneArg) => {
    const appointment = info.event.extendedProps.appointment as Appointment | undefined;
    if (!appointment || !info.event.start || !info.event.end) {
      info.revert();
      return;
    }
    onMove({ appointment, start: info.event.start, end: info.event.end, revert: info.revert });
  };

  return (
    <div role="region" aria-label="Calendar">
      <FullCalendar
        ref={calendar}
        plugins={[timeGridPlugin, interactionPlugin, luxonPlugin]}
        initialView={VIEW_NAME[view]}
        initialDate={date}
        timeZone={zone}
        headerToolbar={false}
        firstDay={1}
        height={720}
        scrollTime="07:00:00"
        slotDuration="00:15:00"
        slotLabelInterval="01:00"
        nowIndicator
        allDaySlot={false}
        selectable
        selectMirror
        editable
        eventDurationEditable={resizable}
        events={appointments.map(toEvent)}
        eventContent={(arg) => <EventBody {...arg} />}
        datesSet={(info: DatesSetArg) => onRangeChange({ from: info.start.toISOString(), to: info.end.toISOString() })}
        select={(info: DateSelectArg) => {
          onSelectTime(info.start, info.end);
          info.view.calendar.unselect();
        }}
        eventClick={(info: EventClickArg) => {
          info.jsEvent.preventDefault();
          const appointment = info.event.extendedProps.appointment as Appointment | undefined;
          if (appointment) onOpen(appointment);
        }}
        eventDrop={moved}
        eventResize={moved}
      />
    </div>
  );
}
