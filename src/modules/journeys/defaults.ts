import type { TenantScope } from '../../server/db/scope.ts';
import type { Channel, Purpose } from '../messaging/types.ts';
import type { Step, Trigger } from './schema.ts';

/**
 * What every clinic starts with: the templates and journeys that make a CRM worth having on day
 * one (confirmation, reminders, follow-up with a survey, no-show rebooking, waitlist offers,
 * medication reminders, billing notices). Installed once per clinic; staff change or switch them
 * off from the Journeys page, and they are never put back behind their back.
 */

type TemplateSeed = { key: string; name: string; channel: Channel; language: string; purpose: Purpose; subject: string | null; body: string };

export const DEFAULT_TEMPLATES: TemplateSeed[] = [
  {
    key: 'appointment.confirmation',
    name: 'Booking confirmation',
    channel: 'email',
    language: 'en',
    purpose: 'care',
    subject: 'Your appointment on {{appointment.date}}',
    body: 'Hi {{patient.firstName}},\n\nYour {{appointment.service}} with {{appointment.practitioner}} is booked for {{appointment.dateTime}} at {{appointment.location}}, {{appointment.address}}.\n\nAdd it to your calendar: {{links.calendar}}\nNeed to change it? Confirm, cancel or reschedule here: {{links.manage}}\n\nSee you soon,\n{{clinic.name}}',
  },
  {
    key: 'appointment.confirmation',
    name: 'Booking confirmation',
    channel: 'sms',
    language: 'en',
    purpose: 'care',
    subject: null,
    body: '{{clinic.name}}: {{patient.firstName}}, you are booked for {{appointment.dateTime}} with {{appointment.practitioner}}. Manage: {{links.manage}}',
  },
  {
    key: 'appointment.confirmation',
    name: 'Confirmación de cita',
    channel: 'email',
    language: 'es',
    purpose: 'care',
    subject: 'Su cita del {{appointment.date}}',
    body: 'Hola {{patient.firstName}}:\n\nSu cita de {{appointment.service}} con {{appointment.practitioner}} está reservada para el {{appointment.dateTime}} en {{appointment.location}}, {{appointment.address}}.\n\nAñádala a su calendario: {{links.calendar}}\n¿Necesita cambiarla? Confirme, cancele o cambie la hora aquí: {{links.manage}}\n\nHasta pronto,\n{{clinic.name}}',
  },
  {
    key: 'appointment.reminder',
    name: 'Appointment reminder',
    channel: 'email',
    language: 'en',
    purpose: 'care',
    subject: 'Reminder: {{appointment.service}} tomorrow at {{appointment.time}}',
    body: 'Hi {{patient.firstName}},\n\nThis is a reminder of your {{appointment.service}} with {{appointment.practitioner}} on {{appointment.dateTime}} at {{appointment.location}}, {{appointment.address}}.\n\nPlease confirm, or let us know if you cannot come: {{links.manage}}\n\n{{clinic.name}} {{clinic.phone}}',
  },
  {
    key: 'appointment.reminder',
    name: 'Appointment reminder',
    channel: 'sms',
    language: 'en',
    purpose: 'care',
    subject: null,
    body: '{{clinic.name}}: reminder of your appointment {{appointment.dateTime}} with {{appointment.practitioner}}. Reply C to confirm or X to cancel. {{links.manage}}',
  },
  {
    key: 'appointment.reminder',
    name: 'Recordatorio de cita',
    channel: 'sms',
    language: 'es',
    purpose: 'care',
    subject: null,
    body: '{{clinic.name}}: recordatorio de su cita el {{appointment.dateTime}} con {{appointment.practitioner}}. Responda C para confirmar o X para cancelar. {{links.manage}}',
  },
  {
    key: 'visit.followup',
    name: 'After your visit',
    channel: 'email',
    language: 'en',
    purpose: 'care',
    subject: 'Thank you for visiting {{clinic.name}}',
    // The care instructions are the visit's, else its service's, else a general line (render.ts).
    // Migration 0012 gives clinics still holding the earlier shipped text this one.
    body: 'Hi {{patient.firstName}},\n\nThank you for coming in yesterday for your {{appointment.service}} with {{appointment.practitioner}}.\n\nCare after your visit:\n{{appointment.careInstructions}}\n\nIf anything worries you, call us on {{clinic.phone}}. In an emergency, call your local emergency number.\n\nHow did we do? It takes a minute: {{links.survey}}\n\n{{clinic.name}}',
  },
  {
    key: 'noshow.rebook',
    name: 'We missed you',
    channel: 'sms',
    language: 'en',
    purpose: 'care',
    subject: null,
    body: '{{clinic.name}}: we missed you today, {{patient.firstName}}. Book a new time that suits you: {{links.book}} or call {{clinic.phone}}.',
  },
  {
    key: 'noshow.rebook',
    name: 'We missed you',
    channel: 'email',
    language: 'en',
    purpose: 'care',
    subject: 'We missed you today',
    body: 'Hi {{patient.firstName}},\n\nWe missed you at your {{appointment.service}} appointment today. Life happens: you can book a new time that suits you here: {{links.book}}\n\nOr call us on {{clinic.phone}}.\n\n{{clinic.name}}',
  },
  {
    key: 'waitlist.offer',
    name: 'Waitlist offer',
    channel: 'sms',
    language: 'en',
    purpose: 'care',
    subject: null,
    body: '{{clinic.name}}: an earlier {{offer.service}} is free on {{offer.dateTime}}. Take it before {{offer.expiresAt}}: {{links.offer}}',
  },
  {
    key: 'waitlist.offer',
    name: 'Waitlist offer',
    channel: 'email',
    language: 'en',
    purpose: 'care',
    subject: 'An earlier appointment is free: {{offer.dateTime}}',
    body: 'Hi {{patient.firstName}},\n\nA {{offer.service}} appointment has come free on {{offer.dateTime}}. It is yours if you take it first, before {{offer.expiresAt}}:\n{{links.offer}}\n\n{{clinic.name}}',
  },
  {
    key: 'medication.reminder',
    name: 'Medication reminder',
    channel: 'sms',
    language: 'en',
    purpose: 'care',
    subject: null,
    body: '{{clinic.name}}: {{patient.firstName}}, this is your {{medication.time}} medication reminder.',
  },
  {
    key: 'medication.reminder',
    name: 'Medication reminder',
    channel: 'email',
    language: 'en',
    purpose: 'care',
    subject: 'Your {{medication.time}} medication reminder',
    body: 'Hi {{patient.firstName}},\n\nThis is your {{medication.time}} medication reminder, as arranged with {{clinic.name}}.\n\nTo change or stop these reminders, call us on {{clinic.phone}}.',
  },
  {
    key: 'medication.reminder',
    name: 'Medication reminder',
    channel: 'in_app',
    language: 'en',
    purpose: 'care',
    subject: null,
    body: 'Time for your {{medication.time}} medication.',
  },
  {
    key: 'billing.notice',
    name: 'Open balance',
    channel: 'email',
    language: 'en',
    purpose: 'billing',
    subject: 'Invoice {{invoice.number}}: {{invoice.balance}} due {{invoice.dueDate}}',
    body: 'Hi {{patient.firstName}},\n\nInvoice {{invoice.number}} from {{clinic.name}} has an open balance of {{invoice.balance}}, due {{invoice.dueDate}}.\n\nIf you have already paid, thank you and please ignore this message. Questions? Call us on {{clinic.phone}}.',
  },
  {
    key: 'billing.notice',
    name: 'Open balance',
    channel: 'sms',
    language: 'en',
    purpose: 'billing',
    subject: null,
    body: '{{clinic.name}}: invoice {{invoice.number}} has an open balance of {{invoice.balance}}. Questions? Call {{clinic.phone}}.',
  },
];

