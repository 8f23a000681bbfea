import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, notFound, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { stopPendingMessages } from '../messaging/outbox.ts';
import { channelLabel } from '../messaging/policy.ts';
import type { Channel } from '../messaging/types.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { sendSteps, storedJourneys } from './usage.ts';

/**
 * Medication reminders: dose times of day in the patient's own zone, from a start date to an end
 * date, sent by the clinic's medication journey. Stopping one (or changing its times) stops the
 * reminders already planned for doses that no longer exist.
 */

export type MedicationReminder = {
  id: string;
  patientId: string;
  medication: string;
  instructions: string | null;
  /** 'HH:MM' in the patient's zone. */
  timesOfDay: string[];
  startDate: string;
  endDate: string;
  channel: Channel;
  active: boolean;
  /** The zone the times are read in (the patient's, else the clinic's). */
  timeZone: string;
  createdAt: string;
};

export type NewMedicationReminder = {
  medication: string;
  instructions?: string | null | undefined;
  timesOfDay: string[];
  startDate: string;
  endDate: string;
  channel?: Channel | undefined;
};

export type MedicationReminderChange = {
  medication?: string | undefined;
  instructions?: string | null | undefined;
  timesOfDay?: string[] | undefined;
  endDate?: string | undefined;
  channel?: Channel | undefined;
  /** false stops the reminder for good. */
  active?: false | undefined;
};

const COLUMNS = ['id', 'patient_id', 'medication', 'instructions', 'times_of_day', 'start_date', 'end_date', 'channel', 'active', 'created_at'] as const;
type Row = { id: string; patient_id: string; medication: string; instructions: string | null; times_of_day: string[]; start_date: string; end_date: string; channel: Channel; active: boolean; created_at: Date };

const hhmm = (t: string) => t.slice(0, 5);
const present = (r: Row, timeZone: string): MedicationReminder => ({
  id: r.id,
  patientId: r.patient_id,
  medication: r.medication,
  instructions: r.instructions,
  timesOfDay: r.times_of_day.map(hhmm).sort(),
  startDate: r.start_date,
  endDate: r.end_date,
  channel: r.channel,
  active: r.active,
  timeZone,
  createdAt: r.created_at.toISOString(),
});

/** The patient (404 when not of this clinic or merged away) and the zone their reminders are in. */
export async function carePatient(scope: TenantScope, patientId: string, forWrite: boolean) {
  const row = isUuid(patientId)
    ? await scope.tx
        .selectFrom('patient as p')
        .innerJoin('tenant as t', 't.id', 'p.tenant_id')
        .select(['p.id', 'p.time_zone', 't.time_zone as tenant_zone', 'p.archived_at', 'p.merged_into_id', 'p.lifecycle_status'])
        .where('p.id', '=', patientId)
        .executeTakeFirst()
    : undefined;
  if (!row || row.merged_into_id) throw notFound('Patient');
  if (forWrite && row.archived_at) throw new AppError(409, 'archived', 'This patient record is archived; restore it first.');
  if (forWrite && row.lifecycle_status === 'deceased') throw new AppError(409, 'deceased', 'This patient is recorded as deceased.');
  return { id: row.id, zone: row.time_zone ?? row.tenant_zone };
}

/** The patient's reminders, active first, and the zone their times are read in. */
export async function listMedicationReminders(scope: TenantScope, patientId: string): Promise<{ items: MedicationReminder[]; timeZone: string }> {
  const patient = await carePatient(scope, patientId, false);
  const rows = await scope.tx.selectFrom('medication_reminder').select(COLUMNS).where('patient_id', '=', patient.id).orderBy('active', 'desc').orderBy('created_at', 'desc').execute();
  await scope.audit({ action: 'patient.medication_reminders.read', entityType: 'patient', entityId: patient.id, patientId: patient.id, detail: { returned: rows.length } });
  return { items: rows.map((r) => present(r, patient.zone)), timeZone: patient.zone };
}

