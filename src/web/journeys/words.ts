import type { Channel, Condition, Purpose, Step, Trigger } from './api.ts';

/** Journeys, triggers, steps and conditions in the clinic's words, for lists and pickers. */

export type TriggerType = Trigger['type'];

export const TRIGGER_TYPES: Array<{ value: TriggerType; label: string }> = [
  { value: 'appointment.booked', label: 'An appointment is booked' },
  { value: 'appointment.before', label: 'A time before an appointment' },
  { value: 'appointment.after', label: 'A time after an appointment ends' },
  { value: 'appointment.completed', label: 'A visit is completed' },
  { value: 'appointment.noshow', label: 'A patient does not show up' },
  { value: 'appointment.cancelled', label: 'An appointment is cancelled' },
  { value: 'appointment.rescheduled', label: 'An appointment is moved' },
  { value: 'message.inbound', label: 'A patient texts in' },
  { value: 'waitlist.offer', label: 'A waitlist offer is made' },
  { value: 'medication.dose', label: 'A medication dose time comes' },
  { value: 'date.reached', label: 'A date is reached' },
];

export const CHANNELS: Array<{ value: Channel; label: string }> = [
  { value: 'sms', label: 'SMS' },
  { value: 'email', label: 'Email' },
  { value: 'in_app', label: 'In-app' },
];
export const channelName = (c: string) => CHANNELS.find((x) => x.value === c)?.label ?? c;

export const PURPOSES: Array<{ value: Purpose; label: string }> = [
  { value: 'care', label: 'Care' },
  { value: 'billing', label: 'Billing' },
  { value: 'education', label: 'Education' },
  { value: 'marketing', label: 'Marketing' },
  { value: 'research', label: 'Research' },
];

export const DATE_FIELDS = [
  { value: 'patient.birthDate', label: 'Birthday (every year)' },
  { value: 'invoice.dueOn', label: 'Invoice due date (open balance)' },
];

export const CONDITION_FIELDS: Array<{ value: string; label: string; kind: 'boolean' | 'number' | 'text' }> = [
  { value: 'patient.hasUpcomingAppointment', label: 'Patient has an upcoming appointment', kind: 'boolean' },
  { value: 'patient.hasEmail', label: 'Patient has an email address', kind: 'boolean' },
  { value: 'patient.hasMobile', label: 'Patient has a mobile number', kind: 'boolean' },
  { value: 'patient.lifecycleStatus', label: 'Patient status', kind: 'text' },
  { value: 'patient.tag', label: 'Patient tag', kind: 'text' },
  { value: 'appointment.status', label: 'Appointment status', kind: 'text' },
  { value: 'appointment.confirmed', label: 'Appointment confirmed', kind: 'boolean' },
  { value: 'invoice.balanceCents', label: 'Invoice balance (cents)', kind: 'number' },
  { value: 'offer.status', label: 'Waitlist offer status', kind: 'text' },
];

export const OPS: Array<{ value: Condition['op']; label: string; kinds: string[] }> = [
  { value: 'is_true', label: 'is yes', kinds: ['boolean'] },
  { value: 'is_false', label: 'is no', kinds: ['boolean'] },
  { value: 'eq', label: 'is', kinds: ['text', 'number', 'date', 'choice'] },
  { value: 'neq', label: 'is not', kinds: ['text', 'number', 'date', 'choice'] },
  { value: 'gt', label: 'is more than', kinds: ['number'] },
  { value: 'lt', label: 'is less than', kinds: ['number'] },
];

