import type { TenantScope } from '../../server/db/scope.ts';
import { validationFailed, type FieldProblem } from '../../server/errors.ts';
import { DEFAULT_CAPS, messagingSettings, type MessagingSettings } from './policy.ts';
import type { SettingsPatch, SettingsView } from './schema.ts';
import { PURPOSES } from './types.ts';

/**
 * The clinic's communication settings: the email sender, the SMS provider and its credentials,
 * quiet hours, frequency caps and the help text. Provider secrets are write-only: an answer says
 * whether one is set, never what it is.
 */

const hhmm = (t: string) => t.slice(0, 5);
const E164 = /^\+[1-9]\d{1,14}$/;

function present(s: MessagingSettings, smtpConfigured: boolean): SettingsView {
  const sms = s.sms_provider === 'twilio' || s.sms_provider === 'webhook' ? s.sms_provider : 'sandbox';
  return {
    emailFromName: s.email_from_name,
    emailFromAddress: s.email_from_address,
    emailReplyTo: s.email_reply_to,
    smsProvider: s.sms_provider,
    smsFrom: s.sms_from,
    twilioAccountSid: s.twilio_account_sid,
    twilioAuthTokenSet: Boolean(s.twilio_auth_token),
    twilioBaseUrl: s.twilio_base_url,
    webhookUrl: s.webhook_url,
    webhookSecretSet: Boolean(s.webhook_secret),
    quietHoursStart: hhmm(s.quiet_hours_start),
    quietHoursEnd: hhmm(s.quiet_hours_end),
    frequencyCaps: Object.fromEntries(PURPOSES.map((p) => [p, s.frequency_caps[p] ?? DEFAULT_CAPS[p]])) as SettingsView['frequencyCaps'],
    helpText: s.help_text,
    smtpConfigured,
    delivery: { email: smtpConfigured ? 'smtp' : 'sandbox', sms, inApp: 'in_app' },
    updatedAt: s.updated_at ? new Date(s.updated_at).toISOString() : null,
  };
}

export async function readMessagingSettings(scope: TenantScope, smtpConfigured: boolean): Promise<SettingsView> {
  return present(await messagingSettings(scope), smtpConfigured);
}

/** What a provider needs, checked on the settings as they would be after the change. */
function providerProblems(s: MessagingSettings): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const need = (value: string | null, path: string, what: string) => {
    if (!value) problems.push({ path, message: `is required when the SMS provider is ${what}` });
  };
  if (s.sms_provider === 'twilio') {
    need(s.twilio_account_sid, 'twilioAccountSid', 'Twilio');
    need(s.twilio_auth_token, 'twilioAuthToken', 'Twilio');
    need(s.sms_from, 'smsFrom', 'Twilio');
    if (s.sms_from && !E164.test(s.sms_from)) problems.push({ path: 'smsFrom', message: 'must be the Twilio number in E.164, such as +14135550100' });
  }
  if (s.sms_provider === 'webhook') {
    need(s.webhook_url, 'webhookUrl', 'a webhook');
    need(s.webhook_secret, 'webhookSecret', 'a webhook');
  }
  return problems;
}

/**
 * Changes what the patch names (null clears a field), checks the result as a whole, and saves it.
 * updated_at moves on, so workers build the clinic's SMS adapter afresh with the new settings.
 */
export async function changeMessagingSettings(scope: TenantScope, patch: SettingsPatch, now: Date, smtpConfigured: boolean): Promise<SettingsView> {
  const current = await messagingSettings(scope);
  const pick = <T>(value: T | undefined, old: T): T => (value === undefined ? old : value);
  const next: MessagingSettings = {
    email_from_name: pick(patch.emailFromName, current.email_from_name),
    email_from_address: pick(patch.emailFromAddress, current.email_from_address),
    email_reply_to: pick(patch.emailReplyTo, current.email_reply_to),
    sms_provider: pick(patch.smsProvider, current.sms_provider),
    sms_from: pick(patch.smsFrom, current.sms_from),
    twilio_account_sid: pick(patch.twilioAccountSid, current.twilio_account_sid),
    twilio_auth_token: pick(patch.twilioAuthToken, current.twilio_auth_token),
    twilio_base_url: pick(patch.twilioBaseUrl, current.twilio_base_url),
    webhook_url: pick(patch.webhookUrl, current.webhook_url),
    webhook_secret: pick(patch.webhookSecret, current.webhook_secret),
    quiet_hours_start: patch.quietHoursStart ? `${patch.quietHoursStart}:00` : current.quiet_hours_start,
    quiet_hours_end: patch.quietHoursEnd ? `${patch.quietHoursEnd}:00` : current.quiet_hours_end,
    frequency_caps: { ...DEFAULT_CAPS, ...current.frequency_caps, ...patch.frequencyCaps },
    help_text: pick(patch.helpText, current.help_text) || null,
    updated_at: current.updated_at,
  };
  const problems = providerProblems(next);
  if (problems.length) {
    await scope.audit({ action: 'messaging.settings.update', entityType: 'messaging_settings', entityId: scope.tenantId, outcome: 'failure', detail: { fields: Object.keys(patch), problems: problems.map((p) => p.path) } });
    throw validationFailed(problems);
  }
  // Strictly later than the last save, so the adapter cache sees a new version even within a millisecond.
  const updatedAt = current.updated_at && new Date(current.updated_at).getTime() >= now.getTime() ? new Date(new Date(current.updated_at).getTime() + 1) : now;
  const { updated_at: _old, ...values } = next;
  const row = { ...values, frequency_caps: JSON.stringify(values.frequency_caps), updated_at: updatedAt };
  await scope.tx
    .insertInto('messaging_settings')
    .values({ tenant_id: scope.tenantId, ...row })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet(row))
    .execute();
  // Field names only: never the values, which include secrets.
  await scope.audit({ action: 'messaging.settings.update', entityType: 'messaging_settings', entityId: scope.tenantId, detail: { fields: Object.keys(patch) } });
  return present({ ...next, updated_at: updatedAt }, smtpConfigured);
}
