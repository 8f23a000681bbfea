import { withTenant } from '../../src/server/db/scope.ts';
import type { Database } from '../../src/server/db/connection.ts';

export type ClinicOptions = {
  timeZone?: string;
  /** Weekly hours: ISO weekday (1 = Monday) with 'HH:MM' times; Monday to Friday 09:00-17:00 by default. */
  hours?: Array<{ weekday: number; start: string; end: string }>;
  practitioners?: number;
  service?: {
    name?: string;
    durationMinutes?: number;
    bufferBeforeMinutes?: number;
    bufferAfterMinutes?: number;
    slotIntervalMinutes?: number | null;
    eligibility?: 'any' | 'new' | 'established';
    minNoticeMinutes?: number;
    maxAdvanceDays?: number | null;
    maxFutureBookings?: number | null;
    requiresRoom?: boolean;
  };
  rooms?: number;
  patients?: number;
};

export type TestClinic = {
  locationId: string;
  timeZone: string;
  practitionerIds: string[];
  serviceId: string;
  roomIds: string[];
  patientIds: string[];
};

const WEEKDAYS_9_TO_5 = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));

/** A location with practitioners, one service they all offer there, weekly hours, rooms and patients. */
export async function createClinic(database: Database, tenantId: string, options: ClinicOptions = {}): Promise<TestClinic> {
  const timeZone = options.timeZone ?? 'America/New_York';
  return withTenant(database.db, { tenantId, actor: { type: 'system', id: null } }, async (scope) => {
    const tx = scope.tx;
    const location = await tx
      .insertInto('location')
      .values({ tenant_id: tenantId, name: `Clinic ${timeZone}`, time_zone: timeZone, address_line: '1 Test Street' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const s = options.service ?? {};
    const service = await tx
      .insertInto('service')
      .values({
        tenant_id: tenantId,
        name: s.name ?? 'Follow-up visit',
        duration_minutes: s.durationMinutes ?? 30,
        buffer_before_minutes: s.bufferBeforeMinutes ?? 0,
        buffer_after_minutes: s.bufferAfterMinutes ?? 0,
        slot_interval_minutes: s.slotIntervalMinutes ?? null,
        eligibility: s.eligibility ?? 'any',
        min_notice_minutes: s.minNoticeMinutes ?? 0,
        max_advance_days: s.maxAdvanceDays ?? null,
        max_future_bookings: s.maxFutureBookings ?? null,
        requires_room: s.requiresRoom ?? false,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx.insertInto('service_location').values({ tenant_id: tenantId, service_id: service.id, location_id: location.id }).execute();
    const practitionerIds: string[] = [];
    for (let i = 0; i < (options.practitioners ?? 1); i++) {
      const p = await tx
        .insertInto('practitioner')
        .values({ tenant_id: tenantId, prefix: 'Dr.', given_name: `Test${i + 1}`, family_name: 'Practitioner' })
        .returning('id')
        .executeTakeFirstOrThrow();
      practitionerIds.push(p.id);
      await tx.insertInto('service_practitioner').values({ tenant_id: tenantId, service_id: service.id, practitioner_id: p.id }).execute();
      const hours = options.hours ?? WEEKDAYS_9_TO_5;
      if (hours.length) {
        await tx
          .insertInto('availability_rule')
          .values(hours.map((h) => ({ tenant_id: tenantId, practitioner_id: p.id, location_id: location.id, weekday: h.weekday, start_time: h.start, end_time: h.end })))
          .execute();
      }
    }
    const roomIds: string[] = [];
    for (let i = 0; i < (options.rooms ?? 0); i++) {
      const room = await tx.insertInto('room').values({ tenant_id: tenantId, location_id: location.id, name: `Room ${i + 1}` }).returning('id').executeTakeFirstOrThrow();
      roomIds.push(room.id);
    }
    const patientIds: string[] = [];
    const count = options.patients ?? 2;
    if (count > 0) {
      const rows = await tx
        .insertInto('patient')
        .values(
          Array.from({ length: count }, (_, i) => ({
            tenant_id: tenantId,
            given_name: `Patient${i + 1}`,
            family_name: 'Scheduling',
            birth_date: '1980-01-01',
            phone: `+1413555${String(1000 + i).padStart(4, '0')}`,
            time_zone: timeZone,
          })),
        )
        .returning('id')
        .execute();
      patientIds.push(...rows.map((r) => r.id));
    }
    return { locationId: location.id, timeZone, practitionerIds, serviceId: service.id, roomIds, patientIds };
  });
}
