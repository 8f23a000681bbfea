import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import { ACTIVE_APPOINTMENT_STATUSES, type ServiceTable } from '../../server/db/types.ts';
import type { Selectable } from 'kysely';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { bookableSlots, localInstant, workingWindows, type Busy, type Window } from './availability.ts';

export type Service = Selectable<ServiceTable>;

export type SlotView = {
  startsAt: string;
  endsAt: string;
  practitionerId: string;
  locationId: string;
  roomId: string | null;
  timeZone: string;
};

export type SlotQuery = {
  serviceId: string;
  /** Local dates at each location, inclusive. */
  from: string;
  to: string;
  practitionerId?: string | undefined;
  locationId?: string | undefined;
  /** The public booking page: only services open to it. */
  publicOnly?: boolean;
};

const DAY = 86_400_000;
export const MAX_SLOT_RANGE_DAYS = 62;

export async function requireService(scope: TenantScope, serviceId: string, field = 'serviceId'): Promise<Service> {
  const service = isUuid(serviceId)
    ? await scope.tx.selectFrom('service').selectAll().where('id', '=', serviceId).executeTakeFirst()
    : undefined;
  if (!service) throw notFound('Service');
  if (!service.active) throw new AppError(400, 'validation_failed', 'The service is no longer offered.', [{ path: field, message: 'is no longer offered' }]);
  return service;
}

/** The earliest and latest start a service's booking rules allow at `now`. */
export function bookingHorizon(service: Service, now: Date): { earliest: number; latest: number } {
  return {
    earliest: now.getTime() + service.min_notice_minutes * 60_000,
    latest: service.max_advance_days ? now.getTime() + service.max_advance_days * DAY : Number.MAX_SAFE_INTEGER,
  };
}

export type Schedule = {
  windows: Window[];
  practitionerBusy: Map<string, Busy>;
  rooms?: Map<string, Array<{ id: string; busy: Busy }>>;
  zones: Map<string, string>;
};

/**
 * Everything slot search and booking checks need for some practitioners at some locations between
 * two local dates: working windows and the time their active appointments (and rooms) are taken.
 */
