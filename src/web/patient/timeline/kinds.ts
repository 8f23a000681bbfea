import {
  IconArrowMerge,
  IconCalendarEvent,
  IconChecklist,
  IconCreditCard,
  IconHome,
  IconMail,
  IconMessage,
  IconNote,
  IconPhoneCall,
  IconPhoneIncoming,
  IconPhoneOutgoing,
  IconPoint,
  IconSpeakerphone,
  IconStar,
  IconTargetArrow,
  IconUserEdit,
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
};

/** The icon and colour for an event: by its family, with a call's direction shown. */
export function kindStyle(item: TimelineItem): { icon: Icon; color: string } {
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
