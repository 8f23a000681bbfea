import { sql, type Selectable } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { MessageTable } from '../../server/db/types.ts';
import { appointmentQuery } from '../scheduling/appointments.ts';
import { defaultAllowed } from './consent.ts';
import type { Channel, Purpose } from './types.ts';

/**
 * What sending a message needs to know, read once per batch of messages rather than once per
 * message: the patients, their consent, the visits the messages are about, the templates. The
 * dispatcher preloads a whole claimed batch in a handful of statements; anything not preloaded
 * (a preview, a single message) is read on first use and kept for the rest of the transaction.
 */

type MessageRow = Selectable<MessageTable>;

export type PatientFacts = {
  id: string;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  language: string | null;
  time_zone: string | null;
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  email: string | null;
  phone: string | null;
  phone_use: string;
  lifecycle_status: string;
  archived_at: Date | null;
  merged_into_id: string | null;
};

const PATIENT_COLUMNS = [
  'id', 'given_name', 'family_name', 'preferred_name', 'language', 'time_zone', 'quiet_hours_start', 'quiet_hours_end',
  'email', 'phone', 'phone_use', 'lifecycle_status', 'archived_at', 'merged_into_id',
] as const;

type AppointmentRow = Awaited<ReturnType<ReturnType<typeof appointmentQuery>['executeTakeFirstOrThrow']>>;
export type LocationFacts = { id: string; address_line: string | null; city: string | null; postal_code: string | null; phone: string | null };
export type TemplateFacts = { key: string; channel: string; language: string; subject: string | null; body: string; purpose: string; name: string };

/** The appointment a message is about: its subject, or an appointment named in its variables. */
export const appointmentOf = (m: Pick<MessageRow, 'subject_type' | 'subject_id' | 'variables'>) =>
  m.subject_type === 'appointment' ? m.subject_id : (m.variables['appointment.id'] ?? null);

const uniq = <T>(values: Array<T | null | undefined>) => [...new Set(values.filter((v): v is T => v !== null && v !== undefined))];

export class MessageFacts {
  private readonly patients = new Map<string, PatientFacts | null>();
  private readonly mobiles = new Map<string, string | null>();
  private readonly consents = new Map<string, 'granted' | 'withdrawn' | null>();
  private readonly appointments = new Map<string, AppointmentRow | null>();
  private readonly locations = new Map<string, LocationFacts | null>();
  private readonly templates = new Map<string, TemplateFacts[]>();
  private readonly offers = new Map<string, Date | null>();
  private clinicPhoneValue: string | null | undefined;
  private readonly scope: TenantScope;

  constructor(scope: TenantScope) {
    this.scope = scope;
  }

  /** Reads everything a batch of messages will ask for, a few statements in all. */
  async preload(messages: MessageRow[]): Promise<void> {
    const tx = this.scope.tx;
    const patientIds = uniq(messages.map((m) => m.patient_id)).filter((id) => !this.patients.has(id));
    if (patientIds.length) {
      const rows = await tx.selectFrom('patient').select(PATIENT_COLUMNS).where('id', 'in', patientIds).execute();
      for (const id of patientIds) this.patients.set(id, null);
      for (const row of rows) this.patients.set(row.id, row);
      const smsWithoutMobile = uniq(messages.filter((m) => m.channel === 'sms' && m.patient_id).map((m) => m.patient_id)).filter(
        (id) => !this.mobiles.has(id) && this.patients.get(id)?.phone_use !== 'mobile',
      );
      if (smsWithoutMobile.length) {
        const extra = await tx
          .selectFrom('patient_contact_point')
          .select(['patient_id', 'value'])
          .distinctOn('patient_id')
          .where('patient_id', 'in', smsWithoutMobile)
          .where('system', '=', 'phone')
          .where('use', '=', 'mobile')
          .orderBy('patient_id')
          .orderBy('rank')
          .execute();
        for (const id of smsWithoutMobile) this.mobiles.set(id, null);
        for (const row of extra) this.mobiles.set(row.patient_id, row.value);
      }
      const consent = await tx
        .selectFrom('consent_event')
        .select(['patient_id', 'channel', 'purpose', 'status'])
        .distinctOn(['patient_id', 'channel', 'purpose'])
        .where('patient_id', 'in', patientIds)
        .orderBy('patient_id')
        .orderBy('channel')
        .orderBy('purpose')
        .orderBy('recorded_at', 'desc')
        .execute();
      for (const id of patientIds) this.consents.set(id, null);
      for (const row of consent) this.consents.set(`${row.patient_id}:${row.channel}:${row.purpose}`, row.status);
    }
    const appointmentIds = uniq(messages.map(appointmentOf)).filter((id) => !this.appointments.has(id));
    if (appointmentIds.length) {
      const rows = await appointmentQuery(this.scope).where('a.id', 'in', appointmentIds).execute();
      for (const id of appointmentIds) this.appointments.set(id, null);
      for (const row of rows) this.appointments.set(row.id, row);
      await this.loadLocations(uniq(rows.map((r) => r.location_id)));
    }
    const keys = uniq(messages.map((m) => (m.template_key ? `${m.template_key}\u0000${m.channel}` : null))).filter((k) => !this.templates.has(k));
    if (keys.length) {
      const rows = await tx
        .selectFrom('message_template')
        .select(['key', 'channel', 'language', 'subject', 'body', 'purpose', 'name'])
        .where(sql<boolean>`(key, channel) IN (SELECT k, c FROM unnest(${keys.map((k) => k.split('\u0000')[0]!)}::text[], ${keys.map((k) => k.split('\u0000')[1]!)}::text[]) AS t(k, c))`)
        .execute();
      for (const k of keys) this.templates.set(k, []);
      for (const row of rows) this.templates.get(`${row.key}\u0000${row.channel}`)?.push(row);
    }
    const offerIds = uniq(messages.map((m) => (m.subject_type === 'waitlist_offer' ? m.subject_id : null))).filter((id) => !this.offers.has(id));
    if (offerIds.length) {
      const rows = await tx.selectFrom('waitlist_offer').select(['id', 'expires_at']).where('id', 'in', offerIds).execute();
      for (const id of offerIds) this.offers.set(id, null);
      for (const row of rows) this.offers.set(row.id, row.expires_at);
    }
    await this.clinicPhone();
  }

