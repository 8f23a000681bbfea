import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import type { Selectable } from 'kysely';
import type { MessageTable } from '../../server/db/types.ts';
import { linkExpiry, manageLinkPath, signLink } from '../scheduling/links.ts';
import { emailHtml, listUnsubscribeHeaders } from './email.ts';
import { appointmentOf, MessageFacts } from './facts.ts';
import { renderTemplate } from './templates.ts';
import type { Channel } from './types.ts';

/**
 * Turns a message row into what the patient reads: the tenant's template for the channel in the
 * patient's language (English when there is none), filled in with facts as they are at sending
 * time (a rescheduled visit shows its new time), in the patient's own time zone.
 */

export type Rendered = { subject: string | null; text: string; html: string | null; headers: Record<string, string> };

export type RenderContext = {
  linkKey: Buffer;
  baseUrl: string;
  now: Date;
  /** The clinic, when the caller has already read it (the dispatcher needs it for the sender). */
  tenant?: { name: string; slug: string; time_zone: string };
  /** What the dispatcher preloaded for its batch; read as needed when absent. */
  facts?: MessageFacts;
};

type MessageRow = Selectable<MessageTable>;

const DAY_MS = 86_400_000;

/**
 * What `{{appointment.careInstructions}}` says when neither the visit nor its service has care
 * instructions (templates have no conditionals, so the variable carries its own fallback), in the
 * template's language where Rapport has one.
 */
export const CARE_INSTRUCTIONS_FALLBACK: Readonly<Record<string, string>> = Object.freeze({
  en: 'Follow the advice you were given at the clinic.',
  es: 'Siga las indicaciones que le dieron en la clínica.',
});

/** The visit's own care instructions, else its service's, else the fallback line. */
export function careInstructionsFor(visit: { care_instructions: string | null; service_care_instructions: string | null }, locale: string): string {
  const fallback = CARE_INSTRUCTIONS_FALLBACK[locale.split('-')[0]!] ?? CARE_INSTRUCTIONS_FALLBACK.en!;
  return visit.care_instructions ?? visit.service_care_instructions ?? fallback;
}

export async function renderMessage(scope: TenantScope, message: MessageRow, context: RenderContext): Promise<Rendered | { missing: 'template_missing' }> {
  const facts = context.facts ?? new MessageFacts(scope);
  let template: Awaited<ReturnType<typeof templateFor>>;
  if (message.template_key) {
    const patient = message.patient_id ? await facts.patient(message.patient_id) : null;
    template = await facts.template(message.template_key, message.channel, message.language ?? patient?.language ?? 'en');
    if (!template) return { missing: 'template_missing' };
  }
  // Dates and times are written in the language of the template used (an English fallback for a
  // Spanish speaker reads "Monday 1 February", not "lunes 1 febrero" inside English text).
  const values = await messageValues(scope, message, { ...context, facts }, template?.language);
  const preferencesUrl = values['links.preferences'] ?? null;
  const unsubscribeUrl = values['links.unsubscribe'] ?? null;
  let subject = message.subject;
  let text = message.body_text;
  if (template) {
    subject = template.subject === null ? null : renderTemplate(template.subject, values);
    text = renderTemplate(template.body, values);
  }
  text ??= '';
  if (message.channel !== 'email') return { subject: null, text, html: null, headers: {} };
  const clinicName = values['clinic.name'] ?? '';
  return {
    subject: subject ?? clinicName,
    text: unsubscribeUrl ? `${text}\n\n--\n${clinicName}\nUnsubscribe or change what we send you: ${preferencesUrl}` : text,
    html: emailHtml({ text, clinicName, unsubscribeUrl, preferencesUrl }),
    headers: unsubscribeUrl ? listUnsubscribeHeaders(unsubscribeUrl) : {},
  };
}

/** The template in the patient's language, else the base language, else English. */
export async function templateFor(scope: TenantScope, key: string, channel: Channel, language: string) {
  return new MessageFacts(scope).template(key, channel, language);
}

