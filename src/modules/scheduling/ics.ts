import ical, { escape, ICalCalendarMethod, ICalEventClass, ICalEventStatus, ICalEventTransparency } from 'ical-generator';
import { DateTime, IANAZone } from 'luxon';
import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';
import type { AppointmentStatus } from '../../server/db/types.ts';

/**
 * iCalendar (RFC 5545) text for appointments: a patient's download of one booking, and a
 * practitioner's private subscription feed. Pure: everything the file says comes in as arguments.
 *
 * Times are written as wall-clock times at the location with its TZID, and the calendar carries a
 * VTIMEZONE for every zone it uses, so Google, Apple and Outlook show the visit at the right hour
 * whatever zone the reader is in, across daylight saving changes.
 */

export type CalendarAppointment = {
  id: string;
  /** Raised on every change; calendar apps replace an event only when SEQUENCE goes up. */
  version: number;
  status: AppointmentStatus;
  startsAt: Date;
  endsAt: Date;
  serviceName: string;
  practitionerName: string;
  /** How the practitioner knows the patient (preferred or given name and family name). */
  patientName: string;
  location: { name: string; address: string | null; phone: string | null; timeZone: string };
  createdAt: Date;
  updatedAt: Date;
};

export type CalendarOptions = {
  /**
   * Whose calendar this is. `patient`: the patient's own file (SUMMARY names the service and the
   * practitioner). `practitioner`: the practitioner's private calendar (SUMMARY names the patient).
   */
  audience: 'patient' | 'practitioner';
  /**
   * Set for a subscription feed: METHOD:PUBLISH, the calendar's name, how often to refresh, and
   * when it was produced (its DTSTAMP). Without it the file is a plain download with no METHOD,
   * whose DTSTAMP is, as RFC 5545 asks, when each appointment was last changed.
   */
  feed?: { name: string; refreshMinutes: number; publishedAt: Date } | undefined;
};

export const APPOINTMENT_UID_DOMAIN = 'rapport';

/** The UID of an appointment's event: the same in every file and feed, so apps update, not duplicate. */
export const appointmentUid = (appointmentId: string) => `${appointmentId}@${APPOINTMENT_UID_DOMAIN}`;

const STATUS_LABEL: Record<AppointmentStatus, string> = {
  booked: 'Booked',
  arrived: 'Checked in',
  fulfilled: 'Completed',
  noshow: 'No-show',
  cancelled: 'Cancelled',
};

/** Builds one VCALENDAR holding an event per appointment. */
export function appointmentCalendar(appointments: readonly CalendarAppointment[], options: CalendarOptions): string {
  const calendar = ical({
    prodId: { company: 'Rapport', product: 'Rapport Scheduling', language: 'EN' },
    scale: 'GREGORIAN',
    // No calendar-wide zone (each event names its own); the generator adds each zone's VTIMEZONE.
    timezone: { name: null, generator: (tzid) => vtimezoneByTzid.get(tzid) ?? null },
  });
  if (options.feed) {
    calendar.method(ICalCalendarMethod.PUBLISH);
    // ical-generator writes NAME and X-WR-CALNAME unescaped; TEXT values need , ; \ and newlines escaped.
    calendar.name(escape(oneLine(options.feed.name), false));
    calendar.ttl(options.feed.refreshMinutes * 60);
  }
  for (const appointment of appointments) addEvent(calendar, appointment, options);
  // Every content line ends in CRLF, the last one too (RFC 5545, 3.4); the library omits that one.
  return `${calendar.toString()}\r\n`;
}

function addEvent(calendar: ReturnType<typeof ical>, a: CalendarAppointment, options: CalendarOptions): void {
  const tzid = calendarZone(a.location.timeZone);
  // Luxon, not Date: ical-generator formats a native Date with a TZID in the process's own zone.
  const at = (d: Date) => DateTime.fromJSDate(d, { zone: tzid ?? 'UTC' });
  const cancelled = a.status === 'cancelled';
  const practitionerView = options.audience === 'practitioner';
  calendar.createEvent({
    id: appointmentUid(a.id),
    sequence: a.version,
    stamp: options.feed?.publishedAt ?? a.updatedAt,
    created: a.createdAt,
    lastModified: a.updatedAt,
    start: at(a.startsAt),
    end: at(a.endsAt),
    timezone: tzid,
    summary: oneLine(
      practitionerView ? `${a.serviceName}: ${a.patientName}` : `${a.serviceName} with ${a.practitionerName}`,
    ),
    location: oneLine([a.location.name, a.location.address].filter(Boolean).join(', ')),
    description: describe(a, practitionerView),
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    // A cancelled visit no longer takes the time in free/busy look-ups.
    transparency: cancelled ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
    // The practitioner's feed names patients: ask apps not to show details to people it is shared with.
    class: practitionerView ? ICalEventClass.PRIVATE : null,
  });
}

function describe(a: CalendarAppointment, practitionerView: boolean): string | null {
  if (practitionerView) return `Status: ${STATUS_LABEL[a.status]}`;
  const lines = [`${a.serviceName} with ${a.practitionerName}`, `${a.location.name}${a.location.address ? `, ${a.location.address}` : ''}`];
  if (a.location.phone) lines.push(`Phone: ${a.location.phone}`);
  if (a.status === 'cancelled') lines.push('This appointment was cancelled.');
  return lines.join('\n');
}

const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ').trim();

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Etc/Zulu', 'Universal', 'Zulu']);
const tzlibZones = new Set(tzlib_get_timezones() as string[]);
/** IANA name (as stored) -> TZID written (tzlib's canonical name), or null for UTC. */
const zoneCache = new Map<string, string | null>();
const vtimezoneByTzid = new Map<string, string>();

/**
 * The TZID an event at a location in `zone` is written with, its VTIMEZONE remembered for the
 * generator; null means the times are written in UTC (a UTC location, or a zone no VTIMEZONE is
 * known for: the instant stays right, only the zone label is lost).
 */
export function calendarZone(zone: string): string | null {
  const cached = zoneCache.get(zone);
  if (cached !== undefined) return cached;
  let tzid: string | null = null;
  // tzlib also resolves old aliases (Asia/Calcutta); the membership check keeps it from logging on a miss.
  if (!UTC_ZONES.has(zone) && IANAZone.isValidZone(zone) && tzlibZones.has(zone)) {
    const found = tzlib_get_ical_block(zone);
    if (Array.isArray(found) && found[0] && found[1]?.startsWith('TZID=')) {
      tzid = found[1].slice('TZID='.length);
      vtimezoneByTzid.set(tzid, found[0]);
    }
  }
  zoneCache.set(zone, tzid);
  return tzid;
}
