import { sql, type SelectQueryBuilder } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { badRequest } from '../../server/errors.ts';
import { decodeCursor, encodeCursor } from '../../server/http/cursor.ts';
import { iso, lifecycleSql, nextAppointmentSql } from './record.ts';
import type { HistoryEntry, PatientFilters, PatientListQuery, PatientSummary } from './schema.ts';
import { isUuid } from '../../shared/ids.ts';

/** Ranked ids for a search box query (see modules/search); the list applies its filters to them. */
export type PatientSearch = (scope: TenantScope, q: string, limit: number) => Promise<Array<{ id: string }>>;

type Cursor = { f: string; g: string; id: string };

/** The columns of one list line. */
export function summaryQuery(scope: TenantScope, now: Date) {
  return scope.tx
    .selectFrom('patient as p')
    .select((eb) => [
      'p.id',
      'p.mrn',
      'p.given_name',
      'p.family_name',
      'p.preferred_name',
      'p.birth_date',
      'p.sex',
      'p.phone',
      'p.email',
      'p.city',
      'p.source_channel',
      'p.last_visit_at',
      lifecycleSql('p', now).as('lifecycle'),
      nextAppointmentSql('p', now).as('next_appointment_at'),
      eb
        .selectFrom('patient_tag as pt')
        .innerJoin('tag as t', 't.id', 'pt.tag_id')
        .select(sql<string[]>`coalesce(array_agg(t.name order by lower(t.name)), '{}')`.as('names'))
        .whereRef('pt.patient_id', '=', 'p.id')
        .as('tags'),
    ]);
}

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryQuery>['executeTakeFirstOrThrow']>>;

export function toSummary(row: SummaryRow): PatientSummary {
  return {
    id: row.id,
    mrn: row.mrn,
    givenName: row.given_name,
    familyName: row.family_name,
    preferredName: row.preferred_name,
    birthDate: row.birth_date,
    sex: row.sex,
    phone: row.phone,
    email: row.email,
    city: row.city,
    lifecycleStatus: row.lifecycle,
    tags: row.tags ?? [],
    sourceChannel: row.source_channel,
    lastVisitAt: iso(row.last_visit_at),
    nextAppointmentAt: iso(row.next_appointment_at),
  };
}

type Q = SelectQueryBuilder<DB & { p: DB['patient'] }, 'p', SummaryRow>;

/** Narrows a patient query by the list's filters. */
export function applyFilters(q: Q, filters: PatientFilters, now: Date): Q {
  q = filters.archived === 'true' ? q.where('p.archived_at', 'is not', null) : q.where('p.archived_at', 'is', null);
  q = q.where('p.merged_into_id', 'is', null);
  if (filters.tag?.length) {
    const names = filters.tag.map((t) => t.toLowerCase());
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('patient_tag as ft')
          .innerJoin('tag as t', 't.id', 'ft.tag_id')
          .select('ft.tag_id')
          .whereRef('ft.patient_id', '=', 'p.id')
          .where(sql<string>`lower(t.name)`, 'in', names),
      ),
    );
  }
  if (filters.lifecycle?.length) q = q.where(lifecycleSql('p', now), 'in', filters.lifecycle);
  if (filters.source?.length) q = q.where(sql<string>`lower(p.source_channel)`, 'in', filters.source.map((s) => s.toLowerCase()));
  if (filters.lastVisitBefore) q = q.where('p.last_visit_at', '<', new Date(`${filters.lastVisitBefore}T00:00:00Z`));
  if (filters.lastVisitAfter) q = q.where('p.last_visit_at', '>=', new Date(`${filters.lastVisitAfter}T00:00:00Z`));
  if (filters.neverVisited === 'true') q = q.where('p.last_visit_at', 'is', null);
  if (filters.neverVisited === 'false') q = q.where('p.last_visit_at', 'is not', null);
  return q;
}

/**
 * The patient list: in name order and paged by cursor, or, with a search box query, the best
 * matches in rank order. Every patient shown is named in the audit record of the list.
 */
