import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { channelLabel } from '../messaging/policy.ts';
import { validateTemplate } from '../messaging/templates.ts';
import type { Condition, JourneyInput, Step, Trigger } from './schema.ts';
import { contextsOfTrigger, eachStep, sendSteps } from './usage.ts';

/**
 * What a journey's schema cannot know: that its templates exist (and only use what its trigger
 * provides), that the staff, services, locations and custom fields it names are this clinic's,
 * and that its conditions and field updates make sense. Every problem is named by its path in the
 * request body ("steps.2.template", "steps.0.then.1.assigneeId", "trigger.field").
 */

const LIFECYCLE = ['lead', 'active', 'inactive', 'deceased'];
const PREFERRED_CHANNELS = ['sms', 'email', 'phone', 'portal', 'mail'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type CustomField = { key: string; type: 'text' | 'number' | 'date' | 'choice'; choices: string[] | null };

/** The subject a condition field reads, when it reads one. */
const CONDITION_SUBJECT: Record<string, { needs: string; what: string }> = {
  'appointment.status': { needs: 'appointment', what: 'an appointment' },
  'appointment.confirmed': { needs: 'appointment', what: 'an appointment' },
  'invoice.balanceCents': { needs: 'invoice', what: 'an invoice' },
  'offer.status': { needs: 'offer', what: 'a waitlist offer' },
};

export async function checkJourney(scope: TenantScope, input: JourneyInput): Promise<void> {
  const problems: FieldProblem[] = [];
  const fields = new Map(
    (await scope.tx.selectFrom('custom_field').select(['key', 'type', 'choices']).where('archived_at', 'is', null).execute()).map((f) => [f.key, f as CustomField]),
  );
  problems.push(...(await checkTrigger(scope, input.trigger, fields)));
  problems.push(...(await checkTemplates(scope, input.trigger, input.steps)));
  problems.push(...(await checkAssignees(scope, input.steps)));
  const contexts: string[] = contextsOfTrigger(input.trigger);
  eachStep(input.steps, (step, path) => problems.push(...checkStep(step, path, fields, contexts)));
  if (problems.length) throw validationFailed(problems);
}

async function checkTrigger(scope: TenantScope, trigger: Trigger, fields: Map<string, CustomField>): Promise<FieldProblem[]> {
  const problems: FieldProblem[] = [];
  if (trigger.type === 'date.reached' && trigger.field.startsWith('custom.')) {
    const key = trigger.field.slice('custom.'.length);
    const field = fields.get(key);
    if (!field) problems.push({ path: 'trigger.field', message: `names custom field "${key}", which this clinic does not have` });
    else if (field.type !== 'date') problems.push({ path: 'trigger.field', message: `names custom field "${key}", which holds a ${field.type}, not a date` });
  }
  if ('serviceIds' in trigger) {
    problems.push(...(await unknownIds(scope, 'service', trigger.serviceIds ?? [], 'trigger.serviceIds', 'a service')));
    problems.push(...(await unknownIds(scope, 'location', trigger.locationIds ?? [], 'trigger.locationIds', 'a location')));
  }
  return problems;
}

async function unknownIds(scope: TenantScope, table: 'service' | 'location', ids: string[], path: string, what: string): Promise<FieldProblem[]> {
  const wanted = ids.filter(isUuid);
  const found = new Set(wanted.length ? (await scope.tx.selectFrom(table).select('id').where('id', 'in', wanted).execute()).map((r) => r.id) : []);
  return ids.flatMap((id, i) => (found.has(id) ? [] : [{ path: `${path}.${i}`, message: `is not ${what} of this clinic` }]));
}

/** Every send step needs a template on its channel, and every language of it must fit the trigger. */
async function checkTemplates(scope: TenantScope, trigger: Trigger, steps: Step[]): Promise<FieldProblem[]> {
  const sends = sendSteps(steps);
  if (!sends.length) return [];
  const keys = [...new Set(sends.map((s) => s.step.template))];
  const templates = await scope.tx.selectFrom('message_template').select(['key', 'channel', 'language', 'subject', 'body']).where('key', 'in', keys).execute();
  const allowed = contextsOfTrigger(trigger);
  const problems: FieldProblem[] = [];
  for (const { step, path } of sends) {
    const mine = templates.filter((t) => t.key === step.template && t.channel === step.channel);
    if (!mine.length) {
      problems.push({ path: `${path}.template`, message: `has no ${channelLabel(step.channel)} template "${step.template}"; add one on the Templates tab or pick another` });
      continue;
    }
    for (const t of mine) {
      try {
        validateTemplate({ channel: t.channel, subject: t.subject, body: t.body, allowed });
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const why = error.code === 'variable_unavailable' ? `uses what a ${trigger.type} journey does not know: ${error.message}` : `does not pass its checks: ${error.message}`;
        problems.push({ path: `${path}.template`, message: `"${step.template}" (${channelLabel(t.channel)}, ${t.language}) ${why}` });
      }
    }
  }
  return problems;
}

async function checkAssignees(scope: TenantScope, steps: Step[]): Promise<FieldProblem[]> {
  const tasks: Array<{ id: string; path: string }> = [];
  eachStep(steps, (step, path) => {
    if (step.type === 'task' && step.assigneeId) tasks.push({ id: step.assigneeId, path: `${path}.assigneeId` });
  });
  if (!tasks.length) return [];
  // Row-level security hides other clinics' staff: someone of another clinic is simply not found.
  const active = new Set(
    (await scope.tx.selectFrom('app_user').select('id').where('id', 'in', tasks.map((t) => t.id)).where('disabled_at', 'is', null).execute()).map((u) => u.id),
  );
  return tasks.filter((t) => !active.has(t.id)).map((t) => ({ path: t.path, message: 'is not an active staff member of this clinic' }));
}

function checkStep(step: Step, path: string, fields: Map<string, CustomField>, contexts: string[]): FieldProblem[] {
  switch (step.type) {
    case 'wait':
      return (step.days ?? 0) + (step.hours ?? 0) + (step.minutes ?? 0) > 0 ? [] : [{ path, message: 'must wait at least a minute (give days, hours or minutes)' }];
    case 'branch':
      return checkCondition(step.if, `${path}.if`, fields, contexts);
    case 'update_field':
      return checkUpdate(step, path, fields);
    default:
      return [];
  }
}

function checkCondition(c: Condition, path: string, fields: Map<string, CustomField>, contexts: string[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const subject = CONDITION_SUBJECT[c.field];
  if (subject && !contexts.includes(subject.needs)) problems.push({ path: `${path}.field`, message: `reads ${subject.what}, which this journey's runs are not about` });
  if (c.field.startsWith('custom.') && !fields.has(c.field.slice('custom.'.length))) {
    problems.push({ path: `${path}.field`, message: `names custom field "${c.field.slice('custom.'.length)}", which this clinic does not have` });
  }
  if (['eq', 'neq', 'gt', 'lt'].includes(c.op) && (c.value === undefined || c.value === '')) problems.push({ path: `${path}.value`, message: `is required to compare with (${c.op})` });
  if ((c.op === 'gt' || c.op === 'lt') && c.value !== undefined && !Number.isFinite(Number(c.value))) problems.push({ path: `${path}.value`, message: `must be a number to compare with ${c.op}` });
  if (c.field === 'patient.tag' && (c.op === 'gt' || c.op === 'lt')) problems.push({ path: `${path}.op`, message: 'must be eq or neq (has the tag, or not)' });
  return problems;
}

function checkUpdate(step: Extract<Step, { type: 'update_field' }>, path: string, fields: Map<string, CustomField>): FieldProblem[] {
  const at = (message: string) => [{ path: `${path}.value`, message }];
  const v = step.value;
  if (step.field === 'patient.lifecycleStatus') return typeof v === 'string' && LIFECYCLE.includes(v) ? [] : at(`must be one of ${LIFECYCLE.join(', ')}`);
  if (step.field === 'patient.preferredChannel') return v === null || (typeof v === 'string' && PREFERRED_CHANNELS.includes(v)) ? [] : at(`must be one of ${PREFERRED_CHANNELS.join(', ')}, or null`);
  const key = step.field.slice('custom.'.length);
  const field = fields.get(key);
  if (!field) return [{ path: `${path}.field`, message: `names custom field "${key}", which this clinic does not have` }];
  if (v === null) return [];
  switch (field.type) {
    case 'number':
      return typeof v === 'number' ? [] : at(`must be a number: "${key}" is a number field`);
    case 'date':
      return typeof v === 'string' && DATE.test(v) && !Number.isNaN(Date.parse(v)) ? [] : at(`must be a date as YYYY-MM-DD: "${key}" is a date field`);
    case 'choice':
      return typeof v === 'string' && field.choices?.includes(v) ? [] : at(`must be one of ${(field.choices ?? []).map((c) => `"${c}"`).join(', ')}`);
    default:
      return typeof v === 'string' ? [] : at(`must be text: "${key}" is a text field`);
  }
}