export async function loadSchedule(
  scope: TenantScope,
  input: {
    practitionerIds: string[];
    locationIds: string[];
    fromDate: string;
    toDate: string;
    withRooms: boolean;
    excludeAppointmentId?: string | undefined;
  },
): Promise<Schedule> {
  const empty: Schedule = { windows: [], practitionerBusy: new Map(), zones: new Map() };
  if (input.practitionerIds.length === 0 || input.locationIds.length === 0) return empty;
  // Instants reaching a day either side of the local dates cover every zone on Earth.
  const rangeStart = new Date(Date.parse(`${input.fromDate}T00:00:00Z`) - DAY);
  const rangeEnd = new Date(Date.parse(`${input.toDate}T00:00:00Z`) + 2 * DAY);

  // One statement, one round trip: each part comes back as JSON.
  const jsonOf = <T>(expression: ReturnType<typeof sql>) => sql<T>`coalesce(json_agg(${expression}), '[]'::json)`;
  // date_part is float arithmetic; extract() would be numeric, several times slower over thousands of rows.
  const epochMs = (column: string) => sql`(date_part('epoch', ${sql.ref(column)}) * 1000)::bigint`;
  const row = await scope.tx
    .selectNoFrom((eb) => [
      eb
        .selectFrom('location')
        .select(jsonOf<Array<[string, string]>>(sql`json_build_array(id, time_zone)`).as('v'))
        .where('id', 'in', input.locationIds)
        .where('active', '=', true)
        .as('locations'),
      eb
        .selectFrom('availability_rule')
        .select(
          jsonOf<Array<[string, string, number, string, string, string | null, string | null]>>(
            sql`json_build_array(practitioner_id, location_id, weekday, start_time, end_time, valid_from, valid_until)`,
          ).as('v'),
        )
        .where('practitioner_id', 'in', input.practitionerIds)
        .where('location_id', 'in', input.locationIds)
        .as('rules'),
      eb
        .selectFrom('availability_exception')
        .select(
          jsonOf<Array<[string, string | null, 'time_off' | 'extra', number, number]>>(
            sql`json_build_array(practitioner_id, location_id, kind, ${epochMs('starts_at')}, ${epochMs('ends_at')})`,
          ).as('v'),
        )
        .where('practitioner_id', 'in', input.practitionerIds)
        .where('starts_at', '<', rangeEnd)
        .where('ends_at', '>', rangeStart)
        .as('exceptions'),
      eb
        .selectFrom('holiday')
        .select(jsonOf<Array<[string, string | null]>>(sql`json_build_array(date, location_id)`).as('v'))
        .where('date', '>=', input.fromDate)
        .where('date', '<=', input.toDate)
        .as('holidays'),
      // Per practitioner, its blocks as 'start,end;start,end' in epoch milliseconds: thousands of
      // rows of timestamps would cost more to parse into Dates than the whole slot computation.
      eb
        .selectFrom((inner) =>
          inner
            .selectFrom('appointment')
            .select([
              'practitioner_id',
              sql<string>`json_build_array(array_agg(${epochMs('block_start')}), array_agg(${epochMs('block_end')}))`.as('blocks'),
            ])
            .where('practitioner_id', 'in', input.practitionerIds)
            .where('status', 'in', ACTIVE_APPOINTMENT_STATUSES)
            // Blocks last a day at most (a check constraint), so this is an index range on block_start.
            .where('block_start', '>', new Date(rangeStart.getTime() - DAY))
            .where('block_start', '<', rangeEnd)
            .$if(Boolean(input.excludeAppointmentId), (q) => q.where('id', '!=', input.excludeAppointmentId!))
            .groupBy('practitioner_id')
            .as('b'),
        )
        .select(sql<Record<string, [number[], number[]]>>`coalesce(json_object_agg(b.practitioner_id, b.blocks), '{}'::json)`.as('v'))
        .as('busy'),
    ])
    .executeTakeFirstOrThrow();
  const parse = <T>(value: T | string | null): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));
  const locations = parse(row.locations) ?? [];
  const zones = new Map(locations.map(([id, zone]) => [id, zone]));
  const windows = workingWindows({
    rules: (parse(row.rules) ?? [])
      .filter(([, locationId]) => zones.has(locationId))
      .map(([practitionerId, locationId, weekday, startTime, endTime, validFrom, validUntil]) => ({
        practitionerId,
        locationId,
        weekday,
        startTime,
        endTime,
        validFrom,
        validUntil,
      })),
    exceptions: (parse(row.exceptions) ?? [])
      .filter(([, locationId, kind]) => kind === 'time_off' || (locationId !== null && zones.has(locationId)))
      .map(([practitionerId, locationId, kind, start, end]) => ({ practitionerId, locationId, kind, start: Number(start), end: Number(end) })),
    holidays: (parse(row.holidays) ?? []).map(([date, locationId]) => ({ date, locationId })),
    zoneOf: (id) => zones.get(id)!,
    fromDate: input.fromDate,
    toDate: input.toDate,
  });
  const practitionerBusy = new Map<string, Busy>(Object.entries(parse(row.busy) ?? {}).map(([id, blocks]) => [id, parseBlocks(blocks)]));
  const schedule: Schedule = { windows, practitionerBusy, zones };
  if (input.withRooms) {
    const rooms = await scope.tx
      .selectFrom('room')
      .select(['id', 'location_id'])
      .where('location_id', 'in', input.locationIds)
      .where('active', '=', true)
      .orderBy('name')
      .execute();
    const roomBusy = rooms.length
      ? await scope.tx
          .selectFrom('appointment')
          .select(['room_id', 'block_start', 'block_end'])
          .where('room_id', 'in', rooms.map((r) => r.id))
          .where('status', 'in', ACTIVE_APPOINTMENT_STATUSES)
          .where('block_start', '>', new Date(rangeStart.getTime() - DAY))
          .where('block_start', '<', rangeEnd)
          .$if(Boolean(input.excludeAppointmentId), (q) => q.where('id', '!=', input.excludeAppointmentId!))
          .orderBy('block_start')
          .execute()
      : [];
    schedule.rooms = new Map();
    for (const room of rooms) {
      const busy = roomBusy
        .filter((b) => b.room_id === room.id)
        .map((b) => [new Date(b.block_start).getTime(), new Date(b.block_end).getTime()] as const);
      const list = schedule.rooms.get(room.location_id) ?? [];
      list.push({ id: room.id, busy });
      schedule.rooms.set(room.location_id, list);
    }
  }
  return schedule;
}

/** [starts, ends] (epoch milliseconds) as pairs sorted by start. */
function parseBlocks([starts, ends]: [number[], number[]]): Array<readonly [number, number]> {
  return starts.map((start, i) => [Number(start), Number(ends[i])] as const).sort((a, b) => a[0] - b[0]);
}