export const STEP_TYPES: Array<{ value: Step['type']; label: string }> = [
  { value: 'send', label: 'Send a message' },
  { value: 'wait', label: 'Wait' },
  { value: 'task', label: 'Create a task' },
  { value: 'branch', label: 'Branch on a condition' },
  { value: 'update_field', label: 'Update a field' },
  { value: 'add_tag', label: 'Add a tag' },
];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function describeSpan(o: { days?: number | undefined; hours?: number | undefined; minutes?: number | undefined }): string {
  const parts = [o.days ? plural(o.days, 'day') : '', o.hours ? plural(o.hours, 'hour') : '', o.minutes ? plural(o.minutes, 'minute') : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : 'no time';
}

/** "2 days before an appointment, for Initial consultation at Main Street". */
export function describeTrigger(trigger: Trigger, names: { services?: Map<string, string>; locations?: Map<string, string>; fields?: Map<string, string> } = {}): string {
  let text: string;
  switch (trigger.type) {
    case 'appointment.before':
      text = `${describeSpan(trigger.offset)} before an appointment`;
      break;
    case 'appointment.after':
      text = `${describeSpan(trigger.offset)} after an appointment ends`;
      break;
    case 'date.reached': {
      const field = DATE_FIELDS.find((f) => f.value === trigger.field)?.label ?? names.fields?.get(trigger.field) ?? trigger.field;
      const shift = trigger.offsetDays === 0 ? 'on' : `${plural(Math.abs(trigger.offsetDays), 'day')} ${trigger.offsetDays < 0 ? 'before' : 'after'}`;
      text = `${shift} ${field.replace(/ \(.*\)$/, '').toLowerCase()}, at ${trigger.at} in the patient's time zone`;
      text = text[0]!.toUpperCase() + text.slice(1);
      break;
    }
    default:
      text = TRIGGER_TYPES.find((t) => t.value === trigger.type)?.label ?? trigger.type;
  }
  if ('serviceIds' in trigger) {
    const services = (trigger.serviceIds ?? []).map((id) => names.services?.get(id) ?? 'a service');
    const locations = (trigger.locationIds ?? []).map((id) => names.locations?.get(id) ?? 'a location');
    if (services.length) text += `, for ${services.join(' or ')}`;
    if (locations.length) text += `, at ${locations.join(' or ')}`;
  }
  return text;
}

export function describeCondition(c: Condition): string {
  const field = CONDITION_FIELDS.find((f) => f.value === c.field)?.label ?? c.field.replace(/^custom\./, '');
  const op = OPS.find((o) => o.value === c.op)?.label ?? c.op;
  return c.op === 'is_true' || c.op === 'is_false' ? `${field} ${op}` : `${field} ${op} ${String(c.value ?? '')}`;
}

/** One line per step, for the journey list. */
export function describeStep(step: Step): string {
  switch (step.type) {
    case 'wait':
      return `Wait ${describeSpan(step)}`;
    case 'send':
      return `Send ${channelName(step.channel)} “${step.template}”`;
    case 'task':
      return `Task “${step.title}”`;
    case 'branch':
      return `If ${describeCondition(step.if)}: ${step.then.map(describeStep).join(', ') || 'nothing'}${step.else.length ? `; otherwise ${step.else.map(describeStep).join(', ')}` : ''}`;
    case 'update_field':
      return `Set ${step.field.replace(/^(patient|custom)\./, '')} to ${String(step.value)}`;
    case 'add_tag':
      return `Tag “${step.tag}”`;
  }
}

/** A new step of a type, with sensible first values. */
export function newStep(type: Step['type'], firstTemplate = ''): Step {
  switch (type) {
    case 'wait':
      return { type, days: 1 };
    case 'send':
      return { type, channel: 'sms', template: firstTemplate, purpose: 'care' };
    case 'task':
      return { type, title: '', dueInDays: 1, priority: 'normal' };
    case 'branch':
      return { type, if: { field: 'patient.hasUpcomingAppointment', op: 'is_false' }, then: [], else: [] };
    case 'update_field':
      return { type, field: 'patient.lifecycleStatus', value: 'inactive' };
    case 'add_tag':
      return { type, tag: '' };
  }
}

/** A trigger of a type, keeping what the last one had in common (filters, offset). */
export function triggerOfType(type: TriggerType, previous: Trigger): Trigger {
  const filters = 'serviceIds' in previous ? { serviceIds: previous.serviceIds ?? [], locationIds: previous.locationIds ?? [] } : {};
  const offset = 'offset' in previous ? previous.offset : { days: 1 };
  switch (type) {
    case 'appointment.before':
    case 'appointment.after':
      return { type, offset, ...filters };
    case 'appointment.booked':
    case 'appointment.completed':
    case 'appointment.noshow':
    case 'appointment.cancelled':
    case 'appointment.rescheduled':
      return { type, ...filters };
    case 'date.reached':
      return { type, field: 'invoice.dueOn', offsetDays: 0, at: '10:00' };
    default:
      return { type } as Trigger;
  }
}
