import { sql, type Kysely, type Selectable } from 'kysely';
import { DateTime } from 'luxon';
import { withSystem, withTenant, type TenantScope } from '../../server/db/scope.ts';
import type { DB, JourneyRunTable } from '../../server/db/types.ts';
import { scheduleMessage, stopPendingMessages } from '../messaging/outbox.ts';
import { mayBeUrgent } from '../messaging/types.ts';
import { createTask } from '../tasks/service.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { evaluateCondition } from './conditions.ts';
import { stepSchema, triggerSchema, type Offset, type Step, type Trigger, type TriggerType } from './schema.ts';

/**
 * Runs journeys. A trigger starts a run per matching journey (one per occurrence, however often
 * the trigger fires); a run walks its steps until a wait puts it to sleep, and workers wake due
 * runs the way they claim due messages (SKIP LOCKED under a lease). A send step schedules an
 * outbox message due at the run's intended instant, so lateness is measured from when it was
 * meant to go, not from when a worker got to it.
 */

type Run = Selectable<JourneyRunTable>;

export type TriggerFacts = {
  type: TriggerType;
  patientId: string;
  subject: { type: string; id: string } | null;
  /** Distinguishes repeated firings that each deserve a run (a dose time, a new visit time). */
  occurrence: string;
  /** When the run starts (now, or an instant relative to an appointment). */
  at: Date;
  serviceId?: string | undefined;
  locationId?: string | undefined;
};

type JourneyRow = { id: string; trigger: Trigger; steps: Step[] };

/** The tenant's enabled journeys for one trigger type, parsed (a journey that no longer parses is skipped). */
export async function journeysFor(scope: TenantScope, type: TriggerType): Promise<JourneyRow[]> {
  const rows = await scope.tx
    .selectFrom('journey')
    .select(['id', 'trigger', 'steps'])
    .where('enabled', '=', true)
    .where(sql<boolean>`trigger->>'type' = ${type}`)
    .execute();
  const journeys: JourneyRow[] = [];
  for (const row of rows) {
    const trigger = triggerSchema.safeParse(row.trigger);
    const steps = stepSchema.array().safeParse(row.steps);
    if (trigger.success && steps.success) journeys.push({ id: row.id, trigger: trigger.data, steps: steps.data });
  }
  return journeys;
}

const matchesFilter = (trigger: Trigger, facts: TriggerFacts) => {
  if (!('serviceIds' in trigger)) return true;
  if (trigger.serviceIds?.length && (!facts.serviceId || !trigger.serviceIds.includes(facts.serviceId))) return false;
  if (trigger.locationIds?.length && (!facts.locationId || !trigger.locationIds.includes(facts.locationId))) return false;
  return true;
};

/** Starts a run of every enabled journey the trigger matches; returns the runs created. */
export async function fireTrigger(scope: TenantScope, facts: TriggerFacts, now: Date, journeys?: JourneyRow[]): Promise<number> {
  let created = 0;
  for (const journey of journeys ?? (await journeysFor(scope, facts.type))) {
    if (!matchesFilter(journey.trigger, facts)) continue;
    created += await startRun(scope, journey, facts, facts.at, now);
  }
  return created;
}

