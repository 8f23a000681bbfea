import { sql, type Updateable } from 'kysely';
import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import type { ServiceTable } from '../../server/db/types.ts';

/**
 * The demo clinic's scheduling: rooms, booking rules on its services, who offers what where,
 * weekly hours for every practitioner and the coming public holidays. Deterministic, and done in
 * a few set-based statements, so a clinic of thousands of practitioners is still quick.
 */

const ROOMS: Record<string, string[]> = {
  'Riverside Clinic': ['Exam room 1', 'Exam room 2', 'Procedure room'],
  'Hillcrest Family Practice': ['Exam room 1', 'Exam room 2'],
  'Downtown Eye & Dental': ['Dental chair 1', 'Dental chair 2', 'Eye exam room'],
};
const DEFAULT_ROOMS = ['Room 1', 'Room 2'];

/** Bookable online with two hours' notice, up to 90 days ahead. */
const PUBLIC = { public_booking: true, min_notice_minutes: 120, max_advance_days: 90 } as const;
const USD = (dollars: number) => ({ price_cents: dollars * 100, currency: 'USD' });

const SERVICE_SETTINGS: Record<string, Updateable<ServiceTable>> = {
  'New patient consultation': {
    ...PUBLIC, ...USD(180), eligibility: 'new', buffer_after_minutes: 10, max_future_bookings: 1,
    description: 'A first, longer visit for patients new to the clinic: history, examination and a care plan.',
  },
  'Follow-up visit': { ...PUBLIC, ...USD(95), eligibility: 'established', buffer_after_minutes: 5, max_future_bookings: 3 },
  'Annual physical': { ...PUBLIC, ...USD(150), eligibility: 'established', buffer_before_minutes: 5, max_future_bookings: 1 },
  'Well-child visit': { ...PUBLIC, buffer_after_minutes: 5, max_future_bookings: 2 },
  'Childhood vaccination': {
    public_booking: false, slot_interval_minutes: 15, max_advance_days: 90,
    care_instructions:
      'A sore arm, some redness where the needle went in or a slightly raised temperature for a day or two is common and passes by itself. ' +
      'Plenty of fluids and rest help. Call us if your child seems very unwell or the redness spreads.',
  },
  'Cardiology check-in': { public_booking: false, eligibility: 'established', buffer_after_minutes: 10, max_advance_days: 90 },
  'Dental cleaning': {
    ...PUBLIC, ...USD(120), requires_room: true, buffer_after_minutes: 10, max_future_bookings: 2,
    care_instructions:
      'After your dental cleaning: avoid hot drinks and very cold food for an hour. Your gums may feel tender or bleed a little when you brush ' +
      'for a day or two; keep brushing gently twice a day and floss once a day.',
  },
  'Dental check-up': { ...PUBLIC, ...USD(85), requires_room: true, buffer_after_minutes: 5, max_future_bookings: 2 },
  'Eye exam': {
    ...PUBLIC, ...USD(95), requires_room: true, buffer_before_minutes: 5,
    care_instructions:
      'If your pupils were dilated, your eyes will be sensitive to light and your near vision blurry for four to six hours: ' +
      'wear sunglasses outdoors and do not drive until your vision is back to normal.',
  },
};

const TELEHEALTH = {
  ...PUBLIC, ...USD(60),
  name: 'Telehealth follow-up',
  description: 'A video call to go over results, medication or progress since the last visit.',
  duration_minutes: 20,
  mode: 'video' as const,
  eligibility: 'established' as const,
  max_future_bookings: 2,
};

/** Only these practitioners (as a JSON array parameter), or everyone when `ids` is undefined. */
const among = (ids: string[] | undefined) =>
  ids ? sql<boolean>`p.id in (select value::uuid from json_array_elements_text(${JSON.stringify(ids)}::json))` : sql<boolean>`true`;

/**
 * Sets up scheduling for a demo clinic that has none yet (no weekly hours at all), including an
 * existing clinic seeded before scheduling existed. Later calls only give practitioners created
 * in that call (`newPractitionerIds`) their services and hours, so an admin's changes stay.
 */
export async function ensureDemoScheduling(scope: TenantScope, input: { now: Date; timeZone: string; newPractitionerIds: string[] }): Promise<void> {
  const scheduled = await scope.tx.selectFrom('availability_rule').select('id').limit(1).executeTakeFirst();
  if (scheduled) {
    if (input.newPractitionerIds.length) {
      await offerDepartmentServices(scope, input.newPractitionerIds);
      await addWeeklyHours(scope, input.newPractitionerIds);
    }
    return;
  }
  const rooms = await addRooms(scope);
  for (const [name, settings] of Object.entries(SERVICE_SETTINGS)) {
    await scope.tx.updateTable('service').set(settings).where('name', '=', name).execute();
  }
  await addTelehealth(scope);
  await offerDepartmentServices(scope, undefined);
  const rules = await addWeeklyHours(scope, undefined);
  const holidays = await addHolidays(scope, input.now, input.timeZone);
  await scope.audit({ action: 'demo.scheduling', detail: { rooms, rules, holidays } });
}

