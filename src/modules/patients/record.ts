import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { LifecycleStatus } from '../../server/db/types.ts';
import type { PatientRecord } from './schema.ts';

/** Reading a patient as the API presents it: the row, the sets beside it, and derived facts. */

export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const hhmm = (t: string | null) => (t ? t.slice(0, 5) : null);

/** SQL for the effective lifecycle: lapsed when an active patient's last kept visit is too old and nothing is booked. */
export function lifecycleSql(alias: string, now: Date) {
  return sql<LifecycleStatus>`patient_lifecycle(${sql.ref(`${alias}.lifecycle_status`)}, ${sql.ref(`${alias}.last_visit_at`)},
    ${sql.ref(`${alias}.created_at`)}, (select t.lapsed_after_days from tenant t), ${now}::timestamptz, ${nextAppointmentSql(alias, now)})`;
}

/** SQL for the start of the patient's next booked appointment after `now`. */
export function nextAppointmentSql(alias: string, now: Date) {
  return sql<Date | null>`(select min(a.starts_at) from appointment a
    where a.patient_id = ${sql.ref(`${alias}.id`)} and a.status = 'booked' and a.starts_at >= ${now}::timestamptz)`;
}

/** The full record, or undefined when the patient does not exist in this tenant. */
export async function loadPatientRecord(scope: TenantScope, id: string, now: Date): Promise<PatientRecord | undefined> {
  const row = await scope.tx
    .selectFrom('patient as p')
    .selectAll('p')
    .select([lifecycleSql('p', now).as('effective_lifecycle'), nextAppointmentSql('p', now).as('next_appointment_at')])
    .where('p.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;

  const [identifiers, contacts, tags, links] = await Promise.all([
    scope.tx.selectFrom('patient_identifier').select(['system', 'value']).where('patient_id', '=', id).orderBy('system').orderBy('value').execute(),
    scope.tx
      .selectFrom('patient_contact_point')
      .select(['system', 'value', 'use'])
      .where('patient_id', '=', id)
      .orderBy('rank')
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    scope.tx
      .selectFrom('patient_tag as pt')
      .innerJoin('tag as t', 't.id', 'pt.tag_id')
      .select(['t.id', 't.name', 't.color'])
      .where('pt.patient_id', '=', id)
      .orderBy(sql`lower(t.name)`)
      .execute(),
    loadHousehold(scope, id),
  ]);
  return {
    id: row.id,
    version: row.version,
    mrn: row.mrn,
    givenName: row.given_name,
    familyName: row.family_name,
    preferredName: row.preferred_name,
    birthDate: row.birth_date,
    sex: row.sex,
    genderIdentity: row.gender_identity,
    pronouns: row.pronouns,
    identifiers,
    phones: [
      ...(row.phone ? [{ value: row.phone, use: row.phone_use }] : []),
      ...contacts.filter((c) => c.system === 'phone').map(({ value, use }) => ({ value, use })),
    ],
    emails: [
      ...(row.email ? [{ value: row.email, use: row.email_use }] : []),
      ...contacts.filter((c) => c.system === 'email').map(({ value, use }) => ({ value, use })),
    ],
    address: { line: row.address_line, city: row.city, region: row.region, postalCode: row.postal_code, country: row.country },
    language: row.language,
    timeZone: row.time_zone,
    preferredChannel: row.preferred_channel,
    quietHours: row.quiet_hours_start && row.quiet_hours_end ? { start: hhmm(row.quiet_hours_start)!, end: hhmm(row.quiet_hours_end)! } : null,
    tags,
    customFields: row.custom_fields,
    lifecycleStatus: row.effective_lifecycle,
    source: {
      channel: row.source_channel,
      campaign: row.source_campaign,
      referrer: row.source_referrer,
      utmSource: row.utm_source,
      utmMedium: row.utm_medium,
      utmCampaign: row.utm_campaign,
      utmTerm: row.utm_term,
      utmContent: row.utm_content,
    },
    household: links,
    lastVisitAt: iso(row.last_visit_at),
    nextAppointmentAt: iso(row.next_appointment_at),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    archivedAt: iso(row.archived_at),
    mergedIntoId: row.merged_into_id,
  };
}

/** Household links seen from this patient: guardian of, guarded by, shares a phone with. */
async function loadHousehold(scope: TenantScope, id: string): Promise<PatientRecord['household']> {
  const rows = await scope.tx
    .selectFrom('patient_link as l')
    .innerJoin('patient as o', (j) => j.on(sql<boolean>`o.id = case when l.patient_id = ${id}::uuid then l.related_id else l.patient_id end`))
    .select(['l.id as link_id', 'l.kind', 'l.patient_id', 'o.id', 'o.given_name', 'o.family_name', 'o.birth_date'])
    .where((eb) => eb.or([eb('l.patient_id', '=', id), eb('l.related_id', '=', id)]))
    .orderBy('l.created_at')
    .execute();
  return rows.map((r) => ({
    linkId: r.link_id,
    kind: r.kind === 'guardian_of' && r.patient_id !== id ? ('guarded_by' as const) : r.kind,
    patient: { id: r.id, givenName: r.given_name, familyName: r.family_name, birthDate: r.birth_date },
  }));
}

/** The parts of a record a person edits, in API terms, for the change history. */
export function editableSnapshot(record: PatientRecord, storedLifecycle: string): Record<string, unknown> {
  const { customFields, ...rest } = record;
  const snapshot: Record<string, unknown> = {
    givenName: rest.givenName,
    familyName: rest.familyName,
    preferredName: rest.preferredName,
    birthDate: rest.birthDate,
    sex: rest.sex,
    genderIdentity: rest.genderIdentity,
    pronouns: rest.pronouns,
    mrn: rest.mrn,
    identifiers: rest.identifiers,
    phones: rest.phones,
    emails: rest.emails,
    address: rest.address,
    language: rest.language,
    timeZone: rest.timeZone,
    preferredChannel: rest.preferredChannel,
    quietHours: rest.quietHours,
    tags: rest.tags.map((t) => t.name),
    lifecycleStatus: storedLifecycle,
    source: rest.source,
    archived: rest.archivedAt !== null,
  };
  for (const [key, value] of Object.entries(customFields)) snapshot[`customFields.${key}`] = value;
  return snapshot;
}

/** Fields whose value differs between two snapshots, with both values. */
export function diffSnapshots(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Array<{ field: string; from: unknown; to: unknown }> {
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changes = [];
  for (const field of fields) {
    const from = before[field] ?? null;
    const to = after[field] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes.push({ field, from, to });
  }
  return changes;
}
