import {
  IconArrowMerge,
  IconCalendarCheck,
  IconCalendarEvent,
  IconCalendarPlus,
  IconCalendarTime,
  IconCalendarX,
  IconChecklist,
  IconCircleCheck,
  IconCreditCard,
  IconDoorEnter,
  IconHome,
  IconHourglass,
  IconMail,
  IconMessage,
  IconMessageOff,
  IconNote,
  IconPhoneCall,
  IconPhoneIncoming,
  IconPhoneOutgoing,
  IconPill,
  IconPoint,
  IconRoute,
  IconSend,
  IconShieldCheck,
  IconShieldX,
  IconSpeakerphone,
  IconStar,
  IconTargetArrow,
  IconUserEdit,
  IconUserX,
} from '@tabler/icons-react';
import type { Icon } from '@tabler/icons-react';
import type { TimelineItem } from '../../api/timeline.ts';

/** The families of timeline events (the part of a kind before the first dot), as filter chips. */
export const KIND_FILTERS = [
  { value: 'note', label: 'Notes' },
  { value: 'call', label: 'Calls' },
  { value: 'task', label: 'Tasks' },
  { value: 'appointment', label: 'Appointments' },
  { value: 'message', label: 'Messages' },
  { value: 'record', label: 'Record changes' },
  { value: 'lead', label: 'Lead' },
  { value: 'household', label: 'Household' },
  { value: 'patient', label: 'Merges' },
  { value: 'waitlist', label: 'Waitlist' },
  { value: 'consent', label: 'Consent' },
  { value: 'survey', label: 'Surveys' },
  { value: 'medication', label: 'Medication' },
  { value: 'invoice', label: 'Billing' },
  { value: 'journey', label: 'Journeys' },
] as const;

const STYLE: Record<string, { icon: Icon; color: string }> = {
  note: { icon: IconNote, color: 'yellow' },
  call: { icon: IconPhoneCall, color: 'teal' },
  task: { icon: IconChecklist, color: 'indigo' },
  appointment: { icon: IconCalendarEvent, color: 'blue' },
  message: { icon: IconMessage, color: 'cyan' },
  email: { icon: IconMail, color: 'cyan' },
  sms: { icon: IconMessage, color: 'cyan' },
  survey: { icon: IconStar, color: 'orange' },
  payment: { icon: IconCreditCard, color: 'green' },
  campaign: { icon: IconSpeakerphone, color: 'pink' },
  record: { icon: IconUserEdit, color: 'gray' },
  lead: { icon: IconTargetArrow, color: 'violet' },
  household: { icon: IconHome, color: 'pink' },
  patient: { icon: IconArrowMerge, color: 'grape' },
  waitlist: { icon: IconHourglass, color: 'lime' },
  consent: { icon: IconShieldCheck, color: 'grape' },
  medication: { icon: IconPill, color: 'teal' },
  invoice: { icon: IconCreditCard, color: 'green' },
  journey: { icon: IconRoute, color: 'indigo' },
};

/** Message outcomes: what went, what could not, and why (the summary carries the reason). */
const MESSAGE_KINDS: Record<string, { label: string; icon: Icon; color: string }> = {
  'message.sent': { label: 'Message sent', icon: IconSend, color: 'cyan' },
  'message.delivered': { label: 'Message delivered', icon: IconSend, color: 'cyan' },
  'message.sandboxed': { label: 'Message kept in the sandbox (not delivered)', icon: IconMessageOff, color: 'gray' },
  'message.not_sent': { label: 'Message not sent', icon: IconMessageOff, color: 'orange' },
  'message.failed': { label: 'Message failed', icon: IconMessageOff, color: 'red' },
  'message.received': { label: 'Message received', icon: IconMessage, color: 'cyan' },
  'consent.granted': { label: 'Consent given', icon: IconShieldCheck, color: 'grape' },
  'consent.withdrawn': { label: 'Consent withdrawn', icon: IconShieldX, color: 'red' },
  'survey.answered': { label: 'Survey answered', icon: IconStar, color: 'orange' },
};

/** Appointment events, each with its own label, icon and colour (the status it leads to). */
const APPOINTMENT_KINDS: Record<string, { label: string; icon: Icon; color: string }> = {
  'appointment.booked': { label: 'Appointment booked', icon: IconCalendarPlus, color: 'blue' },
  'appointment.rescheduled': { label: 'Appointment rescheduled', icon: IconCalendarTime, color: 'blue' },
  'appointment.cancelled': { label: 'Appointment cancelled', icon: IconCalendarX, color: 'red' },
  'appointment.confirmed': { label: 'Appointment confirmed', icon: IconCalendarCheck, color: 'blue' },
  'appointment.checked_in': { label: 'Checked in', icon: IconDoorEnter, color: 'teal' },
  'appointment.noshow': { label: 'No-show', icon: IconUserX, color: 'orange' },
  'appointment.completed': { label: 'Visit completed', icon: IconCircleCheck, color: 'gray' },
};

/** A short name for a step of an appointment ("Appointment booked"), where the icon alone would not say it. */
export function kindLabel(item: TimelineItem): string | null {
  return APPOINTMENT_KINDS[item.kind]?.label ?? MESSAGE_KINDS[item.kind]?.label ?? null;
}

/** The icon and colour for an event: by its family, with a call's direction and an appointment's step shown. */
export function kindStyle(item: TimelineItem): { icon: Icon; color: string } {
  const appointment = APPOINTMENT_KINDS[item.kind] ?? MESSAGE_KINDS[item.kind];
  if (appointment) return appointment;
  if (item.kind === 'call') {
    const direction = item.detail.direction;
    if (direction === 'inbound') return { icon: IconPhoneIncoming, color: 'teal' };
    if (direction === 'outbound') return { icon: IconPhoneOutgoing, color: 'teal' };
  }
  const family = item.kind.split('.')[0] ?? item.kind;
  return STYLE[family] ?? { icon: IconPoint, color: 'gray' };
}

/** The text that goes under the summary line, when the event has more to say. */
export function kindBody(item: TimelineItem): string | null {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : null);
  if (item.kind === 'note') {
    const body = text(item.detail.body);
    return body && body !== item.summary ? body : null;
  }
  if (item.kind === 'call') return text(item.detail.notes);
  return null;
}
