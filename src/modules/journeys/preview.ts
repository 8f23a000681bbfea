import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, forbidden, notFound, validationFailed } from '../../server/errors.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { isUuid } from '../../shared/ids.ts';
import { emailHtml } from '../messaging/email.ts';
import { messageValues, templateFor } from '../messaging/render.ts';
import { parseTemplate, renderTemplate, sampleValues, smsSegments, TEMPLATE_VARIABLES, validateTemplate } from '../messaging/templates.ts';
import type { Channel, Purpose } from '../messaging/types.ts';
import { requirePatient } from '../timeline/service.ts';
import { allowedContexts, journeysUsingKey } from './usage.ts';

/**
 * A template as a patient would read it: filled with a real patient's facts (one of their
 * appointments, their medication reminder, their open invoice) in the patient's own time zone, and
 * sample values for whatever the patient has none of. Links are examples: a preview must not hand
 * staff working links that act for the patient.
 */

export type PreviewInput = {
  templateId?: string | undefined;
  /** A draft instead of a saved template; `key` lets the draft be checked against the journeys that send it. */
  key?: string | undefined;
  channel?: Channel | undefined;
  subject?: string | null | undefined;
  body?: string | undefined;
  purpose?: Purpose | undefined;
  /** The draft's language, so the preview can say when the patient would get another language's version. */
  language?: string | undefined;
  patientId?: string | undefined;
  appointmentId?: string | undefined;
};

export type Preview = {
  channel: Channel;
  subject: string | null;
  text: string;
  html: string | null;
  sms: { encoding: 'GSM-7' | 'UCS-2'; segments: number; characters: number } | null;
  warnings: string[];
  /** Variables the template uses that were filled with examples rather than the patient's facts. */
  sampleVariables: string[];
  /** What staff should know about this preview (the patient would get another language's version ...). */
  notes: string[];
  patient: { id: string; name: string } | null;
  appointment: { id: string; startsAt: string; timeZone: string } | null;
};

type Draft = { key: string | null; channel: Channel; subject: string | null; body: string; purpose: Purpose; language: string | null };

async function draftOf(scope: TenantScope, input: PreviewInput): Promise<Draft> {
  if (input.templateId) {
    const row = isUuid(input.templateId)
      ? await scope.tx.selectFrom('message_template').select(['key', 'channel', 'subject', 'body', 'purpose', 'language']).where('id', '=', input.templateId).executeTakeFirst()
      : undefined;
    if (!row) throw notFound('Template');
    return row;
  }
  const problems = [
    ...(input.channel ? [] : [{ path: 'channel', message: 'is required without a templateId' }]),
    ...(input.body !== undefined ? [] : [{ path: 'body', message: 'is required without a templateId' }]),
  ];
  if (problems.length) throw validationFailed(problems);
  return { key: input.key ?? null, channel: input.channel!, subject: input.subject ?? null, body: input.body!, purpose: input.purpose ?? 'care', language: input.language ?? null };
}

/** The appointment to show: the one asked for (it must be the patient's), else their next, else their last. */
async function appointmentFor(scope: TenantScope, patientId: string, appointmentId: string | undefined, now: Date) {
  const base = scope.tx.selectFrom('appointment').select(['id', 'starts_at', 'time_zone']).where('patient_id', '=', patientId);
  if (appointmentId) {
    const row = isUuid(appointmentId) ? await base.where('id', '=', appointmentId).executeTakeFirst() : undefined;
    if (!row) throw new AppError(404, 'not_found', "Appointment was not found among this patient's appointments.");
    return row;
  }
  return (
    (await base.where('status', '=', 'booked').where('starts_at', '>', now).orderBy('starts_at').limit(1).executeTakeFirst()) ??
    (await base.orderBy('starts_at', 'desc').limit(1).executeTakeFirst())
  );
}

/** The patient's own medication reminder and open invoice, as a journey would fill them in. */
async function careValues(scope: TenantScope, patientId: string, zone: string): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  const reminder = await scope.tx
    .selectFrom('medication_reminder')
    .select(['medication', 'instructions', 'times_of_day'])
    .where('patient_id', '=', patientId)
    .orderBy('active', 'desc')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (reminder) {
    values['medication.name'] = reminder.medication;
    values['medication.instructions'] = reminder.instructions ?? '';
    const first = reminder.times_of_day[0];
    if (first) values['medication.time'] = DateTime.fromISO(first, { zone }).toFormat('h:mm a');
  }
  const invoice = await scope.tx
    .selectFrom('invoice')
    .select(['number', 'balance_cents', 'currency', 'due_on'])
    .where('patient_id', '=', patientId)
    .orderBy(sql`status = 'open'`, 'desc')
    .orderBy('due_on', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (invoice) {
    values['invoice.number'] = invoice.number;
    values['invoice.balance'] = new Intl.NumberFormat('en', { style: 'currency', currency: invoice.currency }).format(invoice.balance_cents / 100);
    values['invoice.dueDate'] = DateTime.fromISO(invoice.due_on).toFormat('d LLLL yyyy');
  }
  return values;
}