  async patient(id: string): Promise<PatientFacts | null> {
    if (!this.patients.has(id)) {
      const row = await this.scope.tx.selectFrom('patient').select(PATIENT_COLUMNS).where('id', '=', id).executeTakeFirst();
      this.patients.set(id, row ?? null);
    }
    return this.patients.get(id) ?? null;
  }

  /** The answer in force for one channel and purpose: the latest ledger row, else the default. */
  async consent(patientId: string, channel: Channel, purpose: Purpose): Promise<{ allowed: boolean; reason: string | null }> {
    const key = `${patientId}:${channel}:${purpose}`;
    if (!this.consents.has(key) && !this.consents.has(patientId)) {
      const row = await this.scope.tx
        .selectFrom('consent_event')
        .select('status')
        .where('patient_id', '=', patientId)
        .where('channel', '=', channel)
        .where('purpose', '=', purpose)
        .orderBy('recorded_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      this.consents.set(key, row?.status ?? null);
    }
    const status = this.consents.get(key);
    if (status) return status === 'granted' ? { allowed: true, reason: null } : { allowed: false, reason: 'consent_withdrawn' };
    return defaultAllowed(purpose) ? { allowed: true, reason: null } : { allowed: false, reason: 'no_opt_in' };
  }

  /** The patient's address on a channel, or the reason there is none (as addressFor in policy.ts). */
  async address(patientId: string, channel: Channel): Promise<{ address: string | null; reason: string | null }> {
    if (channel === 'in_app') return { address: `patient:${patientId}`, reason: null };
    const patient = await this.patient(patientId);
    if (channel === 'email') return patient?.email ? { address: patient.email, reason: null } : { address: null, reason: 'no_email_address' };
    if (patient?.phone && patient.phone_use === 'mobile') return { address: patient.phone, reason: null };
    if (!this.mobiles.has(patientId)) {
      const extra = await this.scope.tx
        .selectFrom('patient_contact_point')
        .select('value')
        .where('patient_id', '=', patientId)
        .where('system', '=', 'phone')
        .where('use', '=', 'mobile')
        .orderBy('rank')
        .limit(1)
        .executeTakeFirst();
      this.mobiles.set(patientId, extra?.value ?? null);
    }
    const mobile = this.mobiles.get(patientId);
    if (mobile) return { address: mobile, reason: null };
    if (patient?.phone && patient.phone_use === 'other') return { address: patient.phone, reason: null };
    return { address: null, reason: 'no_phone_number' };
  }

  async appointment(id: string): Promise<AppointmentRow | null> {
    if (!this.appointments.has(id)) {
      const row = await appointmentQuery(this.scope).where('a.id', '=', id).executeTakeFirst();
      this.appointments.set(id, row ?? null);
    }
    return this.appointments.get(id) ?? null;
  }

  async location(id: string): Promise<LocationFacts | null> {
    if (!this.locations.has(id)) await this.loadLocations([id]);
    return this.locations.get(id) ?? null;
  }

  private async loadLocations(ids: string[]): Promise<void> {
    const missing = ids.filter((id) => !this.locations.has(id));
    if (!missing.length) return;
    const rows = await this.scope.tx.selectFrom('location').select(['id', 'address_line', 'city', 'postal_code', 'phone']).where('id', 'in', missing).execute();
    for (const id of missing) this.locations.set(id, null);
    for (const row of rows) this.locations.set(row.id, row);
  }

  /** The template in the patient's language, else the base language, else English. */
  async template(key: string, channel: Channel, language: string): Promise<TemplateFacts | undefined> {
    const cacheKey = `${key}\u0000${channel}`;
    if (!this.templates.has(cacheKey)) {
      const rows = await this.scope.tx
        .selectFrom('message_template')
        .select(['key', 'channel', 'language', 'subject', 'body', 'purpose', 'name'])
        .where('key', '=', key)
        .where('channel', '=', channel)
        .execute();
      this.templates.set(cacheKey, rows);
    }
    const rows = this.templates.get(cacheKey)!;
    for (const candidate of new Set([language, language.split('-')[0]!, 'en'])) {
      const row = rows.find((r) => r.language === candidate);
      if (row) return row;
    }
    return undefined;
  }

  async offerExpiry(id: string): Promise<Date | null> {
    if (!this.offers.has(id)) {
      const row = await this.scope.tx.selectFrom('waitlist_offer').select('expires_at').where('id', '=', id).executeTakeFirst();
      this.offers.set(id, row?.expires_at ?? null);
    }
    return this.offers.get(id) ?? null;
  }

  /** The phone patients call: the first location's that has one. */
  async clinicPhone(): Promise<string | null> {
    if (this.clinicPhoneValue === undefined) {
      const row = await this.scope.tx.selectFrom('location').select('phone').where('phone', 'is not', null).orderBy('created_at').limit(1).executeTakeFirst();
      this.clinicPhoneValue = row?.phone ?? null;
    }
    return this.clinicPhoneValue;
  }
}