async function startRun(scope: TenantScope, journey: JourneyRow, facts: TriggerFacts, at: Date, now: Date): Promise<number> {
  const row = await scope.tx
    .insertInto('journey_run')
    .values({
      tenant_id: scope.tenantId,
      journey_id: journey.id,
      trigger_type: facts.type,
      patient_id: facts.patientId,
      subject_type: facts.subject?.type ?? null,
      subject_id: facts.subject?.id ?? null,
      occurrence: facts.occurrence,
      plan: JSON.stringify(journey.steps),
      next_at: at,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'journey_id', 'occurrence']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row ? 1 : 0;
}

/** An instant moved by an offset: days on the calendar of `zone`, hours and minutes exactly. */
export function shiftBy(instant: Date, offset: Offset, zone: string, direction: 1 | -1): Date {
  const local = DateTime.fromJSDate(instant, { zone });
  const days = (offset.days ?? 0) * direction;
  const ms = ((offset.hours ?? 0) * 3600_000 + (offset.minutes ?? 0) * 60_000) * direction;
  return new Date(local.plus({ days }).toMillis() + ms);
}

export type AppointmentFacts = {
  appointmentId: string;
  patientId: string;
  action: 'booked' | 'rescheduled' | 'confirmed' | 'checked_in' | 'noshow' | 'completed' | 'cancelled';
  startsAt: Date;
  previousStartsAt: Date | null;
};

const RELATIVE: TriggerType[] = ['appointment.before', 'appointment.after'];

/**
 * What an appointment change means for journeys, in the booking's own transaction: a booking
 * schedules its reminders and follow-ups, a reschedule moves those still waiting, a cancellation
 * stops them (and any message not yet sent), and each change starts the journeys it triggers.
 */
export async function onAppointmentChange(scope: TenantScope, event: AppointmentFacts, now: Date): Promise<void> {
  const appointment = await scope.tx
    .selectFrom('appointment')
    .select(['id', 'patient_id', 'service_id', 'location_id', 'time_zone', 'starts_at', 'ends_at', 'status'])
    .where('id', '=', event.appointmentId)
    .executeTakeFirstOrThrow();
  const subject = { type: 'appointment', id: appointment.id };
  const base = { patientId: event.patientId, subject, serviceId: appointment.service_id, locationId: appointment.location_id };

  if (event.action === 'booked' || event.action === 'rescheduled') {
    if (event.action === 'rescheduled') {
      // Runs still waiting for the old time give way to runs for the new one, and messages already
      // scheduled for it (a run woken ahead of its instant is done, its message still waiting) stop.
      await scope.tx
        .updateTable('journey_run')
        .set({ status: 'cancelled', reason: 'appointment_changed', updated_at: now })
        .where('subject_type', '=', 'appointment')
        .where('subject_id', '=', appointment.id)
        .where('trigger_type', 'in', RELATIVE)
        .where('status', 'in', ['waiting', 'running'])
        .execute();
      const stale = await scope.tx
        .selectFrom('journey_run')
        .select('id')
        .where('subject_type', '=', 'appointment')
        .where('subject_id', '=', appointment.id)
        .where('trigger_type', 'in', RELATIVE)
        .execute();
      await stopPendingMessages(scope, { runIds: stale.map((r) => r.id) }, 'appointment_changed', now);
    }
    await scheduleRelativeRuns(scope, [appointment], now);
  }
  if (event.action === 'cancelled') {
    await scope.tx
      .updateTable('journey_run')
      .set({ status: 'cancelled', reason: 'appointment_cancelled', updated_at: now })
      .where('subject_type', '=', 'appointment')
      .where('subject_id', '=', appointment.id)
      .where('trigger_type', '<>', 'appointment.cancelled')
      .where('status', 'in', ['waiting', 'running'])
      .execute();
    await stopPendingMessages(scope, { about: subject, exceptRunTrigger: 'appointment.cancelled' }, 'appointment_cancelled', now);
  }
  const direct: Partial<Record<AppointmentFacts['action'], TriggerType>> = {
    booked: 'appointment.booked',
    rescheduled: 'appointment.rescheduled',
    completed: 'appointment.completed',
    noshow: 'appointment.noshow',
    cancelled: 'appointment.cancelled',
  };
  const type = direct[event.action];
  if (type) await fireTrigger(scope, { ...base, type, occurrence: `${appointment.id}:${event.action}:${now.toISOString()}`, at: now }, now);
}

type BookedAppointment = { id: string; patient_id: string; service_id: string; location_id: string; time_zone: string; starts_at: Date; ends_at: Date };

/**
 * Starts the runs timed relative to appointments (reminders before, follow-ups after) for
 * appointments already booked: a booking calls it, and so does anything that writes booked
 * appointments in bulk (the demo, an import). Returns the runs created.
 */
export async function scheduleRelativeRuns(scope: TenantScope, appointments: BookedAppointment[], now: Date): Promise<number> {
  let created = 0;
  const journeys = await Promise.all(RELATIVE.map(async (type) => [type, await journeysFor(scope, type)] as const));
  for (const appointment of appointments) {
    const base = { patientId: appointment.patient_id, subject: { type: 'appointment', id: appointment.id }, serviceId: appointment.service_id, locationId: appointment.location_id };
    for (const [type, list] of journeys) {
      for (const journey of list) {
        if (!matchesFilter(journey.trigger, { ...base, type, occurrence: '', at: now })) continue;
        const offset = (journey.trigger as Extract<Trigger, { offset: Offset }>).offset;
        const at = type === 'appointment.before' ? shiftBy(appointment.starts_at, offset, appointment.time_zone, -1) : shiftBy(appointment.ends_at, offset, appointment.time_zone, 1);
        // A reminder or follow-up whose moment has passed by the time of booking is not sent late
        // (a visit recorded afterwards, past visits written in bulk by an import).
        if (at < now) continue;
        created += await startRun(scope, journey, { ...base, type, occurrence: `${appointment.id}@${appointment.starts_at.toISOString()}`, at }, at, now);
      }
    }
  }
  return created;
}

/**
 * Claims up to `limit` runs that are due (or whose worker died), across tenants.
 *
 * With a look-ahead, reminders before a visit whose next step is a send are claimed up to that
 * long before their instant: the walk schedules the outbox message due at the instant and stops
 * at the first step that is not a send (see `walk`). A burst of reminders due together (every
 * 9:00 visit's "two hours before") is then already in the outbox when it falls due, and goes at
 * the outbox's sending rate instead of waiting for each run to be woken. Everything about the
 * message is checked again before it is sent; a reschedule or cancellation stops it.
 */
export async function claimDueRuns(db: Kysely<DB>, limit: number, now: Date, leaseSeconds = 60, lookaheadSeconds = 0): Promise<Array<{ tenant_id: string; id: string }>> {
  const leaseUntil = new Date(now.getTime() + leaseSeconds * 1000);
  const horizon = new Date(now.getTime() + lookaheadSeconds * 1000);
  return withSystem(db, async (tx) => {
    const rows = await sql<{ tenant_id: string; id: string }>`
      UPDATE journey_run r
         SET status = 'running', lease_until = ${leaseUntil}, attempts = r.attempts + 1, updated_at = ${now}
        FROM (SELECT tenant_id, id FROM journey_run
               WHERE (status = 'waiting' AND next_at <= ${horizon}
                      AND (next_at <= ${now} OR (trigger_type = 'appointment.before' AND plan->0->>'type' = 'send')))
                  OR (status = 'running' AND lease_until < ${now})
               ORDER BY next_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) c
       WHERE r.tenant_id = c.tenant_id AND r.id = c.id
   RETURNING r.tenant_id, r.id`.execute(tx);
    return rows.rows;
  });
}

/** When the next waiting run falls due. */
export async function nextRunAt(db: Kysely<DB>): Promise<Date | null> {
  const row = await withSystem(db, (tx) =>
    tx.selectFrom('journey_run').select(sql<Date | null>`min(next_at)`.as('at')).where('status', '=', 'waiting').executeTakeFirst(),
  );
  return row?.at ? new Date(row.at) : null;
}

const MAX_RUN_ATTEMPTS = 5;

/** Walks one claimed run as far as it can go now. */
export async function advanceRun(db: Kysely<DB>, claim: { tenant_id: string; id: string }, now: Date): Promise<'done' | 'waiting' | 'cancelled' | 'failed' | 'skipped'> {
  try {
    return await withTenant(db, { tenantId: claim.tenant_id, actor: { type: 'system', id: null } }, async (scope) => {
      const run = await scope.tx.selectFrom('journey_run').selectAll().where('id', '=', claim.id).forUpdate().executeTakeFirst();
      if (!run || run.status !== 'running') return 'skipped';
      return walk(scope, run, now);
    });
  } catch (error) {
    // A step that throws (a bug, a constraint) must not loop for ever: count it and give up in time.
    const message = error instanceof Error ? error.message : String(error);
    await withTenant(db, { tenantId: claim.tenant_id, actor: { type: 'system', id: null } }, async (scope) => {
      const run = await scope.tx.selectFrom('journey_run').select('attempts').where('id', '=', claim.id).executeTakeFirst();
      const failed = (run?.attempts ?? 0) >= MAX_RUN_ATTEMPTS;
      await scope.tx
        .updateTable('journey_run')
        .set({ status: failed ? 'failed' : 'waiting', last_error: message.slice(0, 1000), lease_until: null, next_at: new Date(now.getTime() + 60_000 * (run?.attempts ?? 1)), updated_at: now })
        .where('id', '=', claim.id)
        .execute();
    });
    return 'failed';
  }
}

async function walk(scope: TenantScope, run: Run, now: Date): Promise<'done' | 'waiting' | 'cancelled'> {
  const journey = await scope.tx.selectFrom('journey').select(['id', 'name', 'enabled']).where('id', '=', run.journey_id).executeTakeFirstOrThrow();
  const cancel = async (reason: string) => {
    await scope.tx.updateTable('journey_run').set({ status: 'cancelled', reason, lease_until: null, updated_at: now }).where('id', '=', run.id).execute();
    await log(scope, run.id, 'run', 'cancelled', { reason });
    return 'cancelled' as const;
  };
  if (!journey.enabled) return cancel('journey_disabled');
  if (run.subject_type === 'appointment' && run.subject_id && run.trigger_type === 'appointment.before') {
    const appointment = await scope.tx.selectFrom('appointment').select(['status', 'starts_at']).where('id', '=', run.subject_id).executeTakeFirst();
    if (!appointment || appointment.status !== 'booked') return cancel(appointment?.status === 'cancelled' ? 'appointment_cancelled' : 'appointment_changed');
    if (appointment.starts_at <= now) return cancel('appointment_past');
  }
  if (run.subject_type === 'appointment' && run.subject_id && run.trigger_type === 'appointment.after') {
    // A time after a visit is about a visit that took place: a missed one has its own journey.
    const appointment = await scope.tx.selectFrom('appointment').select('status').where('id', '=', run.subject_id).executeTakeFirst();
    if (!appointment || appointment.status === 'cancelled') return cancel('appointment_cancelled');
    if (appointment.status === 'noshow') return cancel('appointment_noshow');
  }
  if (run.subject_type === 'medication_reminder' && run.subject_id) {
    const reminder = await scope.tx.selectFrom('medication_reminder').select(['active', 'end_date']).where('id', '=', run.subject_id).executeTakeFirst();
    const zone = await zoneOf(scope, run);
    const doseDate = DateTime.fromJSDate(run.next_at, { zone }).toISODate()!;
    if (!reminder?.active || doseDate > reminder.end_date) return cancel('medication_stopped');
  }
  if (run.subject_type === 'invoice' && run.subject_id) {
    const invoice = await scope.tx.selectFrom('invoice').select(['status', 'balance_cents']).where('id', '=', run.subject_id).executeTakeFirst();
    if (!invoice || invoice.status !== 'open' || invoice.balance_cents <= 0) return cancel('invoice_settled');
  }
  if (run.trigger_type === 'date.reached' && !(await dateStillHolds(scope, run))) return cancel('date_changed');
  const plan = [...(run.plan as Step[])];
  let at = run.next_at;
  let done = run.steps_done;
  // Woken ahead of its instant (a look-ahead claim): only sends are done early, each due at the
  // instant; the run waits for the instant at the first step of another kind.
  const early = at > now;
  while (plan.length) {
    const step = plan.shift()!;
    if (early && step.type !== 'send' && step.type !== 'wait') {
      await scope.tx
        .updateTable('journey_run')
        .set({ status: 'waiting', plan: JSON.stringify([step, ...plan]), steps_done: done, next_at: at, lease_until: null, updated_at: now })
        .where('id', '=', run.id)
        .execute();
      return 'waiting';
    }
    if (step.type === 'wait') {
      const zone = await zoneOf(scope, run);
      at = shiftBy(at, step, zone, 1);
      done += 1;
      if (at > now) {
        await scope.tx
          .updateTable('journey_run')
          .set({ status: 'waiting', plan: JSON.stringify(plan), steps_done: done, next_at: at, lease_until: null, updated_at: now })
          .where('id', '=', run.id)
          .execute();
        await log(scope, run.id, 'wait', 'waiting', { until: at.toISOString() });
        return 'waiting';
      }
      continue;
    }
    if (step.type === 'branch') {
      const holds = await evaluateCondition(scope, run, step.if, now);
      plan.unshift(...(holds ? step.then : step.else));
      await log(scope, run.id, 'branch', holds ? 'then' : 'else', { condition: step.if });
      done += 1;
      continue;
    }
    await runStep(scope, run, step, done, at, now);
    done += 1;
  }
  await scope.tx.updateTable('journey_run').set({ status: 'done', plan: '[]', steps_done: done, lease_until: null, updated_at: now }).where('id', '=', run.id).execute();
  return 'done';
}

/**
 * A run started for a date reached (see scheduled-triggers.ts) names the date in its occurrence:
 * `<invoice>@<due date>`, `<patient>@<birth date>` or `<patient>@<custom field>@<date>`. If the date
 * was corrected since the run was planned, the run is for a date that no longer holds.
 */
async function dateStillHolds(scope: TenantScope, run: Run): Promise<boolean> {
  const parts = run.occurrence.split('@');
  if (run.subject_type === 'invoice' && run.subject_id && parts.length === 2) {
    const invoice = await scope.tx.selectFrom('invoice').select(sql<string>`to_char(due_on, 'YYYY-MM-DD')`.as('due_on')).where('id', '=', run.subject_id).executeTakeFirst();
    return invoice?.due_on === parts[1];
  }
  if (run.subject_type !== 'patient' || !run.subject_id) return true;
  if (parts.length === 3) {
    const row = await scope.tx.selectFrom('patient').select(sql<string | null>`custom_fields->>${parts[1]!}`.as('date')).where('id', '=', run.subject_id).executeTakeFirst();
    return row?.date === parts[2];
  }
  if (parts.length === 2) {
    const row = await scope.tx.selectFrom('patient').select(sql<string | null>`to_char(birth_date, 'MM-DD')`.as('md')).where('id', '=', run.subject_id).executeTakeFirst();
    // The occurrence holds the date the birthday was kept on (28 February for a 29th in other years).
    const kept = parts[1]!.slice(5);
    return row?.md === kept || (row?.md === '02-29' && kept === '02-28');
  }
  return true;
}

async function zoneOf(scope: TenantScope, run: Run): Promise<string> {
  const row = await scope.tx
    .selectFrom('patient')
    .innerJoin('tenant', 'tenant.id', 'patient.tenant_id')
    .select(['patient.time_zone', 'tenant.time_zone as tenant_zone'])
    .where('patient.id', '=', run.patient_id)
    .executeTakeFirstOrThrow();
  return row.time_zone ?? row.tenant_zone;
}

async function runStep(scope: TenantScope, run: Run, step: Exclude<Step, { type: 'wait' | 'branch' }>, index: number, at: Date, now: Date): Promise<void> {
  switch (step.type) {
    case 'send': {
      const expiresAt = await expiryOf(scope, run);
      // A medication reminder goes by the channel agreed for it, whatever the journey says.
      const channel =
        run.subject_type === 'medication_reminder' && run.subject_id
          ? ((await scope.tx.selectFrom('medication_reminder').select('channel').where('id', '=', run.subject_id).executeTakeFirst())?.channel ?? step.channel)
          : step.channel;
      const variables = await subjectVariables(scope, run);
      const scheduled = await scheduleMessage(
        scope,
        {
          patientId: run.patient_id,
          channel,
          purpose: step.purpose,
          idempotencyKey: `journey:${run.id}:${index}:${channel}`,
          // Never earlier than now: a run woken late sends at once rather than in the past.
          dueAt: at,
          expiresAt,
          // Only care may be urgent; a step saved before that rule goes without urgency rather than not at all.
          urgent: step.urgent === true && mayBeUrgent(step.purpose),
          templateKey: step.template,
          about: run.subject_type && run.subject_id ? { type: run.subject_type, id: run.subject_id } : null,
          journey: { id: run.journey_id, runId: run.id },
          variables,
        },
        now,
      );
      await log(scope, run.id, 'send', scheduled.status, { messageId: scheduled.id, channel, template: step.template, reason: scheduled.reason });
      return;
    }
    case 'task': {
      const task = await createTask(
        scope,
        {
          title: step.title,
          description: step.description,
          patientId: run.patient_id,
          assigneeId: step.assigneeId,
          dueAt: new Date(at.getTime() + (step.dueInDays ?? 1) * 86_400_000),
          priority: step.priority,
        },
        now,
      );
      await log(scope, run.id, 'task', 'created', { taskId: task.id });
      return;
    }
    case 'update_field': {
      await updateField(scope, run.patient_id, step.field, step.value, now);
      await log(scope, run.id, 'update_field', 'updated', { field: step.field, value: step.value });
      return;
    }
    case 'add_tag': {
      const tag =
        (await scope.tx.selectFrom('tag').select('id').where(sql<boolean>`lower(name) = lower(${step.tag})`).executeTakeFirst()) ??
        (await scope.tx.insertInto('tag').values({ tenant_id: scope.tenantId, name: step.tag }).returning('id').executeTakeFirstOrThrow());
      await scope.tx.insertInto('patient_tag').values({ tenant_id: scope.tenantId, patient_id: run.patient_id, tag_id: tag.id }).onConflict((oc) => oc.doNothing()).execute();
      await log(scope, run.id, 'add_tag', 'tagged', { tag: step.tag });
      return;
    }
  }
}

/** A message about something with a deadline is never sent after it. */
async function expiryOf(scope: TenantScope, run: Run): Promise<Date | null> {
  if (run.subject_type === 'appointment' && run.subject_id && run.trigger_type === 'appointment.before') {
    const a = await scope.tx.selectFrom('appointment').select('starts_at').where('id', '=', run.subject_id).executeTakeFirst();
    return a?.starts_at ?? null;
  }
  if (run.subject_type === 'waitlist_offer' && run.subject_id) {
    const offer = await scope.tx.selectFrom('waitlist_offer').select('expires_at').where('id', '=', run.subject_id).executeTakeFirst();
    return offer?.expires_at ?? null;
  }
  if (run.subject_type === 'medication_reminder') {
    // A dose reminder is useless two hours after the dose.
    return new Date(run.next_at.getTime() + 2 * 3600_000);
  }
  return null;
}

/** Facts of the run's subject that templates read and that are fixed once the message is scheduled. */
async function subjectVariables(scope: TenantScope, run: Run): Promise<Record<string, string>> {
  const zone = await zoneOf(scope, run);
  const fmt = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat("cccc d LLLL 'at' h:mm a");
  if (run.subject_type === 'medication_reminder' && run.subject_id) {
    const r = await scope.tx.selectFrom('medication_reminder').select(['medication', 'instructions']).where('id', '=', run.subject_id).executeTakeFirst();
    if (!r) return {};
    return { 'medication.name': r.medication, 'medication.instructions': r.instructions ?? '', 'medication.time': DateTime.fromJSDate(run.next_at, { zone }).toFormat('h:mm a') };
  }
  if (run.subject_type === 'invoice' && run.subject_id) {
    const i = await scope.tx.selectFrom('invoice').select(['number', 'balance_cents', 'currency', 'due_on']).where('id', '=', run.subject_id).executeTakeFirst();
    if (!i) return {};
    const balance = new Intl.NumberFormat('en', { style: 'currency', currency: i.currency }).format(i.balance_cents / 100);
    return { 'invoice.number': i.number, 'invoice.balance': balance, 'invoice.dueDate': DateTime.fromISO(i.due_on).toFormat('d LLLL yyyy') };
  }
  if (run.subject_type === 'waitlist_offer' && run.subject_id) {
    const o = await scope.tx
      .selectFrom('waitlist_offer as o')
      .innerJoin('waitlist_release as r', 'r.id', 'o.release_id')
      .innerJoin('service as s', 's.id', 'r.service_id')
      .select(['o.expires_at', 'r.starts_at', 's.name'])
      .where('o.id', '=', run.subject_id)
      .executeTakeFirst();
    if (!o) return {};
    return { 'offer.dateTime': fmt(o.starts_at), 'offer.service': o.name, 'offer.expiresAt': fmt(o.expires_at) };
  }
  return {};
}

async function updateField(scope: TenantScope, patientId: string, field: string, value: string | number | boolean | null, now: Date): Promise<void> {
  const before = await scope.tx.selectFrom('patient').select(['lifecycle_status', 'preferred_channel', 'custom_fields']).where('id', '=', patientId).executeTakeFirstOrThrow();
  let old: unknown;
  if (field === 'patient.lifecycleStatus') {
    old = before.lifecycle_status;
    await scope.tx.updateTable('patient').set({ lifecycle_status: String(value) as never, updated_at: now, version: sql`version + 1` as never }).where('id', '=', patientId).execute();
  } else if (field === 'patient.preferredChannel') {
    old = before.preferred_channel;
    await scope.tx.updateTable('patient').set({ preferred_channel: value === null ? null : (String(value) as never), updated_at: now, version: sql`version + 1` as never }).where('id', '=', patientId).execute();
  } else {
    const key = field.slice('custom.'.length);
    old = (before.custom_fields as Record<string, unknown>)[key] ?? null;
    await scope.tx
      .updateTable('patient')
      .set({ custom_fields: sql`jsonb_set(custom_fields, ${`{${key}}`}::text[], ${JSON.stringify(value)}::jsonb)` as never, updated_at: now, version: sql`version + 1` as never })
      .where('id', '=', patientId)
      .execute();
  }
  await scope.tx
    .insertInto('patient_change')
    .values({ tenant_id: scope.tenantId, patient_id: patientId, change_set: crypto.randomUUID(), changed_at: now, actor_type: 'system', actor_id: null, field: field.replace(/^patient\./, '').replace(/^custom\./, 'custom_fields.'), old_value: JSON.stringify(old ?? null), new_value: JSON.stringify(value) })
    .execute();
  await scope.audit({ action: 'patient.update', entityType: 'patient', entityId: patientId, patientId, detail: { fields: 1, by: 'journey' } });
}

async function log(scope: TenantScope, runId: string, stepType: string, outcome: string, detail: Record<string, unknown>): Promise<void> {
  await scope.tx.insertInto('journey_step_log').values({ tenant_id: scope.tenantId, run_id: runId, step_type: stepType, outcome, detail: JSON.stringify(detail) }).execute();
}

/** Cancels a patient-facing run from outside (staff stop a journey for one patient). */
export async function cancelRun(scope: TenantScope, runId: string, now: Date): Promise<void> {
  const run = await scope.tx
    .updateTable('journey_run')
    .set({ status: 'cancelled', reason: 'cancelled_by_staff', updated_at: now })
    .where('id', '=', runId)
    .where('status', 'in', ['waiting', 'running'])
    .returning(['id', 'patient_id'])
    .executeTakeFirst();
  if (!run) return;
  await stopPendingMessages(scope, { runIds: [run.id] }, 'cancelled_by_staff', now);
  await recordTimelineEvent(scope, { patientId: run.patient_id, kind: 'journey.cancelled', summary: 'A journey was stopped for this patient', detail: { runId }, occurredAt: now });
  await scope.audit({ action: 'journey_run.cancel', entityType: 'journey_run', entityId: runId, patientId: run.patient_id });
}