/** Who offers a service where: active practitioners and locations linked to it, narrowed by the query. */
export async function offerings(
  scope: TenantScope,
  serviceId: string,
  narrow: { practitionerId?: string | undefined; locationId?: string | undefined },
): Promise<{ practitionerIds: string[]; locationIds: string[] }> {
  const row = await scope.tx
    .selectNoFrom((eb) => [
      eb
        .selectFrom('service_practitioner as sp')
        .innerJoin('practitioner as p', 'p.id', 'sp.practitioner_id')
        .select(sql<string[]>`coalesce(array_agg(p.id), '{}')`.as('v'))
        .where('sp.service_id', '=', serviceId)
        .where('p.active', '=', true)
        .$if(Boolean(narrow.practitionerId), (q) => q.where('p.id', '=', narrow.practitionerId!))
        .as('practitioners'),
      eb
        .selectFrom('service_location as sl')
        .innerJoin('location as l', 'l.id', 'sl.location_id')
        .select(sql<string[]>`coalesce(array_agg(l.id), '{}')`.as('v'))
        .where('sl.service_id', '=', serviceId)
        .where('l.active', '=', true)
        .$if(Boolean(narrow.locationId), (q) => q.where('l.id', '=', narrow.locationId!))
        .as('locations'),
    ])
    .executeTakeFirstOrThrow();
  return { practitionerIds: row.practitioners ?? [], locationIds: row.locations ?? [] };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a slot query's dates: real calendar dates, in order, at most MAX_SLOT_RANGE_DAYS apart. */
export function checkDateRange(from: string, to: string): void {
  const problems: Array<{ path: string; message: string }> = [];
  for (const [path, value] of [['from', from], ['to', to]] as const) {
    if (!DATE.test(value) || !DateTime.fromISO(value, { zone: 'UTC' }).isValid) problems.push({ path, message: `"${value}" is not a date (YYYY-MM-DD)` });
  }
  if (problems.length) throw new AppError(400, 'validation_failed', `Invalid request: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, problems);
  const days = (Date.parse(to) - Date.parse(from)) / DAY;
  if (days < 0) throw new AppError(400, 'validation_failed', 'Invalid request: to is before from', [{ path: 'to', message: 'is before from' }]);
  if (days >= MAX_SLOT_RANGE_DAYS) {
    throw new AppError(400, 'validation_failed', `Invalid request: a slot search covers at most ${MAX_SLOT_RANGE_DAYS} days`, [
      { path: 'to', message: `is more than ${MAX_SLOT_RANGE_DAYS} days after from` },
    ]);
  }
}

/** Open slots for a service between two local dates, for one practitioner and location or any. */
export async function findSlots(scope: TenantScope, query: SlotQuery, now: Date): Promise<SlotView[]> {
  checkDateRange(query.from, query.to);
  for (const field of ['practitionerId', 'locationId'] as const) {
    const value = query[field];
    if (value !== undefined && !isUuid(value)) throw new AppError(400, 'validation_failed', `Invalid request: ${field} is not an id`, [{ path: field, message: 'is not an id' }]);
  }
  const service = await requireService(scope, query.serviceId);
  if (query.publicOnly && !service.public_booking) throw notFound('Service');
  const offer = await offerings(scope, service.id, query);
  const schedule = await loadSchedule(scope, {
    ...offer,
    fromDate: query.from,
    toDate: query.to,
    withRooms: service.requires_room,
  });
  const horizon = bookingHorizon(service, now);
  const slots = bookableSlots({
    windows: schedule.windows,
    service: {
      durationMinutes: service.duration_minutes,
      bufferBeforeMinutes: service.buffer_before_minutes,
      bufferAfterMinutes: service.buffer_after_minutes,
      slotIntervalMinutes: service.slot_interval_minutes,
    },
    practitionerBusy: schedule.practitionerBusy,
    ...(schedule.rooms ? { rooms: schedule.rooms } : {}),
    earliest: Math.max(now.getTime(), horizon.earliest),
    latest: horizon.latest,
  });
  // The search is by local date at each location: drop slots the day-wide instant range let in.
  const bounds = new Map<string, [number, number]>();
  for (const [id, zone] of schedule.zones) {
    const end = DateTime.fromISO(query.to, { zone }).plus({ days: 1 }).toISODate()!;
    bounds.set(id, [localInstant(query.from, '00:00', zone), localInstant(end, '00:00', zone)]);
  }
  // Practitioners share start times: each instant is formatted once.
  const texts = new Map<number, string>();
  const iso = (ms: number) => {
    let text = texts.get(ms);
    if (text === undefined) texts.set(ms, (text = new Date(ms).toISOString()));
    return text;
  };
  return slots
    .filter((s) => {
      const [first, last] = bounds.get(s.locationId)!;
      return s.start >= first && s.start < last;
    })
    .map((s) => ({
      startsAt: iso(s.start),
      endsAt: iso(s.end),
      practitionerId: s.practitionerId,
      locationId: s.locationId,
      roomId: s.roomId,
      timeZone: schedule.zones.get(s.locationId)!,
    }));
}

/** `now` as a local date in `zone`. */
export function localDate(instant: Date | number, zone: string): string {
  return DateTime.fromMillis(typeof instant === 'number' ? instant : instant.getTime(), { zone }).toISODate()!;
}
