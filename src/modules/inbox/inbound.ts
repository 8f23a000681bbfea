import { DateTime } from 'luxon';
import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { InboundMessageTable } from '../../server/db/types.ts';
import { AppError } from '../../server/errors.ts';
import { fireTrigger } from '../journeys/engine.ts';
import { recordConsent } from '../messaging/consent.ts';
import { scheduleMessage } from '../messaging/outbox.ts';
import { messagingSettings } from '../messaging/policy.ts';
import { OPT_OUT_PURPOSES, PURPOSES, type InboundSms } from '../messaging/types.ts';
import { changeAppointmentStatus } from '../scheduling/booking.ts';
import { emitMessageEvents } from '../webhooks/events.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { preview, readKeyword, replies, type ClinicFacts } from './keywords.ts';
import { normalizeAddress, patientsOnNumber, type Candidate } from './numbers.ts';

/**
 * A text a patient sent in. It is stored once per provider message id (a provider retrying its
 * webhook changes nothing), on the one conversation of its number. Keywords act at once (see
 * keywords.ts): STOP and START change SMS consent for everyone on the number, HELP answers with
 * the clinic's help text, C or X confirm or cancel the visit the number was last texted about.
 * Anything else waits in the shared inbox for staff. Automatic answers go through the outbox.
 */

export type HandledAs = InboundMessageTable['handled_as'];

export type InboundOutcome = {
  /** True when this provider message was already received: nothing was done again. */
  duplicate: boolean;
  inboundId: string;
  conversationId: string;
  handledAs: HandledAs;
  patientId: string | null;
  appointmentId: string | null;
  /** The outbox message answering it, if Rapport answered. */
  replyId: string | null;
};

export type InboundOptions = {
  /** Where patients open links (the booking page in a cancellation's answer). */
  publicUrl?: string | null | undefined;
  /** The provider already answered the keyword itself (Twilio's Advanced Opt-Out): Rapport only records it. */
  providerAnswered?: boolean | undefined;
};

type Conversation = { id: string; address: string; patient_id: string | null; status: 'open' | 'closed' };

