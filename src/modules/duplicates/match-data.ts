import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { MatchRecord } from './score.ts';
import { isUuid } from '../../shared/ids.ts';

/**
 * What duplicate detection reads about patients: the fields the score compares, with extra
 * contact points and identifiers, loaded for many patients in one query.
 */

/** A key shared by more patients than this (a clinic's own phone, a placeholder email) finds no candidates. */
export const MAX_BLOCK_SIZE = 50;

type MatchRow = {
  id: string;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  birth_date: string | null;
  sex: string | null;
  phone: string | null;
  email: string | null;
  address_line: string | null;
  postal_code: string | null;
  mrn: string | null;
  contacts: Array<{ system: 'phone' | 'email'; value: string }> | string;
  identifiers: Array<{ system: string; value: string }> | string;
};

const parsed = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/*
 * The queries below unnest their ids or keys and look each one up in a LATERAL subquery that
 * cannot be flattened (OFFSET 0 or LIMIT): each is then found through its index one by one,
 * whatever the planner believes about table sizes. PGlite runs no autovacuum, so its tables often
 * have no statistics at all, and a planner that thinks `patient` holds one row would otherwise
 * scan the whole tenant once per id. The conditions compare plain columns: under row-level
 * security a condition with a cast or function in it (p.id = value::uuid) is not leakproof and
 * could not use the index either.
 */
const uuids = (ids: readonly string[]) => sql`unnest(${`{${ids.filter((id) => isUuid(id)).join(',')}}`}::uuid[])`;

/**
 * The match records of the given patients, by id. Patients that do not exist are left out, and
 * with `liveOnly` so are archived and merged ones.
 */
export async function loadMatchRecords(
  scope: TenantScope,
  ids: readonly string[],
  options: { liveOnly?: boolean } = {},
): Promise<Map<string, MatchRecord>> {
  const out = new Map<string, MatchRecord>();
  const live = options.liveOnly ? sql`and p.archived_at is null and p.merged_into_id is null` : sql``;
  for (let i = 0; i < ids.length; i += 2000) {
    const chunk = ids.slice(i, i + 2000);
    const { rows } = await sql<MatchRow>`
      select p.id, p.given_name, p.family_name, p.preferred_name, p.birth_date, p.sex, p.phone, p.email,
             p.address_line, p.postal_code, p.mrn,
             (select coalesce(json_agg(json_build_object('system', c.system, 'value', c.value)), '[]'::json)
                from patient_contact_point c where c.patient_id = p.id) as contacts,
             (select coalesce(json_agg(json_build_object('system', i.system, 'value', i.value)), '[]'::json)
                from patient_identifier i where i.patient_id = p.id) as identifiers
        from ${uuids(chunk)} as j(id)
        cross join lateral (select * from patient p where p.id = j.id ${live} offset 0) p`.execute(scope.tx);
    for (const r of rows) {
      const contacts = parsed(r.contacts);
      out.set(r.id, {
        givenName: r.given_name,
        familyName: r.family_name,
        preferredName: r.preferred_name,
        birthDate: r.birth_date,
        sex: r.sex,
        phones: [...(r.phone ? [r.phone] : []), ...contacts.filter((c) => c.system === 'phone').map((c) => c.value)],
        emails: [...(r.email ? [r.email] : []), ...contacts.filter((c) => c.system === 'email').map((c) => c.value)],
        addressLine: r.address_line,
        postalCode: r.postal_code,
        mrn: r.mrn,
        identifiers: parsed(r.identifiers),
      });
    }
  }
  return out;
}

/** The blocking keys of the given patients. */
export async function keysOfPatients(scope: TenantScope, ids: readonly string[]): Promise<Array<{ patientId: string; key: string }>> {
  const { rows } = await sql<{ patientId: string; key: string }>`
    select j.id as "patientId", k.key
      from ${uuids(ids)} as j(id)
      cross join lateral (select key from patient_match_key k where k.patient_id = j.id offset 0) k`.execute(scope.tx);
  return rows;
}

/**
 * The patients holding each key, for the keys no more than MAX_BLOCK_SIZE patients share (a key
 * shared by more is left out: it says nothing about who is who).
 */
export async function patientsByKey(scope: TenantScope, keys: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (keys.length === 0) return out;
  const { rows } = await sql<{ key: string; patientId: string }>`
    select j.value as key, m.patient_id as "patientId"
      from json_array_elements_text(${JSON.stringify([...new Set(keys)])}::json) j
      cross join lateral (select patient_id from patient_match_key m where m.key = j.value limit ${MAX_BLOCK_SIZE + 1}) m`.execute(scope.tx);
  for (const r of rows) out.set(r.key, [...(out.get(r.key) ?? []), r.patientId]);
  for (const [key, members] of out) if (new Set(members).size > MAX_BLOCK_SIZE) out.delete(key);
  return out;
}

/** Orders a pair as duplicate_candidate stores it (patient_a < patient_b, as PostgreSQL orders uuids). */
export function orderedPair(x: string, y: string): [string, string] {
  const a = x.toLowerCase();
  const b = y.toLowerCase();
  return a < b ? [a, b] : [b, a];
}