/** Every variable a template may use, as far as this message's subject provides them. */
export async function messageValues(
  scope: TenantScope,
  message: Pick<MessageRow, 'patient_id' | 'subject_type' | 'subject_id' | 'variables' | 'channel' | 'purpose'>,
  context: RenderContext,
  language?: string,
): Promise<Record<string, string>> {
  const values: Record<string, string> = { ...message.variables };
  const facts = context.facts ?? new MessageFacts(scope);
  const tenant = context.tenant ?? (await scope.tx.selectFrom('tenant').select(['name', 'slug', 'time_zone']).where('id', '=', scope.tenantId).executeTakeFirstOrThrow());
  values['clinic.name'] = tenant.name;
  values['clinic.phone'] = (await facts.clinicPhone()) ?? '';
  values['links.book'] = `${context.baseUrl}/book/${tenant.slug}`;
  let zone = tenant.time_zone;
  let locale = 'en';
  if (message.patient_id) {
    const patient = await facts.patient(message.patient_id);
    if (patient) {
      zone = patient.time_zone ?? zone;
      locale = language ?? patient.language ?? locale;
      values['patient.firstName'] = patient.preferred_name ?? patient.given_name;
      values['patient.lastName'] = patient.family_name;
      values['patient.fullName'] = `${patient.preferred_name ?? patient.given_name} ${patient.family_name}`;
      values['patient.language'] = patient.language ?? 'en';
      const token = signLink(context.linkKey, {
        tenantId: scope.tenantId,
        appointmentId: message.patient_id,
        patientId: message.patient_id,
        purpose: 'preferences',
        expiresAt: Math.floor((context.now.getTime() + 365 * DAY_MS) / 1000),
      });
      values['links.preferences'] = `${context.baseUrl}/preferences/${token}`;
      if (message.channel === 'email') {
        values['links.unsubscribe'] = `${context.baseUrl}/api/public/preferences/${token}/unsubscribe?channel=email&purpose=${message.purpose}`;
      }
      if (message.subject_type === 'waitlist_offer' && message.subject_id) {
        // The offer's link lapses with the offer itself.
        const offerExpiry = await facts.offerExpiry(message.subject_id);
        if (offerExpiry) {
          const offerToken = signLink(context.linkKey, {
            tenantId: scope.tenantId,
            appointmentId: message.subject_id,
            patientId: message.patient_id,
            purpose: 'offer',
            expiresAt: Math.floor(offerExpiry.getTime() / 1000),
          });
          values['links.offer'] = `${context.baseUrl}/offer/${offerToken}`;
        }
      }
    }
  }
  const appointmentId = appointmentOf(message);
  if (appointmentId) await appointmentValues(scope, appointmentId, zone, locale, { ...context, facts }, values);
  return values;
}

async function appointmentValues(scope: TenantScope, id: string, patientZone: string, locale: string, context: RenderContext, values: Record<string, string>): Promise<void> {
  const facts = context.facts ?? new MessageFacts(scope);
  const a = await facts.appointment(id);
  if (!a) return;
  // The patient reads the time in their own zone; a visit elsewhere names the clinic's zone too.
  const start = DateTime.fromJSDate(a.starts_at, { zone: patientZone }).setLocale(locale);
  const practitioner = [a.prefix, a.practitioner_given, a.practitioner_family].filter(Boolean).join(' ');
  const location = await facts.location(a.location_id);
  const address = [location?.address_line, location?.city, location?.postal_code].filter(Boolean).join(', ');
  values['appointment.date'] = start.toFormat('cccc d LLLL');
  values['appointment.time'] = start.toLocaleString(DateTime.TIME_SIMPLE);
  values['appointment.dateTime'] = `${start.toFormat('cccc d LLLL')} at ${start.toLocaleString(DateTime.TIME_SIMPLE)}`;
  values['appointment.timeZone'] = patientZone;
  values['appointment.service'] = a.service_name;
  values['appointment.practitioner'] = practitioner;
  values['appointment.careInstructions'] = careInstructionsFor(a, locale);
  values['appointment.location'] = a.location_name;
  values['appointment.address'] = address;
  values['practitioner.name'] = practitioner;
  values['location.name'] = a.location_name;
  values['location.address'] = address;
  values['location.phone'] = location?.phone ?? values['clinic.phone'] ?? '';
  const manage = manageLinkPath(context.linkKey, { tenantId: scope.tenantId, appointmentId: a.id, patientId: a.patient_id, endsAt: a.ends_at, now: context.now });
  values['links.manage'] = `${context.baseUrl}${manage}`;
  values['links.calendar'] = `${context.baseUrl}/api/public/booking/manage/${manage.slice('/book/manage/'.length)}/ics`;
  const survey = signLink(context.linkKey, {
    tenantId: scope.tenantId,
    appointmentId: a.id,
    patientId: a.patient_id,
    purpose: 'survey',
    expiresAt: Math.floor(linkExpiry(new Date(a.ends_at.getTime() + 30 * DAY_MS), context.now)),
  });
  values['links.survey'] = `${context.baseUrl}/survey/${survey}`;
  values['survey.question'] = `How likely are you to recommend ${values['clinic.name']} to a friend or family member?`;
}
