import type { TenantScope } from '../../server/db/scope.ts';
import { consentState, recordConsent } from '../messaging/consent.ts';
import { addressFor } from '../messaging/policy.ts';
import { OPT_IN_PURPOSES, type Channel, type Purpose } from '../messaging/types.ts';
import { linkNotFound, type LinkClaims, type LinkTenant } from '../scheduling/links.ts';
import type { PreferenceChanges, PreferencesView, Unsubscribed } from './schema.ts';

/**
 * The preference centre and one-click unsubscribe, reached from the signed 'preferences' link
 * in every message (its subject is the patient). Each answer goes into the consent ledger, which
 * stops at once anything of that channel and purpose still waiting to go.
 */

export type PatientLink = { claims: LinkClaims; tenant: LinkTenant; key: Buffer; token: string };

/**
 * The patient a preferences link is about, still on record and not merged into another; else the
 * link is refused as not found, and the refusal audited.
 */
export async function requireLinkedPatient(scope: TenantScope, claims: LinkClaims): Promise<{ id: string; firstName: string }> {
  const row =
    claims.appointmentId === claims.patientId
      ? await scope.tx.selectFrom('patient').select(['id', 'given_name', 'preferred_name', 'merged_into_id']).where('id', '=', claims.patientId).executeTakeFirst()
      : undefined;
  if (!row || row.merged_into_id) {
    await scope.audit({
      action: 'preferences_link.use',
      entityType: 'patient',
      entityId: claims.patientId,
      outcome: 'denied',
      detail: { reason: row ? 'patient_merged' : 'patient_missing' },
    });
    throw linkNotFound();
  }
  return { id: row.id, firstName: row.preferred_name ?? row.given_name };
}

async function present(scope: TenantScope, link: PatientLink, patient: { id: string; firstName: string }, changed: number): Promise<PreferencesView> {
  const [answers, email, sms] = await Promise.all([
    consentState(scope, patient.id),
    addressFor(scope, patient.id, 'email'),
    addressFor(scope, patient.id, 'sms'),
  ]);
  return {
    clinic: { name: link.tenant.name },
    patient: { firstName: patient.firstName },
    reachable: { email: email.address !== null, sms: sms.address !== null },
    consent: answers.map((a) => ({
      channel: a.channel,
      purpose: a.purpose,
      status: a.status,
      allowed: a.allowed,
      optIn: OPT_IN_PURPOSES.includes(a.purpose),
      editable: a.channel !== 'in_app',
      changedAt: a.recordedAt ? new Date(a.recordedAt).toISOString() : null,
    })),
    changed,
  };
}

export async function viewPreferences(scope: TenantScope, link: PatientLink): Promise<PreferencesView> {
  const patient = await requireLinkedPatient(scope, link.claims);
  await scope.audit({ action: 'consent.read', entityType: 'patient', entityId: patient.id, patientId: patient.id, detail: { via: 'preferences_link' } });
  return present(scope, link, patient, 0);
}

/**
 * Records the answers that differ from those in force (answering the same again adds nothing to
 * the ledger), one ledger entry per channel and purpose, with the preference centre as source.
 */
export async function changePreferences(scope: TenantScope, link: PatientLink, changes: PreferenceChanges, now: Date): Promise<PreferencesView> {
  const patient = await requireLinkedPatient(scope, link.claims);
  const current = new Map((await consentState(scope, patient.id)).map((a) => [`${a.channel}:${a.purpose}`, a.status]));
  const differing = changes.filter((c) => current.get(`${c.channel}:${c.purpose}`) !== c.status);
  // recordConsent takes channels x purposes: group by status and channel so no pair is added that was not asked for.
  const groups = new Map<string, { channel: Channel; status: 'granted' | 'withdrawn'; purposes: Purpose[] }>();
  for (const c of differing) {
    const key = `${c.status}:${c.channel}`;
    const group = groups.get(key) ?? { channel: c.channel, status: c.status, purposes: [] };
    group.purposes.push(c.purpose);
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    await recordConsent(scope, { patientId: patient.id, channels: [group.channel], purposes: group.purposes, status: group.status, source: 'preference_centre' }, now);
  }
  return present(scope, link, patient, differing.length);
}

/**
 * One-click unsubscribe (RFC 8058) and the unsubscribe link: withdraws one channel and purpose.
 * Using the link again changes nothing and answers the same.
 */
export async function unsubscribeByLink(scope: TenantScope, link: PatientLink, channel: 'email' | 'sms', purpose: Purpose, now: Date): Promise<Unsubscribed> {
  const patient = await requireLinkedPatient(scope, link.claims);
  const answer = (await consentState(scope, patient.id)).find((a) => a.channel === channel && a.purpose === purpose);
  if (answer?.status === 'withdrawn') {
    await scope.audit({
      action: 'consent.withdraw',
      entityType: 'patient',
      entityId: patient.id,
      patientId: patient.id,
      detail: { channels: [channel], purposes: [purpose], source: 'unsubscribe', unchanged: true },
    });
    return { unsubscribed: true, channel, purpose, changed: false };
  }
  await recordConsent(scope, { patientId: patient.id, channels: [channel], purposes: [purpose], status: 'withdrawn', source: 'unsubscribe' }, now);
  return { unsubscribed: true, channel, purpose, changed: true };
}