/** Dates and times that make sense together: start before end, end not past and within two years. */
function checkSchedule(s: { startDate: string; endDate: string; timesOfDay: string[] }, today: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (s.endDate < s.startDate) problems.push({ path: 'endDate', message: `must not be before startDate (${s.startDate})` });
  if (s.endDate < today) problems.push({ path: 'endDate', message: `must not be in the past (today is ${today} in the patient's time zone)` });
  const limit = DateTime.fromISO(today).plus({ years: 2 }).toISODate()!;
  if (s.endDate > limit) problems.push({ path: 'endDate', message: `must be within two years (by ${limit}); set a new reminder after that` });
  const times = s.timesOfDay.map(hhmm);
  const twice = times.filter((t, i) => times.indexOf(t) !== i);
  if (twice.length) problems.push({ path: 'timesOfDay', message: `lists ${[...new Set(twice)].join(', ')} more than once` });
  return problems;
}

/** The medication journeys switched on must have a template for the channel the reminder goes by. */
async function checkChannel(scope: TenantScope, channel: Channel): Promise<FieldProblem[]> {
  const journeys = (await storedJourneys(scope)).filter((j) => j.enabled && j.trigger.type === 'medication.dose');
  const keys = [...new Set(journeys.flatMap((j) => sendSteps(j.steps).map((s) => s.step.template)))];
  if (!keys.length) return [];
  const have = new Set((await scope.tx.selectFrom('message_template').select('key').where('key', 'in', keys).where('channel', '=', channel).execute()).map((t) => t.key));
  const missing = keys.filter((k) => !have.has(k));
  return missing.length
    ? [{ path: 'channel', message: `cannot be ${channelLabel(channel)}: there is no ${channelLabel(channel)} template ${missing.map((k) => `"${k}"`).join(', ')} for the medication journey` }]
    : [];
}

const todayIn = (zone: string, now: Date) => DateTime.fromJSDate(now, { zone }).toISODate()!;
const describeTimes = (times: string[]) => times.map(hhmm).sort().join(', ');