export async function listPatients(
  scope: TenantScope,
  query: PatientListQuery,
  now: Date,
  search: PatientSearch,
): Promise<{ items: PatientSummary[]; nextCursor: string | null }> {
  let items: PatientSummary[];
  let nextCursor: string | null = null;
  if (query.q) {
    if (query.cursor) throw badRequest('Search results come in one page; drop the cursor.', [{ path: 'querystring.cursor', message: 'is not used with q' }]);
    const ranked = await search(scope, query.q, Math.max(query.limit * 4, 100));
    const ids = ranked.map((r) => r.id);
    const rows = ids.length ? await applyFilters(summaryQuery(scope, now), query, now).where('p.id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    items = ids.flatMap((id) => (byId.has(id) ? [toSummary(byId.get(id)!)] : [])).slice(0, query.limit);
  } else {
    let q = applyFilters(summaryQuery(scope, now), query, now)
      .orderBy(sql`lower(p.family_name)`)
      .orderBy(sql`lower(p.given_name)`)
      .orderBy('p.id')
      .limit(query.limit + 1);
    if (query.cursor) {
      const c = decodeCursor<Cursor>(query.cursor, (c) => typeof c.f === 'string' && typeof c.g === 'string' && typeof c.id === 'string' && isUuid(c.id));
      q = q.where(sql<boolean>`(lower(p.family_name), lower(p.given_name), p.id) > (${c.f}, ${c.g}, ${c.id}::uuid)`);
    }
    const rows = await q.execute();
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    if (rows.length > query.limit && last) {
      nextCursor = encodeCursor({ f: last.family_name.toLowerCase(), g: last.given_name.toLowerCase(), id: last.id });
    }
    items = page.map(toSummary);
  }
  await scope.audit({
    action: query.q ? 'patient.search' : 'patient.list',
    entityType: 'patient',
    detail: { returned: items.length, patientIds: items.map((p) => p.id) },
  });
  return { items, nextCursor };
}

/** The patient's change history, newest first, one entry per change set. */
export async function patientHistory(
  scope: TenantScope,
  patientId: string,
  input: { limit: number; cursor?: string | undefined },
): Promise<{ items: HistoryEntry[]; nextCursor: string | null }> {
  let sets = scope.tx
    .selectFrom('patient_change as c')
    .select(['c.change_set', sql<Date>`max(c.changed_at)`.as('changed_at')])
    .where('c.patient_id', '=', patientId)
    .groupBy('c.change_set')
    .orderBy(sql`max(c.changed_at)`, 'desc')
    .orderBy('c.change_set', 'desc')
    .limit(input.limit + 1);
  if (input.cursor) {
    const c = decodeCursor<{ at: string; set: string }>(input.cursor, (c) => typeof c.at === 'string' && typeof c.set === 'string' && isUuid(c.set));
    sets = sets.having(sql<boolean>`(max(c.changed_at), c.change_set) < (${c.at}::timestamptz, ${c.set}::uuid)`);
  }
  const setRows = await sets.execute();
  const page = setRows.slice(0, input.limit);
  const changes = page.length
    ? await scope.tx
        .selectFrom('patient_change as c')
        .leftJoin('app_user as u', 'u.id', 'c.actor_id')
        .select(['c.change_set', 'c.changed_at', 'c.actor_type', 'c.actor_id', 'u.display_name', 'c.field', 'c.old_value', 'c.new_value'])
        .where('c.change_set', 'in', page.map((s) => s.change_set))
        .orderBy('c.field')
        .execute()
    : [];
  const items = page.map((set): HistoryEntry => {
    const rows = changes.filter((c) => c.change_set === set.change_set);
    const first = rows[0]!;
    return {
      changeSet: set.change_set,
      changedAt: iso(set.changed_at)!,
      actor: { type: first.actor_type, id: first.actor_id, name: first.display_name },
      changes: rows.map((r) => ({ field: r.field, from: r.old_value, to: r.new_value })),
    };
  });
  const last = page.at(-1);
  const nextCursor = setRows.length > input.limit && last ? encodeCursor({ at: iso(last.changed_at), set: last.change_set }) : null;
  return { items, nextCursor };
}
