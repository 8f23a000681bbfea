import type { Communication } from '@medplum/fhirtypes';
import { sql, type RawBuilder } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import type { MessageStatus } from '../../../server/db/types.ts';
import { isUuid } from '../../../shared/ids.ts';
import { anyOf, dateCondition, ID_PARAM, parseDateValue, parseToken, referenceId, type SearchRequest } from '../search.ts';
import type { ResourceModule } from '../types.ts';
import { compact, iso, meta } from './common.ts';

/** Messages to patients (message) as Communications. Read-only: messages are sent by Rapport's outbox. */

export const PURPOSE_SYSTEM = 'urn:rapport:message-purpose';
export const CHANNEL_SYSTEM = 'urn:rapport:message-channel';

const STATUS: Record<MessageStatus, Communication['status']> = {
  scheduled: 'preparation',
  sending: 'in-progress',
  sent: 'completed',
  delivered: 'completed',
  sandboxed: 'completed',
  failed: 'stopped',
  not_sent: 'not-done',
};
const MEDIUM: Record<string, { code: string; display: string }> = {
  email: { code: 'EMAILWRIT', display: 'email' },
  sms: { code: 'SMSWRIT', display: 'SMS message' },
  in_app: { code: 'WRITTEN', display: 'written' },
};

export function communicationRows(scope: TenantScope) {
  return scope.tx
    .selectFrom('message as m')
    .select(['m.id', 'm.patient_id', 'm.channel', 'm.purpose', 'm.status', 'm.reason', 'm.subject', 'm.body_text', 'm.sent_at', 'm.delivered_at', 'm.created_at', 'm.updated_at', 'm.to_address']);
}
type Row = Awaited<ReturnType<ReturnType<typeof communicationRows>['executeTakeFirstOrThrow']>>;

export function communicationToFhir(r: Row): Communication {
  const medium = MEDIUM[r.channel];
  return compact({
    resourceType: 'Communication' as const,
    id: r.id,
    meta: meta(null, r.updated_at),
    status: STATUS[r.status],
    statusReason: r.status === 'not_sent' || r.status === 'failed' ? (r.reason ? { text: r.reason } : undefined) : undefined,
    category: [{ coding: [{ system: PURPOSE_SYSTEM, code: r.purpose }] }],
    medium: medium
      ? [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: medium.code, display: medium.display }, { system: CHANNEL_SYSTEM, code: r.channel }] }]
      : undefined,
    subject: r.patient_id ? { reference: `Patient/${r.patient_id}` } : undefined,
    recipient: r.patient_id ? [{ reference: `Patient/${r.patient_id}` }] : undefined,
    topic: r.subject ? { text: r.subject } : undefined,
    sent: iso(r.sent_at),
    received: iso(r.delivered_at),
    payload: r.body_text ? [{ contentString: r.body_text }] : undefined,
  });
}

function search(scope: TenantScope, request: SearchRequest) {
  const conditions: RawBuilder<boolean>[] = [];
  for (const p of request.params) {
    if (p.name === '_id' || p.name === 'patient' || p.name === 'subject') {
      const ids = p.values.map((v) => referenceId(v, p.name === '_id' ? 'Communication' : 'Patient', p.name)).filter(isUuid);
      const column = p.name === '_id' ? 'm.id' : 'm.patient_id';
      conditions.push(ids.length ? sql<boolean>`${sql.ref(column)} in (${sql.join(ids.map((i) => sql`${i}::uuid`))})` : sql<boolean>`false`);
    } else if (p.name === 'sent') {
      conditions.push(anyOf(p.values.map((v) => dateCondition(sql`m.sent_at`, parseDateValue(v, 'sent'), 'instant'))));
    } else if (p.name === 'category') {
      conditions.push(sql<boolean>`m.purpose in (${sql.join(p.values.map((v) => parseToken(v).code ?? ''))})`);
    }
  }
  let q = communicationRows(scope);
  for (const c of conditions) q = q.where(c);
  return q.orderBy('m.created_at', request.sort[0]?.desc === false ? 'asc' : 'desc').orderBy('m.id', 'desc').limit(request.count + 1).offset(request.offset).execute();
}

export const communicationModule: ResourceModule<Communication> = {
  type: 'Communication',
  documentation: `Messages sent (or to be sent) to patients (message): category is the purpose (${PURPOSE_SYSTEM}), medium the channel. Read-only. Newest first.`,
  interactions: ['read', 'search-type'],
  searchParams: [
    ID_PARAM,
    { name: 'patient', type: 'reference', documentation: 'The Patient' },
    { name: 'subject', type: 'reference', documentation: 'The Patient' },
    { name: 'sent', type: 'date', documentation: 'When it was sent' },
    { name: 'category', type: 'token', documentation: 'care | billing | education | marketing | research' },
  ],
  sorts: ['_lastUpdated'],
  versioned: false,
  async read(scope, id) {
    const row = isUuid(id) ? await communicationRows(scope).where('m.id', '=', id).executeTakeFirst() : undefined;
    return row ? communicationToFhir(row) : undefined;
  },
  async search(scope, request) {
    return (await search(scope, request)).map(communicationToFhir);
  },
};
