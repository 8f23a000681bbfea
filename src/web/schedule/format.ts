import { DateTime } from 'luxon';
import type { AppointmentStatus, Practitioner } from '../api/schedule.ts';

/** Times at a location, in its own zone whatever the browser's zone is. */

const formats = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${zone}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(undefined, { ...options, timeZone: zone });
    formats.set(key, format);
  }
  return format;
}

/** "09:30" at the zone. */
export function formatTime(iso: string, zone: string): string {
  return formatter(zone, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

/** "Tue, 14 Jan 2026" at the zone. */
export function formatDay(iso: string, zone: string): string {
  return formatter(zone, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(iso));
}

/** "Tue, 14 Jan 2026 09:30" at the zone. */
export function formatWhen(iso: string, zone: string): string {
  return `${formatDay(iso, zone)} ${formatTime(iso, zone)}`;
}

/** "Tue, 14 Jan 2026, 09:30–09:50" at the zone. */
export function formatRange(startsAt: string, endsAt: string, zone: string): string {
  return `${formatDay(startsAt, zone)}, ${formatTime(startsAt, zone)}–${formatTime(endsAt, zone)}`;
}

/** The zone's short name at that moment ("EST", "GMT+1"), so a reader in another zone is not misled. */
export function zoneAbbreviation(iso: string, zone: string): string {
  const part = formatter(zone, { timeZoneName: 'short' })
    .formatToParts(new Date(iso))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? zone;
}

/** The calendar date (YYYY-MM-DD) of an instant at the zone. */
export function dateAt(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toISODate() ?? iso.slice(0, 10);
}

/** Today's date at the zone. */
export function todayAt(zone: string): string {
  return DateTime.now().setZone(zone).toISODate() ?? DateTime.now().toISODate()!;
}

/** A date plus some days, as YYYY-MM-DD (calendar arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() ?? date;
}

/** The Monday of the week a date is in, as YYYY-MM-DD. */
export function weekStart(date: string): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).startOf('week').toISODate() ?? date;
}

/** A calendar date (YYYY-MM-DD) written out: "Tue, 14 Jan 2026". */
export function formatDate(date: string): string {
  return formatDay(`${date}T12:00:00Z`, 'UTC');
}

/** "YYYY-MM-DDTHH:mm" (a datetime-local input) read as wall-clock time at the zone, as an ISO instant with offset. */
export function wallClockToInstant(local: string, zone: string): string | null {
  if (!local) return null;
  const value = DateTime.fromISO(local, { zone });
  return value.isValid ? value.toISO({ suppressMilliseconds: true }) : null;
}

/** An instant as "YYYY-MM-DDTHH:mm" at the zone, for a datetime-local input. */
export function instantToWallClock(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { zone }).toFormat("yyyy-LL-dd'T'HH:mm");
}

/** An instant with the zone's offset ("2026-03-04T09:30:00-05:00"), as the API takes it. */
export function instantAt(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toISO({ suppressMilliseconds: true }) ?? date.toISOString();
}

/** The start and end (exclusive) of a calendar day at a zone, as ISO instants. */
export function dayBounds(date: string, zone: string): { from: string; to: string } {
  const start = DateTime.fromISO(date, { zone }).startOf('day');
  return { from: start.toISO()!, to: start.plus({ days: 1 }).toISO()! };
}

export function practitionerName(p: Practitioner): string {
  if (p.name) return p.name;
  return [p.prefix, p.givenName, p.familyName].filter(Boolean).join(' ') || 'Unnamed practitioner';
}

export const STATUS: Record<AppointmentStatus, { label: string; color: string }> = {
  booked: { label: 'Booked', color: 'blue' },
  arrived: { label: 'Checked in', color: 'teal' },
  fulfilled: { label: 'Completed', color: 'gray' },
  cancelled: { label: 'Cancelled', color: 'red' },
  noshow: { label: 'No-show', color: 'orange' },
};

export const statusLabel = (status: string): string => STATUS[status as AppointmentStatus]?.label ?? status;
export const statusColor = (status: string): string => STATUS[status as AppointmentStatus]?.color ?? 'gray';

/** Active appointments still hold their time; the others are history. */
export const isActive = (status: AppointmentStatus): boolean => status === 'booked' || status === 'arrived';