export async function addMedicationReminder(scope: TenantScope, patientId: string, input: NewMedicationReminder, now: Date): Promise<MedicationReminder> {
  const patient = await carePatient(scope, patientId, true);
  const channel = input.channel ?? 'sms';
  const problems = [...checkSchedule(input, todayIn(patient.zone, now)), ...(await checkChannel(scope, channel))];
  if (problems.length) throw validationFailed(problems);
  const row = await scope.tx
    .insertInto('medication_reminder')
    .values({
      tenant_id: scope.tenantId,
      patient_id: patient.id,
      medication: input.medication,
      instructions: input.instructions ?? null,
      times_of_day: [...new Set(input.timesOfDay)].sort(),
      start_date: input.startDate,
      end_date: input.endDate,
      channel,
      created_by: scope.actor.type === 'user' ? scope.actor.id : scope.actor.type === 'api_token' ? scope.actor.userId : null,
      created_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  await recordTimelineEvent(scope, {
    patientId: patient.id,
    kind: 'medication.reminder_added',
    summary: `Medication reminders set up: ${row.medication} at ${describeTimes(row.times_of_day)}, ${row.start_date} to ${row.end_date} by ${channelLabel(channel)}`,
    detail: { reminderId: row.id, channel },
    occurredAt: now,
    subject: { type: 'medication_reminder', id: row.id },
  });
  await scope.audit({ action: 'medication_reminder.create', entityType: 'medication_reminder', entityId: row.id, patientId: patient.id });
  return present(row, patient.zone);
}

/** Waiting runs of a reminder (all, or only those for doses `keep` rejects) are cancelled, with their messages. */
async function stopDoses(scope: TenantScope, reminderId: string, reason: string, now: Date, keep?: (date: string, time: string) => boolean): Promise<number> {
  const runs = await scope.tx
    .selectFrom('journey_run')
    .select(['id', 'occurrence'])
    .where('subject_type', '=', 'medication_reminder')
    .where('subject_id', '=', reminderId)
    .where('status', 'in', ['waiting', 'running'])
    .forUpdate()
    .execute();
  // A dose run's occurrence names the dose: "<reminder id>@<local date>T<local time>".
  const doomed = runs.filter((r) => {
    if (!keep) return true;
    const local = r.occurrence.split('@')[1] ?? '';
    return !keep(local.slice(0, 10), local.slice(11, 16));
  });
  if (!doomed.length && keep) return 0;
  const ids = doomed.map((r) => r.id);
  if (ids.length) await scope.tx.updateTable('journey_run').set({ status: 'cancelled', reason, lease_until: null, updated_at: now }).where('id', 'in', ids).execute();
  // Stopped for good: anything about it still unsent goes; a change stops only the doses it removed.
  return keep ? stopPendingMessages(scope, { runIds: ids }, reason, now) : stopPendingMessages(scope, { about: { type: 'medication_reminder', id: reminderId } }, reason, now);
}

export async function changeMedicationReminder(scope: TenantScope, id: string, input: MedicationReminderChange, now: Date): Promise<MedicationReminder> {
  const current = isUuid(id) ? await scope.tx.selectFrom('medication_reminder').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  if (!current) throw notFound('Medication reminder');
  const patient = await carePatient(scope, current.patient_id, false);
  if (!current.active) throw new AppError(409, 'reminder_stopped', 'This medication reminder was stopped; add a new one instead.');

  if (input.active === false) {
    const row = await scope.tx.updateTable('medication_reminder').set({ active: false }).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow();
    const stopped = await stopDoses(scope, id, 'medication_stopped', now);
    await recordTimelineEvent(scope, {
      patientId: patient.id,
      kind: 'medication.reminder_stopped',
      summary: `Medication reminders stopped: ${row.medication}`,
      detail: { reminderId: id, messagesStopped: stopped },
      occurredAt: now,
      subject: { type: 'medication_reminder', id },
    });
    await scope.audit({ action: 'medication_reminder.stop', entityType: 'medication_reminder', entityId: id, patientId: patient.id });
    return present(row, patient.zone);
  }

  const next = {
    timesOfDay: input.timesOfDay ?? current.times_of_day.map(hhmm),
    startDate: current.start_date,
    endDate: input.endDate ?? current.end_date,
  };
  const problems = [
    ...(input.timesOfDay || input.endDate ? checkSchedule(next, todayIn(patient.zone, now)) : []),
    ...(input.channel && input.channel !== current.channel ? await checkChannel(scope, input.channel) : []),
  ];
  if (problems.length) throw validationFailed(problems);
  const row = await scope.tx
    .updateTable('medication_reminder')
    .set({
      ...(input.medication !== undefined ? { medication: input.medication } : {}),
      ...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
      ...(input.timesOfDay ? { times_of_day: [...new Set(input.timesOfDay)].sort() } : {}),
      ...(input.endDate ? { end_date: input.endDate } : {}),
      ...(input.channel ? { channel: input.channel } : {}),
    })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  const times = new Set(next.timesOfDay.map(hhmm));
  await stopDoses(scope, id, 'medication_changed', now, (date, time) => date >= next.startDate && date <= next.endDate && times.has(time));
  const fields = Object.keys(input).filter((k) => input[k as keyof MedicationReminderChange] !== undefined);
  await recordTimelineEvent(scope, {
    patientId: patient.id,
    kind: 'medication.reminder_changed',
    summary: `Medication reminders changed: ${row.medication} at ${describeTimes(row.times_of_day)} until ${row.end_date} by ${channelLabel(row.channel)}`,
    detail: { reminderId: id, fields },
    occurredAt: now,
    subject: { type: 'medication_reminder', id },
  });
  await scope.audit({ action: 'medication_reminder.update', entityType: 'medication_reminder', entityId: id, patientId: patient.id, detail: { fields } });
  return present(row, patient.zone);
}
