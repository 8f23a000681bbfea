import type { Channel, Message, MessageStatus, Purpose } from './api.ts';

/** Words and colours for messages, consent and their states. */

export const STATUS: Record<MessageStatus, { label: string; color: string }> = {
  scheduled: { label: 'Scheduled', color: 'blue' },
  sending: { label: 'Sending', color: 'blue' },
  sent: { label: 'Sent', color: 'teal' },
  delivered: { label: 'Delivered', color: 'green' },
  failed: { label: 'Failed', color: 'red' },
  not_sent: { label: 'Not sent', color: 'orange' },
  sandboxed: { label: 'Sandbox (not delivered)', color: 'grape' },
};

export const statusLabel = (status: MessageStatus) => STATUS[status]?.label ?? status;
export const statusColor = (status: MessageStatus) => STATUS[status]?.color ?? 'gray';

const CHANNELS: Record<Channel, string> = { email: 'Email', sms: 'SMS', in_app: 'In-app' };
export const channelName = (channel: Channel) => CHANNELS[channel] ?? channel;

const PURPOSES: Record<Purpose, string> = { care: 'Care reminders', billing: 'Billing', education: 'Education', marketing: 'Marketing', research: 'Research' };
export const purposeName = (purpose: Purpose) => PURPOSES[purpose] ?? purpose;

const SOURCES: Record<string, string> = {
  staff: 'Told staff',
  form: 'Signed form',
  keyword: 'Text keyword',
  import: 'Import',
  preference_centre: 'Preference page',
  unsubscribe: 'Unsubscribe link',
  booking: 'Online booking',
  api: 'Integration',
  bounce: 'Address bounced',
};
export const sourceName = (source: string) => SOURCES[source] ?? source;

const dateTime = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

/** "22 Nov 2026, 09:00" in the browser's zone. */
export function formatMoment(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** Where it went, in words: in-app messages are addressed to the patient's own pages. */
export const addressOf = (m: Pick<Message, 'channel' | 'to'>) => (m.channel === 'in_app' ? 'The patient’s in-app messages' : (m.to ?? '—'));

/** What the message is: its subject, its template's name, or the start of its text. */
export function messageTitle(m: Pick<Message, 'subject' | 'template' | 'preview'>): string {
  if (m.subject) return m.subject;
  if (m.template) return m.template.name ?? m.template.key;
  const text = (m.preview ?? '').replace(/\s+/g, ' ').trim();
  if (!text) return 'Message';
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** One line on where the message stands, in words ("Due 22 Nov, 09:00", "No email address on file"). */
export function statusLine(m: Message): string {
  if (m.reasonText) return m.reasonText[0]!.toUpperCase() + m.reasonText.slice(1);
  switch (m.status) {
    case 'scheduled':
      return `Due ${formatMoment(m.dueAt)}`;
    case 'sending':
      return 'Being handed to the provider now';
    case 'sent':
      return `Handed to ${m.provider ?? 'the provider'} ${formatMoment(m.sentAt)}`;
    case 'delivered':
      return m.channel === 'in_app' ? `In the patient's messages since ${formatMoment(m.deliveredAt ?? m.sentAt)}` : `Delivered ${formatMoment(m.deliveredAt)}`;
    default:
      return '';
  }
}

/** A message the worker should pick up shortly: worth checking again in a moment. */
export const isPending = (m: Pick<Message, 'status' | 'dueAt'>, now = Date.now()) =>
  m.status === 'sending' || (m.status === 'scheduled' && Date.parse(m.dueAt) <= now + 5_000);

export const ATTEMPT_OUTCOMES: Record<string, string> = {
  sent: 'Accepted by the provider',
  delivered: 'Delivered',
  retry: 'Temporary problem: will try again',
  failed: 'Refused',
  not_sent: 'Not sent',
  deferred: 'Waiting for quiet hours to end',
  sandboxed: 'Kept in the sandbox',
};
