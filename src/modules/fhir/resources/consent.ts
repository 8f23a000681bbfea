import type { Consent } from '@medplum/fhirtypes';
import { sql, type RawBuilder } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import { recordConsent } from '../../messaging/consent.ts';
import { CHANNELS, PURPOSES, type Channel, type Purpose } from '../../messaging/types.ts';
import { asUnprocessable, fhirError } from '../outcome.ts';
import { anyOf, dateCondition, ID_PARAM, parseDateValue, referenceId, type SearchRequest } from '../search.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, iso, meta, referencedId, unknownReference } from './common.ts';
import { CHANNEL_SYSTEM, PURPOSE_SYSTEM } from './communication.ts';

/**
 * The consent ledger (consent_event) as Consents: one row, one Consent, for one channel
 * (provision.action) and one purpose (provision.purpose); permit is a grant, deny a withdrawal. The
 * latest answer per channel and purpose is active, earlier ones inactive. Creating a Consent records
 * a new answer through recordConsent, which also stops waiting messages on a withdrawal.
 */

function rows(scope: TenantScope) {
  return scope.tx
    .selectFrom('consent_event as c')
    .select([
      'c.id', 'c.patient_id', 'c.channel', 'c.purpose', 'c.status', 'c.source', 'c.recorded_at', 'c.note',
      sql<boolean>`not exists (select 1 from consent_event n where n.patient_id = c.patient_id and n.channel = c.channel
        and n.purpose = c.purpose and (n.recorded_at, n.id) > (c.recorded_at, c.id))`.as('current'),
    ]);
}
type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

function toFhir(r: Row): Consent {
  const permit = r.status === 'granted';
  return compact({
    resourceType: 'Consent' as const,
    id: r.id,
    meta: meta(null, r.recorded_at),
    status: r.current ? ('active' as const) : ('inactive' as const),
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0', display: 'Patient Consent' }] }],
    patient: { reference: `Patient/${r.patient_id}` },
    dateTime: iso(r.recorded_at),
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: permit ? 'OPTIN' : 'OPTOUT' }] },
    sourceReference: undefined,
    provision: {
      type: permit ? ('permit' as const) : ('deny' as const),
      action: [{ coding: [{ system: CHANNEL_SYSTEM, code: r.channel }] }],
      purpose: [{ system: PURPOSE_SYSTEM, code: r.purpose }],
    },
    extension: r.note ? [{ url: 'urn:rapport:consent-note', valueString: r.note }] : undefined,
  });
}

async function createConsent(scope: TenantScope, resource: Consent, ctx: FhirContext): Promise<Consent> {
  const patientId = referencedId(resource.patient, 'Patient', 'Consent.patient');
  if (!patientId) throw fhirError(422, 'required', 'Consent.patient is required.', ['Consent.patient']);
  const type = resource.provision?.type;
  if (type !== 'permit' && type !== 'deny') throw fhirError(422, 'required', 'Consent.provision.type must be permit (a grant) or deny (a withdrawal).', ['Consent.provision.type']);
  const channels = (resource.provision?.action ?? []).flatMap((a) => a.coding ?? []).filter((c) => c.system === CHANNEL_SYSTEM).map((c) => c.code);
  const purposes = (resource.provision?.purpose ?? []).filter((c) => c.system === PURPOSE_SYSTEM).map((c) => c.code);
  if (channels.length !== 1 || !CHANNELS.includes(channels[0] as Channel)) {
    throw fhirError(422, 'required', `Consent.provision.action needs exactly one channel coding ${CHANNEL_SYSTEM}|(${CHANNELS.join(' | ')}).`, ['Consent.provision.action']);
  }
  if (purposes.length !== 1 || !PURPOSES.includes(purposes[0] as Purpose)) {
    throw fhirError(422, 'required', `Consent.provision.purpose needs exactly one coding ${PURPOSE_SYSTEM}|(${PURPOSES.join(' | ')}).`, ['Consent.provision.purpose']);
  }
  const note = resource.extension?.find((e) => e.url === 'urn:rapport:consent-note')?.valueString ?? null;
  try {
    await recordConsent(
      scope,
      { patientId, channels: [channels[0] as Channel], purposes: [purposes[0] as Purpose], status: type === 'permit' ? 'granted' : 'withdrawn', source: 'api', note },
      ctx.now,
    );
  } catch (error) {
    if (error instanceof Error && 'status' in error && error.status === 404) throw unknownReference('Consent.patient', `Patient/${patientId}`);
    throw asUnprocessable(error);
  }
  const row = await rows(scope)
    .where('c.patient_id', '=', patientId)
    .where('c.channel', '=', channels[0] as Channel)
    .where('c.purpose', '=', purposes[0] as Purpose)
    .orderBy('c.recorded_at', 'desc')
    .orderBy('c.id', 'desc')
    .executeTakeFirstOrThrow();
  return toFhir(row);
}

function search(scope: TenantScope, request: SearchRequest) {
  const conditions: RawBuilder<boolean>[] = [];
  for (const p of request.params) {
    if (p.name === '_id' || p.name === 'patient') {
      const ids = p.values.map((v) => referenceId(v, p.name === '_id' ? 'Consent' : 'Patient', p.name)).filter(isUuid);
      conditions.push(ids.length ? sql<boolean>`${sql.ref(p.name === '_id' ? 'c.id' : 'c.patient_id')} in (${sql.join(ids.map((i) => sql`${i}::uuid`))})` : sql<boolean>`false`);
    } else if (p.name === 'date') {
      conditions.push(anyOf(p.values.map((v) => dateCondition(sql`c.recorded_at`, parseDateValue(v, 'date'), 'instant'))));
    }
  }
  let q = rows(scope);
  for (const c of conditions) q = q.where(c);
  return q.orderBy('c.recorded_at', 'desc').orderBy('c.id', 'desc').limit(request.count + 1).offset(request.offset).execute();
}

export const consentModule: ResourceModule<Consent> = {
  type: 'Consent',
  documentation: `The consent ledger (consent_event): one Consent per answer, provision.type permit (granted) or deny (withdrawn), one channel in provision.action (${CHANNEL_SYSTEM}) and one purpose in provision.purpose (${PURPOSE_SYSTEM}); the latest per channel and purpose is active. Create records a new answer; answers are never changed.`,
  interactions: ['read', 'search-type', 'create'],
  searchParams: [ID_PARAM, { name: 'patient', type: 'reference', documentation: 'The Patient' }, { name: 'date', type: 'date', documentation: 'When the answer was recorded' }],
  sorts: [],
  versioned: false,
  async read(scope, id) {
    const row = isUuid(id) ? await rows(scope).where('c.id', '=', id).executeTakeFirst() : undefined;
    return row ? toFhir(row) : undefined;
  },
  async search(scope, request) {
    return (await search(scope, request)).map(toFhir);
  },
  create: createConsent,
};

export { toFhir as consentToFhir, rows as consentRows };
