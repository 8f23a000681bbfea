import { sql, type Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { withSystem, withTenant, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { fireTrigger, journeysFor } from './engine.ts';
import type { Trigger } from './schema.ts';

/**
 * Triggers that come from the calendar rather than from an event: medication dose times and
 * dates reached (an invoice's due date, a birthday, a date custom field). A job runs this every
 * few minutes and starts the runs due within the horizon; each run's occurrence names its dose
 * or date, so running it again (or in two workers) starts nothing twice.
 */

export const HORIZON_HOURS = 36;

export type PlanResult = { tenants: number; runs: number };

export async function planScheduledTriggers(db: Kysely<DB>, now: Date): Promise<PlanResult> {
  const tenants = await withSystem(db, async (tx) => {
    const rows = await tx
      .selectFrom('journey')
      .select('tenant_id')
      .distinct()
      .where('enabled', '=', true)
      .where(sql<boolean>`trigger->>'type' in ('medication.dose', 'date.reached')`)
      .execute();
    return rows.map((r) => r.tenant_id);
  });
  let runs = 0;
  for (const tenantId of tenants) {
    runs += await withTenant(db, { tenantId, actor: { type: 'system', id: null } }, async (scope) => {
      return (await planDoses(scope, now)) + (await planDates(scope, now));
    });
  }
  return { tenants: tenants.length, runs };
}

/** Every dose time (in the patient's zone) from a few minutes ago to the horizon. */
export async function planDoses(scope: TenantScope, now: Date): Promise<number> {
  const journeys = await journeysFor(scope, 'medication.dose');
  if (!journeys.length) return 0;
  const until = new Date(now.getTime() + HORIZON_HOURS * 3600_000);
  const from = new Date(now.getTime() - 10 * 60_000);
  const reminders = await scope.tx
    .selectFrom('medication_reminder as m')
    .innerJoin('patient as p', 'p.id', 'm.patient_id')
    .innerJoin('tenant as t', 't.id', 'm.tenant_id')
    .select(['m.id', 'm.patient_id', 'm.times_of_day', 'm.start_date', 'm.end_date', 'p.time_zone', 't.time_zone as tenant_zone'])
    .where('m.active', '=', true)
    .where('m.end_date', '>=', DateTime.fromJSDate(now, { zone: 'UTC' }).minus({ days: 1 }).toISODate()!)
    .execute();
  let created = 0;
  for (const r of reminders) {
    const zone = r.time_zone ?? r.tenant_zone;
    for (const instant of doseInstants(r, zone, from, until)) {
      created += await fireTrigger(
        scope,
        {
          type: 'medication.dose',
          patientId: r.patient_id,
          subject: { type: 'medication_reminder', id: r.id },
          occurrence: `${r.id}@${DateTime.fromJSDate(instant, { zone }).toISO({ includeOffset: false })}`,
          at: instant,
        },
        now,
        journeys,
      );
    }
  }
  return created;
}

/** Dose instants between `from` and `until`: each time of day on each date in range, in `zone`. */
export function doseInstants(r: { times_of_day: string[]; start_date: string; end_date: string }, zone: string, from: Date, until: Date): Date[] {
  const instants: Date[] = [];
  let day = DateTime.fromJSDate(from, { zone }).startOf('day');
  const last = DateTime.fromJSDate(until, { zone }).startOf('day');
  while (day <= last) {
    const date = day.toISODate()!;
    if (date >= r.start_date && date <= r.end_date) {
      for (const time of r.times_of_day) {
        const [hour, minute] = time.split(':').map(Number);
        // A dose time inside a DST gap happens at the first real minute after it.
        const at = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: hour!, minute: minute! }, { zone }).toJSDate();
        if (at >= from && at < until) instants.push(at);
      }
    }
    day = day.plus({ days: 1 });
  }
  return instants;
}

async function planDates(scope: TenantScope, now: Date): Promise<number> {
  const journeys = await journeysFor(scope, 'date.reached');
  let created = 0;
  for (const journey of journeys) {
    const trigger = journey.trigger as Extract<Trigger, { type: 'date.reached' }>;
    for (const hit of await datesReached(scope, trigger, now)) {
      created += await fireTrigger(scope, { type: 'date.reached', ...hit }, now, [journey]);
    }
  }
  return created;
}