export async function receiveInboundSms(scope: TenantScope, sms: InboundSms, now: Date, options: InboundOptions = {}): Promise<InboundOutcome> {
  const seen = await alreadyReceived(scope, sms);
  if (seen) return seen;
  const address = normalizeAddress(sms.from);
  if (!address) throw new AppError(400, 'validation_failed', 'Invalid request: from must not be empty', [{ path: 'from', message: 'must not be empty' }]);
  const candidates = await patientsOnNumber(scope, address);
  const only = candidates.length === 1 ? candidates[0]!.id : null;
  // The upsert locks the number's conversation, so two deliveries of one text queue here and the
  // second finds the first's row below.
  const conversation = await scope.tx
    .insertInto('conversation')
    .values({ tenant_id: scope.tenantId, channel: 'sms', address, patient_id: only, last_message_at: sms.receivedAt, created_at: now })
    .onConflict((oc) => oc.columns(['tenant_id', 'channel', 'address']).doUpdateSet({ address: (eb) => eb.ref('excluded.address') }))
    .returning(['id', 'address', 'patient_id', 'status'])
    .executeTakeFirstOrThrow();
  const raced = await alreadyReceived(scope, sms);
  if (raced) return raced;
  conversation.patient_id ??= only;

  const read = readKeyword(sms.body);
  let result: Handled | null = null;
  if (read) {
    const h: Handle = { scope, sms, now, options, conversation, candidates, clinic: await clinicFacts(scope, options.publicUrl) };
    const { keyword } = read;
    if (keyword === 'stop') result = await optOut(h, read.word);
    else if (keyword === 'start' || (read.word === 'YES' && (await lastKeyword(scope, conversation.id)) === 'stop')) result = await optIn(h);
    else if (keyword === 'help') result = help(h);
    else result = await answerAboutVisit(h, keyword);
  }
  result ??= { handledAs: 'conversation', appointmentId: null, patientId: conversation.patient_id, reply: null };

  const inbound = await scope.tx
    .insertInto('inbound_message')
    .values({
      tenant_id: scope.tenantId,
      conversation_id: conversation.id,
      patient_id: result.patientId,
      provider: sms.provider,
      provider_message_id: sms.providerMessageId,
      from_address: address,
      to_address: sms.to,
      body: sms.body,
      handled_as: result.handledAs,
      appointment_id: result.appointmentId,
      received_at: sms.receivedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const forStaff = result.handledAs === 'conversation' || result.forStaff === true;
  await scope.tx
    .updateTable('conversation')
    .set((eb) => ({
      patient_id: conversation.patient_id,
      last_message_at: sms.receivedAt,
      last_message_preview: preview(sms.body) || '(no text)',
      // Keywords were answered already; only a message for staff waits for them (and reopens a closed thread).
      ...(forStaff ? { unread_count: eb('unread_count', '+', 1), status: 'open' as const } : {}),
    }))
    .where('id', '=', conversation.id)
    .execute();
  const replyId = result.reply ? await sendReply(scope, conversation, result.reply, sms, now) : null;
  if (result.handledAs === 'conversation' && conversation.patient_id) await onPatientRecord(scope, conversation, inbound.id, sms, now);
  await scope.audit({
    action: 'sms.receive',
    entityType: 'inbound_message',
    entityId: inbound.id,
    patientId: result.patientId,
    detail: { provider: sms.provider, conversationId: conversation.id, handledAs: result.handledAs, appointmentId: result.appointmentId, candidates: candidates.length, replyId },
  });
  return { duplicate: false, inboundId: inbound.id, conversationId: conversation.id, handledAs: result.handledAs, patientId: result.patientId, appointmentId: result.appointmentId, replyId };
}

async function alreadyReceived(scope: TenantScope, sms: InboundSms): Promise<InboundOutcome | null> {
  const row = await scope.tx
    .selectFrom('inbound_message')
    .select(['id', 'conversation_id', 'handled_as', 'patient_id', 'appointment_id'])
    .where('provider', '=', sms.provider)
    .where('provider_message_id', '=', sms.providerMessageId)
    .executeTakeFirst();
  if (!row) return null;
  return { duplicate: true, inboundId: row.id, conversationId: row.conversation_id, handledAs: row.handled_as, patientId: row.patient_id, appointmentId: row.appointment_id, replyId: null };
}

type Handled = {
  handledAs: HandledAs;
  appointmentId: string | null;
  patientId: string | null;
  reply: string | null;
  /** Handled, but staff should still see it (unread). */
  forStaff?: boolean;
};
type Handle = { scope: TenantScope; sms: InboundSms; now: Date; options: InboundOptions; conversation: Conversation; candidates: Candidate[]; clinic: ClinicFacts };

const answer = (h: Handle, text: string) => (h.options.providerAnswered ? null : text);

/**
 * STOP: SMS consent withdrawn for every purpose, for everyone on the number; texts still queued to
 * it stop. CANCEL is an opt-out too, but a patient who sends it after a reminder probably meant the
 * visit: that one is left unread for staff to call about.
 */
async function optOut(h: Handle, word: string): Promise<Handled> {
  for (const patient of h.candidates) {
    await recordConsent(h.scope, { patientId: patient.id, channels: ['sms'], purposes: PURPOSES, status: 'withdrawn', source: 'keyword', note: 'Replied STOP by SMS' }, h.now);
  }
  // recordConsent stops the patients' own queued texts; these went to the number for nobody in particular.
  const stopped = await h.scope.tx
    .updateTable('message')
    .set({ status: 'not_sent', reason: 'consent_withdrawn', lease_until: null, updated_at: h.now })
    .where('channel', '=', 'sms')
    .where('patient_id', 'is', null)
    .where('to_address', '=', h.conversation.address)
    .where('status', 'in', ['scheduled', 'sending'])
    .returning(['id', 'channel', 'purpose'])
    .execute();
  await emitMessageEvents(h.scope, stopped.map((m) => ({ id: m.id, patientId: null, channel: m.channel, purpose: m.purpose, status: 'not_sent' as const, reason: 'consent_withdrawn' })), h.now);
  const visit = word === 'CANCEL' ? await remindedVisit(h, h.now) : undefined;
  return { handledAs: 'stop', appointmentId: visit?.id ?? null, patientId: h.conversation.patient_id, reply: answer(h, replies.stop(h.clinic)), forStaff: Boolean(visit) };
}

/** START (or YES after STOP): care and billing texts again; opt-in purposes stay as the patient left them. */
async function optIn(h: Handle): Promise<Handled> {
  for (const patient of h.candidates) {
    await recordConsent(h.scope, { patientId: patient.id, channels: ['sms'], purposes: OPT_OUT_PURPOSES, status: 'granted', source: 'keyword', note: 'Replied START by SMS' }, h.now);
  }
  return { handledAs: 'start', appointmentId: null, patientId: h.conversation.patient_id, reply: answer(h, replies.start(h.clinic)) };
}

function help(h: Handle): Handled {
  return { handledAs: 'help', appointmentId: null, patientId: h.conversation.patient_id, reply: answer(h, replies.help(h.clinic)) };
}

/**
 * C or X: the upcoming booked visit this number was last texted about. With none, the text is a
 * message for staff after all.
 */
async function answerAboutVisit(h: Handle, keyword: 'confirm' | 'cancel'): Promise<Handled | null> {
  const visit = await remindedVisit(h, h.now);
  if (!visit) return null;
  const patientId = h.conversation.patient_id ?? visit.patient_id;
  const base = { handledAs: keyword, appointmentId: visit.id, patientId };
  if (keyword === 'confirm' && visit.confirmed_at) return { ...base, reply: replies.alreadyConfirmed(h.clinic, describeVisit(visit)) };
  try {
    await changeAppointmentStatus(
      h.scope,
      visit.id,
      keyword === 'confirm' ? { action: 'confirm', via: 'public' } : { action: 'cancel', reason: 'Cancelled by patient reply to SMS', via: 'public' },
      h.now,
    );
  } catch (error) {
    // The booking core refused (the visit changed under us): leave the text for staff.
    if (error instanceof AppError && error.status < 500) return null;
    throw error;
  }
  const text = keyword === 'confirm' ? replies.confirmed(h.clinic, describeVisit(visit)) : replies.cancelled(h.clinic, describeVisit(visit));
  return { ...base, reply: text };
}

type Visit = { id: string; patient_id: string; confirmed_at: Date | null; starts_at: Date; time_zone: string; service_name: string };

/**
 * The latest appointment text to this number whose visit is still booked and ahead. Appointment
 * texts are addressed to patients, so only those with the number on file (or the conversation's) count.
 */
async function remindedVisit(h: Handle, now: Date): Promise<Visit | undefined> {
  const patientIds = [...new Set([...(h.conversation.patient_id ? [h.conversation.patient_id] : []), ...h.candidates.map((c) => c.id)])];
  if (!patientIds.length) return undefined;
  return h.scope.tx
    .selectFrom('message as m')
    .innerJoin('appointment as a', 'a.id', 'm.subject_id')
    .innerJoin('service as s', 's.id', 'a.service_id')
    .select(['a.id', 'a.patient_id', 'a.confirmed_at', 'a.starts_at', 'a.time_zone', 's.name as service_name'])
    .where('m.channel', '=', 'sms')
    .where('m.subject_type', '=', 'appointment')
    .where('m.patient_id', 'in', patientIds)
    .where('m.to_address', '=', h.conversation.address)
    .where('m.status', 'in', ['sent', 'delivered', 'sandboxed'])
    .where('a.status', '=', 'booked')
    .where('a.starts_at', '>', now)
    .orderBy(sql`coalesce(m.sent_at, m.created_at)`, 'desc')
    .limit(1)
    .executeTakeFirst();
}

const describeVisit = (v: Visit) => {
  const start = DateTime.fromJSDate(v.starts_at, { zone: v.time_zone }).setLocale('en-US');
  return `${v.service_name} on ${start.toFormat('ccc d LLL')} at ${start.toLocaleString(DateTime.TIME_SIMPLE)}`;
};

async function lastKeyword(scope: TenantScope, conversationId: string): Promise<HandledAs | undefined> {
  const row = await scope.tx
    .selectFrom('inbound_message')
    .select('handled_as')
    .where('conversation_id', '=', conversationId)
    .where('handled_as', 'in', ['stop', 'start'])
    .orderBy('received_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.handled_as;
}

async function clinicFacts(scope: TenantScope, publicUrl: string | null | undefined): Promise<ClinicFacts> {
  const tenant = await scope.tx.selectFrom('tenant').select(['name', 'slug', 'booking_page_enabled']).where('id', '=', scope.tenantId).executeTakeFirstOrThrow();
  const location = await scope.tx.selectFrom('location').select('phone').where('phone', 'is not', null).where('active', '=', true).orderBy('created_at').limit(1).executeTakeFirst();
  const settings = await messagingSettings(scope);
  return {
    name: tenant.name,
    phone: location?.phone ?? null,
    helpText: settings.help_text,
    bookUrl: publicUrl && tenant.booking_page_enabled ? `${publicUrl.replace(/\/+$/, '')}/book/${tenant.slug}` : null,
  };
}

/**
 * An automatic answer: an urgent care text to the number that texted in, keyed by the text it
 * answers (so it is sent once). It is addressed to the number, not a patient: an answer to the
 * patient's own text must reach them even after consent was withdrawn (the STOP confirmation).
 */
async function sendReply(scope: TenantScope, conversation: Conversation, text: string, sms: InboundSms, now: Date): Promise<string> {
  const scheduled = await scheduleMessage(
    scope,
    {
      patientId: null,
      channel: 'sms',
      purpose: 'care',
      idempotencyKey: `sms-reply:${sms.provider}:${sms.providerMessageId}`.slice(0, 300),
      dueAt: now,
      urgent: true,
      body: text,
      conversationId: conversation.id,
      toAddress: conversation.address,
    },
    now,
  );
  return scheduled.id;
}

/** A message for staff from a known patient: on their timeline, and the journeys that wait for one. */
async function onPatientRecord(scope: TenantScope, conversation: Conversation, inboundId: string, sms: InboundSms, now: Date): Promise<void> {
  const patientId = conversation.patient_id!;
  await recordTimelineEvent(scope, {
    patientId,
    kind: 'message.received',
    summary: `SMS received: "${preview(sms.body, 120) || '(no text)'}"`,
    detail: { conversationId: conversation.id, inboundMessageId: inboundId, provider: sms.provider },
    occurredAt: sms.receivedAt,
    subject: { type: 'conversation', id: conversation.id },
  });
  await fireTrigger(scope, { type: 'message.inbound', patientId, subject: { type: 'conversation', id: conversation.id }, occurrence: `inbound:${inboundId}`, at: now }, now);
}
