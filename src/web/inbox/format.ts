import { formatFullName, formatPhone } from '../patients/format.ts';
import type { Conversation, HandledAs, OutboundStatus } from './api.ts';

/** Who a conversation is with, in words: the patient, the household's members, or an unknown number. */
export function conversationTitle(c: Conversation): string {
  if (c.patient) return formatFullName(c.patient);
  if (c.candidates.length) return c.candidates.map(formatFullName).join(' or ');
  return 'Unknown number';
}

export const OUTBOUND_STATUS: Record<OutboundStatus, { label: string; color: string }> = {
  scheduled: { label: 'Scheduled', color: 'gray' },
  sending: { label: 'Sending', color: 'gray' },
  sent: { label: 'Sent', color: 'blue' },
  delivered: { label: 'Delivered', color: 'teal' },
  failed: { label: 'Failed', color: 'red' },
  not_sent: { label: 'Not sent', color: 'orange' },
  sandboxed: { label: 'Sandbox', color: 'grape' },
};

/** What Rapport did with a text at once (nothing, for a message left to staff). */
export const HANDLED: Record<Exclude<HandledAs, 'conversation'>, string> = {
  stop: 'Opted out of texts (STOP)',
  start: 'Opted back in (START)',
  help: 'Asked for help: the help text was sent',
  confirm: 'Confirmed the appointment',
  cancel: 'Cancelled the appointment',
};

export const phoneOf = (c: Conversation) => formatPhone(c.address);

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

/** "09:30" today, "14 Jan" before. */
export function shortWhen(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  return d.toDateString() === now.toDateString() ? timeFormat.format(d) : dayFormat.format(d);
}

/** A fresh key per reply, so a double click or a retry sends it once. */
export function newReplyKey(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}
