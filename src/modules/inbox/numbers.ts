import type { TenantScope } from '../../server/db/scope.ts';
import { consentAllows } from '../messaging/consent.ts';
import { addressFor } from '../messaging/policy.ts';
import { toE164 } from '../patients/normalize.ts';

/**
 * Who a phone number belongs to. A number can be one patient's, or a household's: several
 * patients with it on file, or patients linked "shares a phone with" to one who has it.
 */

export type Candidate = { id: string; givenName: string; familyName: string };

/** A sender's number as stored on patients (E.164), or as given when it is not a phone number (a short code). */
export function normalizeAddress(raw: string): string {
  const trimmed = raw.trim();
  return toE164(trimmed) ?? trimmed;
}

/**
 * The patients a number may be: those with it as their phone or among their phone contact points,
 * then the household members linked to them by "shares a phone with". Merged-away and archived
 * records are left out. Direct matches come first.
 */
export async function patientsOnNumber(scope: TenantScope, address: string): Promise<Candidate[]> {
  const direct = await scope.tx
    .selectFrom('patient')
    .select(['id', 'given_name', 'family_name'])
    .where('merged_into_id', 'is', null)
    .where('archived_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('phone', '=', address),
        eb('id', 'in', eb.selectFrom('patient_contact_point').select('patient_id').where('system', '=', 'phone').where('value', '=', address)),
      ]),
    )
    .orderBy('family_name')
    .orderBy('given_name')
    .orderBy('id')
    .execute();
  if (!direct.length) return [];
  const ids = direct.map((p) => p.id);
  const links = await scope.tx
    .selectFrom('patient_link')
    .select(['patient_id', 'related_id'])
    .where('kind', '=', 'shares_phone_with')
    .where((eb) => eb.or([eb('patient_id', 'in', ids), eb('related_id', 'in', ids)]))
    .execute();
  const others = [...new Set(links.flatMap((l) => [l.patient_id, l.related_id]))].filter((id) => !ids.includes(id));
  const household = others.length
    ? await scope.tx
        .selectFrom('patient')
        .select(['id', 'given_name', 'family_name'])
        .where('id', 'in', others)
        .where('merged_into_id', 'is', null)
        .where('archived_at', 'is', null)
        .orderBy('family_name')
        .orderBy('given_name')
        .orderBy('id')
        .execute()
    : [];
  return [...direct, ...household].map((p) => ({ id: p.id, givenName: p.given_name, familyName: p.family_name }));
}

/**
 * Where a reply in a conversation goes: always the number that texted in. It is tied to the
 * patient (so consent is checked again just before it goes, and it shows on their record) when
 * that number is the one the outbox would text them on; otherwise it is addressed to the number
 * alone, because the dispatcher sends a patient's message to the patient's own mobile.
 */
export async function replyTarget(scope: TenantScope, conversation: { address: string; patient_id: string | null }): Promise<{ patientId: string | null; toAddress: string }> {
  if (conversation.patient_id) {
    const { address } = await addressFor(scope, conversation.patient_id, 'sms');
    if (address === conversation.address) return { patientId: conversation.patient_id, toAddress: conversation.address };
  }
  return { patientId: null, toAddress: conversation.address };
}

/**
 * Whether texts to this conversation are refused: its patient withdrew SMS consent for care, or,
 * for a number no single patient owns, its last keyword was STOP with no START since.
 */
export async function smsOptedOut(scope: TenantScope, conversation: { id: string; patient_id: string | null }): Promise<boolean> {
  // A known patient's answer is the consent ledger (staff may have recorded a new one since).
  if (conversation.patient_id) return !(await consentAllows(scope, conversation.patient_id, 'sms', 'care')).allowed;
  const last = await scope.tx
    .selectFrom('inbound_message')
    .select('handled_as')
    .where('conversation_id', '=', conversation.id)
    .where('handled_as', 'in', ['stop', 'start'])
    .orderBy('received_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return last?.handled_as === 'stop';
}
