import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { validationFailed } from '../../server/errors.ts';
import { parseSearchQuery, type SearchQuery } from './query.ts';
import {
  emailLocalKey,
  identifierKeys,
  phoneEndingKey,
  phoneKey,
  rankCandidates,
  type Candidate,
  type PatientSearchHit,
  type WordKeys,
} from './ranking.ts';

export type { PatientSearchHit, SearchField } from './ranking.ts';

/** How many candidates one tier of a look-up may bring back for ranking, per hit wanted. */
const CANDIDATES_PER_HIT = 5;
const MIN_CANDIDATES = 100;
const MAX_INITIALS_LOOKED_UP = 3;

export type PatientSearchInput = {
  q: string;
  limit: number;
  /** 'YYYY-MM-DD': bounds dates of birth and places two-digit years. Defaults to today (UTC). */
  today?: string;
};

/** The most hits one search returns (the API allows fewer; the patient list ranks up to this many). */
export const SEARCH_MAX_HITS = 500;

/**
 * The one search box: finds the tenant's patients (never archived or merged ones) by name (typos,
 * swapped letters, sound-alikes, prefixes, either order, preferred name), phone in any format,
 * email, date of birth, MRN or identifier, or a mix ("smith 3/7/1984"), best first. A query with
 * nothing to search for is a 400 naming `querystring.q`. Audited as `patient.search` with the ids
 * returned; the query text is never stored or logged.
 */
export async function searchPatients(scope: TenantScope, input: PatientSearchInput): Promise<PatientSearchHit[]> {
  const hits = await findPatients(scope, input);
  await scope.audit({
    action: 'patient.search',
    entityType: 'patient',
    detail: { returned: hits.length, patientIds: hits.map((h) => h.id) },
  });
  return hits;
}

/**
 * searchPatients without its audit record, for callers that audit what they show themselves
 * (the patient list ranks with it, then filters and pages).
 */
export async function findPatients(scope: TenantScope, input: PatientSearchInput): Promise<PatientSearchHit[]> {
  const today = input.today ?? new Date().toISOString().slice(0, 10);
  const parsed = parseSearchQuery(input.q, today);
  if (!parsed.ok) throw validationFailed([{ path: 'querystring.q', message: parsed.problem }]);
  const query = parsed.query;
  const limit = Math.min(Math.max(Math.trunc(input.limit) || 1, 1), SEARCH_MAX_HITS);

  const words = await nameWordKeys(scope, query.names);
  const ids = await findCandidates(scope, query, words, limit);
  const candidates = await loadCandidates(scope, [...ids], lookedUpKeys(query, words));
  return rankCandidates(query, words, candidates, limit);
}

/** The database's keys for each name word (the same function that makes the stored keys). */
async function nameWordKeys(scope: TenantScope, names: string[]): Promise<Map<string, WordKeys>> {
  const words = new Map<string, WordKeys>();
  if (names.length === 0) return words;
  const { rows } = await sql<{ word: string; keys: string[] }>`
    select w as word, rapport_name_query_keys(w) as keys from unnest(${names}::text[]) as w`.execute(scope.tx);
  for (const { word, keys } of rows) {
    const lexical = keys.filter((k) => !k.startsWith('=') && !k.startsWith('#'));
    // A three-letter word's deletions are two letters ("kay" -> "ay"): so loose that one short name
    // meets every such word of a query at once, swamping a prefix search like "kay may".
    const loose = (k: string) => word.length === 3 && k.length === 2;
    words.set(word, {
      exact: `=${word}`,
      close: lexical.filter((k) => !loose(k)),
      // The sound of a fragment ("joh") or a one-letter code finds half the clinic, not a name.
      sounds: word.length >= 4 ? keys.filter((k) => k.startsWith('#') && k.length >= 3) : [],
      loose: lexical.filter(loose),
    });
  }
  return words;
}

/**
 * Ids worth ranking. An email, a phone number, an identifier or a date of birth narrows the search
 * to a few patients, among whom the name only ranks. A name alone is looked up in tiers, each
 * wider than the last, until there are enough: the exact words, then words one edit away or
 * beginning with what was typed, then sound-alikes (and one-letter slips in three-letter words).
 */
