import { DateTime } from 'luxon';

/**
 * When practitioners work, as instants: weekly hours are wall-clock times at a location, turned
 * into instants in that location's zone one local date at a time, so a day with a daylight saving
 * change is as long as it really is. Nothing here depends on the process's own time zone.
 */

export type WeeklyRule = {
  practitionerId: string;
  locationId: string;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** 'HH:MM' or 'HH:MM:SS'; '24:00' ends at midnight. */
  startTime: string;
  endTime: string;
  validFrom: string | null;
  validUntil: string | null;
};

export type Exception = {
  practitionerId: string;
  locationId: string | null;
  kind: 'time_off' | 'extra';
  start: number;
  end: number;
};

export type Holiday = { date: string; locationId: string | null };

/** A stretch of time a practitioner works at a location, in epoch milliseconds, end exclusive. */
export type Window = { practitionerId: string; locationId: string; start: number; end: number };

export type AvailabilityInput = {
  rules: readonly WeeklyRule[];
  exceptions: readonly Exception[];
  holidays: readonly Holiday[];
  zoneOf: (locationId: string) => string;
  /** Local dates, inclusive, in each location's zone. */
  fromDate: string;
  toDate: string;
};

/**
 * Per zone and date, the UTC offset (minutes) at the start of that date and of the next one. Zone
 * rules do not change while the process runs, so this is kept (bounded) across searches.
 */
const dayOffsets = new Map<string, readonly [number, number]>();

function offsetsOf(date: string, zone: string): readonly [number, number] {
  const key = `${zone}|${date}`;
  let value = dayOffsets.get(key);
  if (!value) {
    const start = DateTime.fromISO(date, { zone });
    value = [start.offset, start.plus({ days: 1 }).startOf('day').offset];
    if (dayOffsets.size >= 50_000) dayOffsets.clear();
    dayOffsets.set(key, value);
  }
  return value;
}

/**
 * The instant a wall-clock time on a local date names in `zone`; a time skipped by DST moves
 * forward, a repeated one is its first occurrence. On a day with no change of offset (nearly all)
 * this is arithmetic; on a transition day luxon resolves it.
 */
export function localInstant(date: string, time: string, zone: string): number {
  const [h, m, s] = time.split(':').map(Number) as [number, number, number | undefined];
  const [before, after] = offsetsOf(date, zone);
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  if (h === 24) {
    if (before === after) return Date.UTC(y, mo - 1, d + 1) - after * 60_000;
    return DateTime.fromISO(date, { zone }).plus({ days: 1 }).startOf('day').toMillis();
  }
  if (before === after) return Date.UTC(y, mo - 1, d, h, m, s ?? 0) - before * 60_000;
  return DateTime.fromISO(date, { zone }).set({ hour: h, minute: m, second: s ?? 0, millisecond: 0 }).toMillis();
}

/** Every date from `from` to `to` inclusive ('YYYY-MM-DD') with its ISO weekday, on the calendar alone. */
export function datesBetween(from: string, to: string): Array<{ date: string; weekday: number }> {
  const out: Array<{ date: string; weekday: number }> = [];
  const last = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= last; t += 86_400_000) {
    const d = new Date(t);
    out.push({ date: d.toISOString().slice(0, 10), weekday: d.getUTCDay() === 0 ? 7 : d.getUTCDay() });
  }
  return out;
}

/** Working windows per practitioner and location: weekly hours, less holidays and time off, plus extra hours. */
export function workingWindows(input: AvailabilityInput): Window[] {
  const dates = datesBetween(input.fromDate, input.toDate);
  const closed = new Set(input.holidays.map((h) => `${h.date}|${h.locationId ?? '*'}`));
  // Many practitioners keep the same hours: each wall-clock time is resolved once per date and zone.
  const instants = new Map<string, number>();
  const instant = (date: string, time: string, zone: string) => {
    const key = `${date}|${time}|${zone}`;
    let value = instants.get(key);
    if (value === undefined) instants.set(key, (value = localInstant(date, time, zone)));
    return value;
  };
  const windows: Window[] = [];
  for (const rule of input.rules) {
    const zone = input.zoneOf(rule.locationId);
    for (const { date, weekday } of dates) {
      if (weekday !== rule.weekday) continue;
      if (rule.validFrom && date < rule.validFrom) continue;
      if (rule.validUntil && date > rule.validUntil) continue;
      if (closed.has(`${date}|*`) || closed.has(`${date}|${rule.locationId}`)) continue;
      const start = instant(date, rule.startTime, zone);
      const end = instant(date, rule.endTime, zone);
      if (end > start) windows.push({ practitionerId: rule.practitionerId, locationId: rule.locationId, start, end });
    }
  }
  for (const e of input.exceptions) {
    if (e.kind === 'extra' && e.locationId) {
      windows.push({ practitionerId: e.practitionerId, locationId: e.locationId, start: e.start, end: e.end });
    }
  }
  const timeOff = input.exceptions.filter((e) => e.kind === 'time_off');
  return mergeWindows(windows.flatMap((w) => subtract(w, timeOff.filter((t) => t.practitionerId === w.practitionerId))));
}