export async function previewTemplate(scope: TenantScope, input: PreviewInput, context: { baseUrl: string; now: Date }): Promise<Preview> {
  const draft = await draftOf(scope, input);
  const allowed = draft.key ? allowedContexts(await journeysUsingKey(scope, draft.key)) : undefined;
  const { warnings } = validateTemplate({ channel: draft.channel, subject: draft.subject, body: draft.body, allowed });
  const samples = sampleValues();
  const notes: string[] = [];
  let patient: Preview['patient'] = null;
  let appointment: Preview['appointment'] = null;
  let found: { id: string; given_name: string; family_name: string } | null = null;
  let a: { id: string; starts_at: Date; time_zone: string } | undefined;
  if (input.patientId) {
    // Marketing works with segments, never with one patient's facts.
    if ((scope.actor.type === 'user' || scope.actor.type === 'api_token') && !PATIENT_STAFF.includes(scope.actor.role)) {
      throw forbidden('Your role may preview templates with sample values only, not with a patient.');
    }
    found = await requirePatient(scope, input.patientId);
    a = await appointmentFor(scope, found.id, input.appointmentId, context.now);
  }
  // The clinic's own name, phone and booking page, and the patient's facts when there is one. A
  // throwaway key signs the links: they are replaced by examples below, and would not verify anyway.
  let real = await messageValues(
    scope,
    { patient_id: found?.id ?? null, subject_type: a ? 'appointment' : null, subject_id: a?.id ?? null, variables: {}, channel: draft.channel, purpose: draft.purpose },
    { linkKey: randomBytes(32), baseUrl: context.baseUrl, now: context.now },
  );
  for (const name of Object.keys(real)) if (name.startsWith('links.') && name !== 'links.book') delete real[name];
  if (found) {
    const zone = (await scope.tx.selectFrom('patient').select('time_zone').where('id', '=', found.id).executeTakeFirst())?.time_zone;
    const tenantZone = (await scope.tx.selectFrom('tenant').select('time_zone').where('id', '=', scope.tenantId).executeTakeFirstOrThrow()).time_zone;
    real = { ...real, ...(await careValues(scope, found.id, zone ?? tenantZone)) };
    patient = { id: found.id, name: `${found.given_name} ${found.family_name}` };
    const sent = draft.key && draft.language ? await templateFor(scope, draft.key, draft.channel, real['patient.language'] ?? 'en') : undefined;
    if (sent && sent.language !== draft.language) {
      notes.push(`${found.given_name} would get the ${sent.language} version of this template (their language is ${real['patient.language']}).`);
    }
    appointment = a ? { id: a.id, startsAt: a.starts_at.toISOString(), timeZone: a.time_zone } : null;
    await scope.audit({ action: 'template.preview', entityType: 'patient', entityId: found.id, patientId: found.id, detail: { appointmentId: a?.id ?? null, templateId: input.templateId ?? null } });
  }
  const values = { ...samples, ...real };
  const used = [...new Set([...parseTemplate(draft.subject ?? '').variables, ...parseTemplate(draft.body).variables])];
  const subject = draft.channel === 'email' ? renderTemplate(draft.subject ?? '', values) : null;
  const text = renderTemplate(draft.body, values);
  const html =
    draft.channel === 'email'
      ? emailHtml({ text, clinicName: values['clinic.name'] ?? '', unsubscribeUrl: values['links.unsubscribe'] ?? null, preferencesUrl: values['links.preferences'] ?? null })
      : null;
  return {
    channel: draft.channel,
    subject,
    text,
    html,
    sms: draft.channel === 'sms' ? smsSegments(text) : null,
    warnings,
    sampleVariables: used.filter((name) => Object.hasOwn(TEMPLATE_VARIABLES, name) && !Object.hasOwn(real, name)),
    notes,
    patient,
    appointment,
  };
}