async function findCandidates(scope: TenantScope, query: SearchQuery, words: Map<string, WordKeys>, limit: number) {
  const ids = new Set<string>();
  const add = (found: string[]) => found.forEach((id) => ids.add(id));

  // Everyone found by one email, phone or identifier scores alike unless a name is there to rank them.
  const cap = query.names.length || query.initials.length ? candidateCap(limit) : limit;
  if (query.email) add(await candidatesByKeys(scope, [[[emailLocalKey(query.email)]]], limit, cap));
  const numberKeys = [
    ...(query.phone ? [phoneKey(query.phone)] : []),
    ...query.identifiers.flatMap(identifierKeys),
  ];
  if (numberKeys.length) add(await candidatesByKeys(scope, [[numberKeys]], limit, cap));
  if (query.birthDates.length) add(await candidatesByBirthDate(scope, query.birthDates, limit));

  const narrowed = query.email !== null || query.phone !== null || query.birthDates.length > 0;
  if (query.names.length === 0 || narrowed) return ids;

  // Initials ("j smith") narrow the look-up by the first letter of some name word.
  const initials = query.initials.slice(0, MAX_INITIALS_LOOKED_UP).map((i) => [`^${i}`]);
  const ending = query.phoneEnding ? [[phoneEndingKey(query.phoneEnding)]] : [];
  const lookUp = (names: string[], extra: string[][]) => {
    const tiers = [
      names.map((n) => [words.get(n)!.exact]),
      names.map((n) => words.get(n)!.close),
      ...(names.some((n) => words.get(n)!.sounds.length || words.get(n)!.loose.length)
        ? [names.map((n) => [...words.get(n)!.close, ...words.get(n)!.sounds, ...words.get(n)!.loose])]
        : []),
    ].filter((groups) => groups.every((g) => g.length > 0));
    return candidatesByKeys(scope, tiers.map((groups) => [...groups, ...extra]), limit, candidateCap(limit));
  };

  let found = await lookUp(query.names, [...initials, ...ending]);
  // A phone ending or an initial that matches nobody of that name should not hide the name's matches.
  if (found.length === 0 && (ending.length || initials.length)) found = await lookUp(query.names, []);
  // Words the record does not have (a middle name) should not hide the rest: retry with the two longest.
  if (found.length === 0 && query.names.length > 2) {
    const longest = [...query.names].sort((a, b) => b.length - a.length).slice(0, 2);
    found = await lookUp(longest, []);
  }
  add(found);
  return ids;
}

/** Enough candidates to rank for `limit` hits, without reading hundreds of rows for a common name. */
function candidateCap(limit: number): number {
  return Math.max(MIN_CANDIDATES, limit * CANDIDATES_PER_HIT);
}

/** Ids found by tiers of key groups (see rapport_patient_search_candidates in migration 0003). */
async function candidatesByKeys(scope: TenantScope, tiers: string[][][], enough: number, cap: number): Promise<string[]> {
  if (tiers.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    select c as id from rapport_patient_search_candidates(${JSON.stringify(tiers)}::jsonb, ${enough}, ${cap}) as c`.execute(
    scope.tx,
  );
  return rows.map((r) => r.id);
}

async function candidatesByBirthDate(scope: TenantScope, dates: string[], limit: number): Promise<string[]> {
  const rows = await scope.tx
    .selectFrom('patient')
    .select('id')
    .where('birth_date', 'in', dates)
    .where('archived_at', 'is', null)
    .where('merged_into_id', 'is', null)
    .limit(candidateCap(limit))
    .execute();
  return rows.map((r) => r.id);
}

/** Every key the query looked up, so each candidate can say which of them it holds. */
function lookedUpKeys(query: SearchQuery, words: Map<string, WordKeys>): string[] {
  const keys = new Set<string>();
  for (const w of words.values()) [w.exact, ...w.close, ...w.sounds, ...w.loose].forEach((k) => keys.add(k));
  if (query.phone) keys.add(phoneKey(query.phone));
  if (query.phoneEnding) keys.add(phoneEndingKey(query.phoneEnding));
  if (query.email) {
    keys.add(`em:${query.email}`);
    keys.add(emailLocalKey(query.email));
  }
  query.identifiers.flatMap(identifierKeys).forEach((k) => keys.add(k));
  return [...keys];
}

/**
 * The candidates' searched fields, read under row-level security like any other patient read.
 * One primary-key look-up per id (a join, not `id = any(...)`, which a never-analyzed table on
 * PGlite answers by reading a whole (tenant_id, ...) index).
 */
async function loadCandidates(scope: TenantScope, ids: string[], keys: string[]): Promise<Candidate[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<Omit<Candidate, 'matched'> & { search_keys: string[] }>`
    select p.id, p.given_name, p.family_name, p.preferred_name, p.birth_date, p.email, p.search_keys
      from unnest(${ids}::uuid[]) as c(id)
      join patient p on p.tenant_id = ${scope.tenantId}::uuid and p.id = c.id
     where p.archived_at is null and p.merged_into_id is null`.execute(scope.tx);
  // Which looked-up keys each one holds: cheaper here than a subquery per row in the database.
  const wanted = new Set(keys);
  return rows.map(({ search_keys, ...row }) => ({ ...row, matched: search_keys.filter((k) => wanted.has(k)) }));
}