async function addRooms(scope: TenantScope): Promise<number> {
  const bare = await scope.tx
    .selectFrom('location as l')
    .select(['l.id', 'l.name'])
    .where((eb) => eb.not(eb.exists(eb.selectFrom('room as r').select('r.id').whereRef('r.location_id', '=', 'l.id'))))
    .execute();
  const rows = bare.flatMap((l) => (ROOMS[l.name] ?? DEFAULT_ROOMS).map((name) => ({ tenant_id: scope.tenantId, location_id: l.id, name })));
  if (rows.length) await scope.tx.insertInto('room').values(rows).execute();
  return rows.length;
}

/** A video service in the first department that offers a new patient consultation (Family Medicine). */
async function addTelehealth(scope: TenantScope): Promise<void> {
  if (await scope.tx.selectFrom('service').select('id').where('name', '=', TELEHEALTH.name).executeTakeFirst()) return;
  const home = await scope.tx
    .selectFrom('service')
    .select('department_id')
    .where('name', '=', 'New patient consultation')
    .where('department_id', 'is not', null)
    .orderBy('created_at')
    .executeTakeFirst();
  if (!home) return;
  await scope.tx.insertInto('service').values({ ...TELEHEALTH, tenant_id: scope.tenantId, department_id: home.department_id }).execute();
}

/** A department's practitioners offer its services, at its location. */
async function offerDepartmentServices(scope: TenantScope, ids: string[] | undefined): Promise<void> {
  await sql`
    insert into service_practitioner (tenant_id, service_id, practitioner_id)
    select s.tenant_id, s.id, p.id
    from service s join practitioner p on p.tenant_id = s.tenant_id and p.department_id = s.department_id
    where ${among(ids)}
    on conflict do nothing`.execute(scope.tx);
  await sql`
    insert into service_location (tenant_id, service_id, location_id)
    select s.tenant_id, s.id, d.location_id
    from service s join department d on d.tenant_id = s.tenant_id and d.id = s.department_id
    on conflict do nothing`.execute(scope.tx);
}

/**
 * Monday to Friday 08:00-12:00 and 13:00-17:00 at the department's location, and every third
 * practitioner (in a stable order) also on Saturday morning. The seeded visits sit on the half
 * hour between 08:00 and 16:30 on weekdays, so they fall inside these hours (or over lunch).
 */
async function addWeeklyHours(scope: TenantScope, ids: string[] | undefined): Promise<number> {
  const result = await sql`
    with staff as (
      select p.id, coalesce(d.location_id, (select l.id from location l order by l.created_at, l.name limit 1)) as location_id,
             row_number() over (order by p.created_at, p.email, p.family_name, p.given_name, p.id) as n
      from practitioner p left join department d on d.tenant_id = p.tenant_id and d.id = p.department_id
      where p.active and ${among(ids)}
    ),
    hours (weekday, start_time, end_time, every) as (
      select w, t.s, t.e, 1 from generate_series(1, 5) as w cross join (values ('08:00'::time, '12:00'::time), ('13:00', '17:00')) as t(s, e)
      union all select 6, '09:00'::time, '12:00'::time, 3
    )
    insert into availability_rule (tenant_id, practitioner_id, location_id, weekday, start_time, end_time)
    select ${scope.tenantId}::uuid, staff.id, staff.location_id, hours.weekday, hours.start_time, hours.end_time
    from staff cross join hours
    where staff.location_id is not null and staff.n % hours.every = 0`.execute(scope.tx);
  return Number(result.numAffectedRows ?? 0);
}

/** Christmas Day and New Year's Day, the next of each from today at the clinic. */
async function addHolidays(scope: TenantScope, now: Date, timeZone: string): Promise<number> {
  const today = DateTime.fromJSDate(now, { zone: timeZone }).toISODate()!;
  const year = Number(today.slice(0, 4));
  const christmas = `${year}-12-25` >= today ? `${year}-12-25` : `${year + 1}-12-25`;
  const newYear = `${year + 1}-01-01`;
  const rows = [
    { date: christmas, name: 'Christmas Day' },
    { date: newYear, name: "New Year's Day" },
  ];
  const result = await scope.tx
    .insertInto('holiday')
    .values(rows.map((h) => ({ ...h, tenant_id: scope.tenantId })))
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}