function subtract(window: Window, cuts: readonly { start: number; end: number }[]): Window[] {
  let pieces = [window];
  for (const cut of cuts) {
    pieces = pieces.flatMap((p) => {
      if (cut.end <= p.start || cut.start >= p.end) return [p];
      const out: Window[] = [];
      if (cut.start > p.start) out.push({ ...p, end: cut.start });
      if (cut.end < p.end) out.push({ ...p, start: cut.end });
      return out;
    });
  }
  return pieces;
}

/** Ids compared by code unit: stable, and much cheaper than localeCompare. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Overlapping or touching windows of one practitioner at one location become one. */
export function mergeWindows(windows: Window[]): Window[] {
  const sorted = [...windows].sort((a, b) => compare(a.practitionerId, b.practitionerId) || compare(a.locationId, b.locationId) || a.start - b.start);
  const out: Window[] = [];
  for (const w of sorted) {
    const last = out.at(-1);
    if (last && last.practitionerId === w.practitionerId && last.locationId === w.locationId && w.start <= last.end) {
      last.end = Math.max(last.end, w.end);
    } else {
      out.push({ ...w });
    }
  }
  return out;
}

/** Busy time of one resource, sorted by start, as [start, end) pairs in epoch milliseconds. */
export type Busy = ReadonlyArray<readonly [number, number]>;

/** Whether [start, end) overlaps anything in `busy` (sorted by start). */
export function overlapsBusy(busy: Busy, start: number, end: number): boolean {
  // Binary search for the first interval starting at or after `end`; only those before it can overlap.
  let lo = 0;
  let hi = busy.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (busy[mid]![0] < end) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo - 1; i >= 0; i--) {
    const [s, e] = busy[i]!;
    if (e > start && s < end) return true;
    // Intervals are bounded (a day at most), so far earlier ones cannot reach `start`.
    if (s < start - 86_400_000) break;
  }
  return false;
}

export type SlotService = {
  durationMinutes: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  slotIntervalMinutes: number | null;
};

export type Slot = { start: number; end: number; practitionerId: string; locationId: string; roomId: string | null };

export type SlotInput = {
  windows: readonly Window[];
  service: SlotService;
  /** Busy time per practitioner (their active appointments' blocks). */
  practitionerBusy: ReadonlyMap<string, Busy>;
  /** When the service needs a room: the active rooms per location, with their busy time. */
  rooms?: ReadonlyMap<string, ReadonlyArray<{ id: string; busy: Busy }>>;
  /** No slot starts before this instant or after `latest` (notice and advance rules, the past). */
  earliest: number;
  latest: number;
};

/**
 * Bookable slots: start times stepped through each working window in real elapsed time from the
 * window's start (so a DST change neither skips nor repeats one), the visit inside the window, its
 * blocked time (visit plus buffers) clear of the practitioner's other appointments, and a room free
 * when the service needs one.
 */
export function bookableSlots(input: SlotInput): Slot[] {
  const minute = 60_000;
  const duration = input.service.durationMinutes * minute;
  const step = (input.service.slotIntervalMinutes ?? input.service.durationMinutes) * minute;
  const before = input.service.bufferBeforeMinutes * minute;
  const after = input.service.bufferAfterMinutes * minute;
  const slots: Slot[] = [];
  for (const w of input.windows) {
    const busy = input.practitionerBusy.get(w.practitionerId) ?? [];
    const rooms = input.rooms?.get(w.locationId);
    for (let start = w.start; start + duration <= w.end; start += step) {
      if (start < input.earliest) continue;
      if (start > input.latest) break;
      const end = start + duration;
      if (overlapsBusy(busy, start - before, end + after)) continue;
      let roomId: string | null = null;
      if (rooms) {
        const room = rooms.find((r) => !overlapsBusy(r.busy, start - before, end + after));
        if (!room) continue;
        roomId = room.id;
      }
      slots.push({ start, end, practitionerId: w.practitionerId, locationId: w.locationId, roomId });
    }
  }
  return slots.sort((a, b) => a.start - b.start || compare(a.practitionerId, b.practitionerId));
}
