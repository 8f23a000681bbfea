/**
 * The words a patient can text back, and what Rapport makes of them. Decided as follows:
 *
 * - Opt-out: a message whose first word is STOP, STOPALL, UNSUBSCRIBE, CANCEL, END or QUIT. These
 *   are the CTIA opt-out words, and Twilio (and the carriers behind it) block the number on them
 *   whatever Rapport does, so Rapport's consent ledger must agree. The first word is enough
 *   ("Stop texting me" means it); erring this way only ever sends less.
 * - Cancelling a visit: the reminder says "Reply C to confirm or X to cancel", so exactly X, N or
 *   NO, or "CANCEL APPT" / "CANCEL APPOINTMENT". CANCEL alone stays an opt-out, as the carriers
 *   read it (after a reminder it is also left unread for staff: the patient may have meant the visit).
 * - Confirming: exactly C, Y, YES or CONFIRM. YES from a number whose last keyword was STOP is an
 *   opt-in instead (Twilio reads YES that way too).
 * - Opt-in: exactly START or UNSTOP. Help: exactly HELP or INFO.
 *
 * "Exactly" allows case, surrounding spaces and trailing punctuation ("Yes!", " c "). Anything
 * longer ("No problem, see you then", "Help me with my bill") is a message for staff, not a
 * keyword: a sentence must never cancel a visit or hide from the inbox.
 */

export type Keyword = 'stop' | 'start' | 'help' | 'confirm' | 'cancel';

const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const OPT_IN = new Set(['START', 'UNSTOP']);
const HELP = new Set(['HELP', 'INFO']);
const CONFIRM = new Set(['C', 'Y', 'YES', 'CONFIRM']);
const CANCEL_VISIT = new Set(['X', 'N', 'NO', 'CANCEL APPT', 'CANCEL APPOINTMENT']);

const TRAILING = /[\s.!?,;:'")\]]+$/u;
const LEADING = /^[\s'"([]+/u;

/** The keyword a text is (and the word as read, upper-cased), or null when it is a message for staff. */
export function readKeyword(body: string): { keyword: Keyword; word: string } | null {
  const whole = body.replace(/\s+/gu, ' ').replace(LEADING, '').replace(TRAILING, '').toUpperCase();
  if (!whole) return null;
  if (CANCEL_VISIT.has(whole)) return { keyword: 'cancel', word: whole };
  const first = whole.split(' ', 1)[0]!.replace(TRAILING, '');
  if (OPT_OUT.has(first)) return { keyword: 'stop', word: first };
  if (OPT_IN.has(whole)) return { keyword: 'start', word: whole };
  if (HELP.has(whole)) return { keyword: 'help', word: whole };
  if (CONFIRM.has(whole)) return { keyword: 'confirm', word: whole };
  return null;
}

export type ClinicFacts = { name: string; phone: string | null; helpText: string | null; bookUrl: string | null };

/** How to book again: the booking page (a link last, so nothing sticks to it) and the phone. */
function rebook(clinic: ClinicFacts): string {
  if (clinic.bookUrl) return clinic.phone ? ` To book a new time, call ${clinic.phone} or visit ${clinic.bookUrl}` : ` Book a new time: ${clinic.bookUrl}`;
  return clinic.phone ? ` To book a new time, call ${clinic.phone}.` : '';
}

/** The answers Rapport texts back, short enough for one or two SMS segments. */
export const replies = {
  stop: (clinic: ClinicFacts) => `${clinic.name}: you will not get any more texts from us. Reply START to opt back in.`,
  start: (clinic: ClinicFacts) => `${clinic.name}: you will get appointment and account texts from us again. Reply STOP to opt out, HELP for help.`,
  help: (clinic: ClinicFacts) =>
    clinic.helpText ??
    `${clinic.name}: appointment reminders and messages from your clinic.${clinic.phone ? ` For help call ${clinic.phone}.` : ''} Reply STOP to opt out. Msg & data rates may apply.`,
  confirmed: (clinic: ClinicFacts, visit: string) => `${clinic.name}: thank you, your ${visit} is confirmed. See you then!`,
  alreadyConfirmed: (clinic: ClinicFacts, visit: string) => `${clinic.name}: your ${visit} is already confirmed. See you then!`,
  cancelled: (clinic: ClinicFacts, visit: string) => `${clinic.name}: your ${visit} is cancelled.${rebook(clinic)}`,
};

/** One line a person reads at a glance: whitespace collapsed, cut at `max` characters. */
export function preview(text: string, max = 140): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