type Hit = { patientId: string; subject: { type: string; id: string } | null; occurrence: string; at: Date };

/**
 * Subjects whose date (plus the offset) is today or tomorrow in the patient's zone, at the
 * trigger's time of day. A moment already past today still fires (the job may have been down),
 * but nothing older than a day does.
 */
async function datesReached(scope: TenantScope, trigger: Extract<Trigger, { type: 'date.reached' }>, now: Date): Promise<Hit[]> {
  const tenant = await scope.tx.selectFrom('tenant').select('time_zone').where('id', '=', scope.tenantId).executeTakeFirstOrThrow();
  const days = [-1, 0, 1].map((d) => DateTime.fromJSDate(now, { zone: tenant.time_zone }).plus({ days: d }).toISODate()!);
  // The stored date that lands on each of those days once the offset is added.
  const sourceDates = days.map((d) => DateTime.fromISO(d).minus({ days: trigger.offsetDays }).toISODate()!);
  const hits: Hit[] = [];
  const at = (date: string, zone: string) => {
    const [hour, minute] = trigger.at.split(':').map(Number);
    return DateTime.fromISO(date, { zone }).plus({ days: trigger.offsetDays }).set({ hour: hour!, minute: minute! }).toJSDate();
  };
  const keep = (instant: Date) => instant.getTime() > now.getTime() - 86_400_000 && instant.getTime() < now.getTime() + HORIZON_HOURS * 3600_000;
  if (trigger.field === 'invoice.dueOn') {
    const rows = await scope.tx
      .selectFrom('invoice as i')
      .innerJoin('patient as p', 'p.id', 'i.patient_id')
      .select(['i.id', 'i.patient_id', 'i.due_on', 'p.time_zone'])
      .where('i.status', '=', 'open')
      .where('i.balance_cents', '>', 0)
      .where('i.due_on', 'in', sourceDates)
      .execute();
    for (const r of rows) {
      const instant = at(r.due_on, r.time_zone ?? tenant.time_zone);
      if (keep(instant)) hits.push({ patientId: r.patient_id, subject: { type: 'invoice', id: r.id }, occurrence: `${r.id}@${r.due_on}`, at: instant });
    }
    return hits;
  }
  if (trigger.field === 'patient.birthDate') {
    // In a year without 29 February, a birthday on that day is kept on the 28th.
    const leapDayOn = (date: string) => date.slice(5) === '02-28' && !DateTime.fromISO(date).isInLeapYear;
    const sameDay = (date: string, birthDate: string) => date.slice(5) === birthDate.slice(5) || (birthDate.slice(5) === '02-29' && leapDayOn(date));
    const monthDays = sourceDates.flatMap((d) => (leapDayOn(d) ? [d.slice(5), '02-29'] : [d.slice(5)]));
    const rows = await scope.tx
      .selectFrom('patient')
      .select(['id', 'birth_date', 'time_zone'])
      .where('archived_at', 'is', null)
      .where('merged_into_id', 'is', null)
      .where(sql<string>`to_char(birth_date, 'MM-DD')`, 'in', monthDays)
      .execute();
    for (const r of rows) {
      const source = sourceDates.find((d) => sameDay(d, r.birth_date!))!;
      const instant = at(source, r.time_zone ?? tenant.time_zone);
      if (keep(instant)) hits.push({ patientId: r.id, subject: { type: 'patient', id: r.id }, occurrence: `${r.id}@${source}`, at: instant });
    }
    return hits;
  }
  const key = trigger.field.slice('custom.'.length);
  const rows = await scope.tx
    .selectFrom('patient')
    .select(['id', 'time_zone', sql<string>`custom_fields->>${key}`.as('date')])
    .where('archived_at', 'is', null)
    .where('merged_into_id', 'is', null)
    .where(sql<string>`custom_fields->>${key}`, 'in', sourceDates)
    .execute();
  for (const r of rows) {
    const instant = at(r.date, r.time_zone ?? tenant.time_zone);
    if (keep(instant)) hits.push({ patientId: r.id, subject: { type: 'patient', id: r.id }, occurrence: `${r.id}@${key}@${r.date}`, at: instant });
  }
  return hits;
}