type JourneySeed = { key: string; name: string; description: string; trigger: Trigger; steps: Step[] };

const send = (channel: Channel, template: string, purpose: Purpose = 'care'): Step => ({ type: 'send', channel, template, purpose });

export const DEFAULT_JOURNEYS: JourneySeed[] = [
  {
    key: 'default.confirmation',
    name: 'Confirmation on booking',
    description: 'Confirms every booking at once: by email, or by SMS when there is no email address.',
    trigger: { type: 'appointment.booked' },
    steps: [{ type: 'branch', if: { field: 'patient.hasEmail', op: 'is_true' }, then: [send('email', 'appointment.confirmation')], else: [send('sms', 'appointment.confirmation')] }],
  },
  {
    key: 'default.reminder-day-before',
    name: 'Reminder the day before (email)',
    description: 'An email reminder at the same time of day, the day before the visit.',
    trigger: { type: 'appointment.before', offset: { days: 1 } },
    steps: [send('email', 'appointment.reminder')],
  },
  {
    key: 'default.reminder-two-hours',
    name: 'Reminder two hours before (SMS)',
    description: 'A text two hours before the visit; the patient can reply C to confirm or X to cancel.',
    trigger: { type: 'appointment.before', offset: { hours: 2 } },
    steps: [send('sms', 'appointment.reminder')],
  },
  {
    key: 'default.followup',
    name: 'Follow-up the day after a visit',
    description: "The visit's care instructions (else the service's) and a one-minute survey, the day after a completed visit.",
    trigger: { type: 'appointment.completed' },
    steps: [{ type: 'wait', days: 1 }, send('email', 'visit.followup')],
  },
  {
    key: 'default.noshow-rebook',
    name: 'Rebooking after a no-show',
    description: 'A text inviting the patient to rebook; if they have not rebooked two days later, a task to call them.',
    trigger: { type: 'appointment.noshow' },
    steps: [
      send('sms', 'noshow.rebook'),
      { type: 'wait', days: 2 },
      {
        type: 'branch',
        if: { field: 'patient.hasUpcomingAppointment', op: 'is_false' },
        then: [{ type: 'task', title: 'Call to rebook after a missed appointment', dueInDays: 1, priority: 'normal' }],
        else: [],
      },
    ],
  },
  {
    key: 'default.waitlist-offer',
    name: 'Waitlist offers',
    description: 'When a slot frees up, patients on the waitlist it suits are texted (and emailed) a link to take it.',
    trigger: { type: 'waitlist.offer' },
    steps: [send('sms', 'waitlist.offer'), send('email', 'waitlist.offer')],
  },
  {
    key: 'default.medication',
    name: 'Medication reminders',
    description: "At each dose time in the patient's own time zone, until the reminder's end date.",
    trigger: { type: 'medication.dose' },
    steps: [send('sms', 'medication.reminder')],
  },
  {
    key: 'default.billing',
    name: 'Billing notices',
    description: 'On the due date of an invoice with an open balance, an email; a week later, if still open, a text.',
    trigger: { type: 'date.reached', field: 'invoice.dueOn', offsetDays: 0, at: '10:00' },
    steps: [
      { type: 'branch', if: { field: 'invoice.balanceCents', op: 'gt', value: 0 }, then: [send('email', 'billing.notice', 'billing')], else: [] },
      { type: 'wait', days: 7 },
      { type: 'branch', if: { field: 'invoice.balanceCents', op: 'gt', value: 0 }, then: [send('sms', 'billing.notice', 'billing')], else: [] },
    ],
  },
];

/** Installs the shipped templates and journeys a clinic does not have yet (by key); returns how many. */
export async function installDefaults(scope: TenantScope, now: Date): Promise<{ templates: number; journeys: number }> {
  const templates = await scope.tx
    .insertInto('message_template')
    .values(DEFAULT_TEMPLATES.map((t) => ({ tenant_id: scope.tenantId, ...t, created_at: now, updated_at: now })))
    .onConflict((oc) => oc.columns(['tenant_id', 'key', 'channel', 'language']).doNothing())
    .returning('id')
    .execute();
  const journeys = await scope.tx
    .insertInto('journey')
    .values(
      DEFAULT_JOURNEYS.map((j) => ({
        tenant_id: scope.tenantId,
        key: j.key,
        name: j.name,
        description: j.description,
        trigger: JSON.stringify(j.trigger),
        steps: JSON.stringify(j.steps),
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .returning('id')
    .execute();
  return { templates: templates.length, journeys: journeys.length };
}
