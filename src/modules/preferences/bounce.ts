import type { TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { consentState, recordConsent } from '../messaging/consent.ts';
import { applyDeliveryReport } from '../messaging/dispatch.ts';
import { messageOutcomeOnTimeline } from '../messaging/outbox.ts';
import { emitMessageEvents } from '../webhooks/events.ts';
import type { Bounce, BounceResult } from './schema.ts';

/**
 * Bounces reported after an email was accepted by the relay (a later DSN, read by the clinic's
 * bounce processor and posted to the signed webhook). A hard bounce fails the message and stops
 * email to the address for every purpose; a soft bounce only notes why, since the relay retries.
 * Rejections during the SMTP conversation itself are already recorded as failed by the outbox.
 */

const HANDED_OVER = ['sent', 'delivered'];

/** The email a bounce names: by our message id, or by the Message-ID header we gave it. */
async function bouncedMessage(scope: TenantScope, messageId: string) {
  const query = scope.tx
    .selectFrom('message')
    .select(['id', 'status', 'patient_id', 'provider', 'provider_message_id', 'to_address', 'reason', 'template_key', 'subject'])
    .where('channel', '=', 'email');
  if (isUuid(messageId)) return query.where('id', '=', messageId).executeTakeFirst();
  const header = messageId.startsWith('<') ? messageId : `<${messageId}>`;
  return query.where('provider', '=', 'smtp').where('provider_message_id', '=', header).executeTakeFirst();
}

export async function recordBounce(scope: TenantScope, bounce: Bounce, now: Date): Promise<BounceResult> {
  const m = await bouncedMessage(scope, bounce.messageId);
  if (!m) throw new AppError(404, 'message_not_found', 'messageId names no email this clinic sent.', [{ path: 'messageId', message: 'is not a sent email' }]);
  const reason = `${bounce.type === 'hard' ? 'Hard' : 'Soft'} bounce${bounce.reason ? `: ${bounce.reason}` : ''}`.slice(0, 1000);

  if (bounce.type === 'soft') {
    if (HANDED_OVER.includes(m.status)) await scope.tx.updateTable('message').set({ reason, updated_at: now }).where('id', '=', m.id).execute();
    await scope.audit({ action: 'message.soft_bounce', entityType: 'message', entityId: m.id, patientId: m.patient_id, detail: { reason } });
    return { messageId: m.id, status: m.status, consentWithdrawn: false };
  }

  let status = m.status;
  if (HANDED_OVER.includes(m.status) && m.provider && m.provider_message_id) {
    const changed = await applyDeliveryReport(scope, { provider: m.provider, providerMessageId: m.provider_message_id, status: 'failed', reason }, now);
    if (changed) status = 'failed';
  }
  const consentWithdrawn = m.patient_id && m.to_address ? await stopEmailTo(scope, m.patient_id, m.to_address, reason, now) : false;
  return { messageId: m.id, status, consentWithdrawn };
}

/**
 * Withdraws email consent for every purpose not withdrawn already, when the bounced address is the
 * one still on file (a patient who has since given a new address keeps getting email there).
 */
async function stopEmailTo(scope: TenantScope, patientId: string, address: string, reason: string, now: Date): Promise<boolean> {
  const patient = await scope.tx.selectFrom('patient').select('email').where('id', '=', patientId).executeTakeFirst();
  if (!patient?.email || patient.email.toLowerCase() !== address.toLowerCase()) return false;
  const purposes = (await consentState(scope, patientId)).filter((a) => a.channel === 'email' && a.status !== 'withdrawn').map((a) => a.purpose);
  if (!purposes.length) return false;
  // Emails still waiting are stopped for the bounce itself, before the withdrawal would stop them.
  const stopped = await scope.tx
    .updateTable('message')
    .set({ status: 'not_sent', reason: 'email_bounced', lease_until: null, updated_at: now })
    .where('patient_id', '=', patientId)
    .where('channel', '=', 'email')
    .where('status', 'in', ['scheduled', 'sending'])
    .returning(['id', 'purpose', 'template_key', 'subject'])
    .execute();
  for (const s of stopped) {
    await messageOutcomeOnTimeline(scope, { id: s.id, patientId, channel: 'email', status: 'not_sent', reason: 'email_bounced', label: s.template_key ?? 'message', subject: s.subject }, now);
  }
  await emitMessageEvents(scope, stopped.map((s) => ({ id: s.id, patientId, channel: 'email' as const, purpose: s.purpose, status: 'not_sent' as const, reason: 'email_bounced' })), now);
  const note = `Email to ${address} bounced (${reason})`.slice(0, 500);
  await recordConsent(scope, { patientId, channels: ['email'], purposes, status: 'withdrawn', source: 'bounce', note }, now);
  return true;
}
