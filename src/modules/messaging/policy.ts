import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import type { MessagingSettingsTable } from '../../server/db/types.ts';
import type { Selectable } from 'kysely';
import { sentSince } from './consent.ts';
import { MessageFacts } from './facts.ts';
import type { Channel, Purpose } from './types.ts';

/** The rules a message meets before it goes: where it goes, when it may go, how many may go. */

export type MessagingSettings = Omit<Selectable<MessagingSettingsTable>, 'tenant_id' | 'updated_at'> & { updated_at: Date | null };

export const DEFAULT_CAPS: Record<Purpose, { count: number; days: number }> = {
  care: { count: 10, days: 1 },
  billing: { count: 2, days: 7 },
  education: { count: 2, days: 7 },
  marketing: { count: 2, days: 30 },
  research: { count: 1, days: 30 },
};

/** The clinic's settings, or the defaults when it never saved any. */
export async function messagingSettings(scope: TenantScope): Promise<MessagingSettings> {
  const row = await scope.tx.selectFrom('messaging_settings').selectAll().executeTakeFirst();
  if (row) {
    const { tenant_id: _tenant, ...settings } = row;
    return settings;
  }
  return {
    email_from_name: null,
    email_from_address: null,
    email_reply_to: null,
    sms_provider: 'none',
    sms_from: null,
    twilio_account_sid: null,
    twilio_auth_token: null,
    twilio_base_url: null,
    webhook_url: null,
    webhook_secret: null,
    quiet_hours_start: '21:00:00',
    quiet_hours_end: '08:00:00',
    frequency_caps: DEFAULT_CAPS,
    help_text: null,
    updated_at: null,
  };
}

export const channelLabel = (channel: Channel) => (channel === 'email' ? 'Email' : channel === 'sms' ? 'SMS' : 'In-app message');

/** The patient's address on a channel, or the reason there is none. */
export async function addressFor(scope: TenantScope, patientId: string, channel: Channel): Promise<{ address: string | null; reason: string | null }> {
  return new MessageFacts(scope).address(patientId, channel);
}

const minutesOf = (time: string) => {
  const [h, m] = time.split(':').map(Number);
  return h! * 60 + m!;
};

/**
 * When a message due at `at` may go, given quiet hours in the patient's own zone: `at` itself when
 * outside them, else the end of the quiet period (the next morning in that zone, DST included).
 */
export function afterQuietHours(at: Date, zone: string, quiet: { start: string; end: string }): Date {
  const local = DateTime.fromJSDate(at, { zone });
  const now = local.hour * 60 + local.minute;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return at;
  const inQuiet = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inQuiet) return at;
  // Set the wall-clock time (luxon's plus({minutes}) from midnight adds real time, an hour off on
  // DST days); inside a DST gap luxon moves forward: the first real minute after quiet hours.
  const endOn = (day: DateTime) => day.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  let until = endOn(local);
  if (until <= local) until = endOn(local.plus({ days: 1 }));
  return until.toJSDate();
}

/**
 * Subjects whose messages go at a time the patient (or their clinician) chose for them: a
 * medication reminder's dose times, set in the patient's zone. Quiet hours are the clinic's guess
 * at when not to disturb; a dose time the patient asked for overrides that guess. Only quiet hours:
 * consent and frequency caps still apply.
 */
const PATIENT_TIMED_SUBJECTS: readonly string[] = ['medication_reminder'];

/** Whether quiet hours hold a message back: not for urgent care, the in-app inbox, or a time the patient chose. */
export function quietHoursApply(m: { urgent: boolean; channel: Channel; subject_type: string | null }): boolean {
  if (m.urgent || m.channel === 'in_app') return false;
  return !(m.subject_type !== null && PATIENT_TIMED_SUBJECTS.includes(m.subject_type));
}

/** Whether one more message of `purpose` would break the clinic's frequency cap for the patient. */
export async function overFrequencyCap(scope: TenantScope, patientId: string, purpose: Purpose, settings: MessagingSettings, now: Date): Promise<boolean> {
  const cap = settings.frequency_caps[purpose] ?? DEFAULT_CAPS[purpose];
  if (!cap || cap.count <= 0) return false;
  const sent = await sentSince(scope, patientId, purpose, new Date(now.getTime() - cap.days * 86_400_000));
  return sent >= cap.count;
}
