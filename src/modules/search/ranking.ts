import { foldForSearch, identifierKey, type SearchQuery } from './query.ts';
import { nameScore, nameWords } from './scoring.ts';

export type SearchField = 'name' | 'phone' | 'email' | 'birth_date' | 'mrn' | 'identifier';
export const SEARCH_FIELDS: readonly SearchField[] = ['name', 'phone', 'email', 'birth_date', 'mrn', 'identifier'];

export type PatientSearchHit = { id: string; score: number; matchedOn: SearchField[] };

/** A candidate as the ranking sees it: the searched fields and which of the query's keys it holds. */
export type Candidate = {
  id: string;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  birth_date: string | null;
  email: string | null;
  /** The patient's search keys that the query looked up (see migration 0003). */
  matched: string[];
};

/**
 * The keys the database gave for each name word, by tier: the word itself; words one edit away or
 * beginning with it; and, looked up last, its metaphone codes (what tells sound-alikes in the
 * ranking) and any keys too loose for the close tier.
 */
export type WordKeys = { exact: string; close: string[]; sounds: string[]; loose: string[] };

/** Below this a name is not what was asked for, whatever else matched. */
export const MIN_NAME_SCORE = 0.4;

/** The phone key a query's digits are looked up by: the last 10 digits, or the last 7. */
export function phoneKey(digits: string): string {
  return `ph:${digits.slice(digits.length >= 10 ? -10 : -7)}`;
}

export function phoneEndingKey(digits: string): string {
  return `ph:${digits.slice(-4)}`;
}

export function emailLocalKey(email: string): string {
  return `eml:${email.slice(0, email.indexOf('@'))}`;
}

/** The keys an identifier typed in the query is looked up by: the MRN, or any other identifier. */
export function identifierKeys(typed: string): string[] {
  const key = identifierKey(typed);
  return key ? [`mrn:${key}`, `id:${key}`] : [];
}

type Part = { score: number; fields: SearchField[] };

function numberPart(query: SearchQuery, matched: Set<string>): Part | null {
  const parts: Part[] = [];
  if (query.phone) {
    const key = phoneKey(query.phone);
    parts.push({ score: matched.has(key) ? (query.phone.length >= 10 ? 1 : 0.9) : 0, fields: ['phone'] });
  }
  if (query.phoneEnding && query.names.length) {
    parts.push({ score: matched.has(phoneEndingKey(query.phoneEnding)) ? 0.85 : 0, fields: ['phone'] });
  }
  for (const typed of query.identifiers) {
    const key = identifierKey(typed);
    if (matched.has(`mrn:${key}`)) parts.push({ score: 1, fields: ['mrn'] });
    else if (matched.has(`id:${key}`)) parts.push({ score: 1, fields: ['identifier'] });
    else parts.push({ score: 0, fields: [] });
  }
  if (parts.length === 0) return null;
  // Digits are one part however many ways they can be read: a phone, its ending or an identifier.
  const best = Math.max(...parts.map((p) => p.score));
  return { score: best, fields: [...new Set(parts.filter((p) => p.score > 0).flatMap((p) => p.fields))] };
}

function emailPart(email: string, candidate: Candidate, matched: Set<string>): Part {
  if (matched.has(`em:${email}`)) return { score: 1, fields: ['email'] };
  if (candidate.email?.startsWith(email)) return { score: 0.9, fields: ['email'] };
  if (matched.has(emailLocalKey(email))) return { score: 0.6, fields: ['email'] };
  return { score: 0, fields: [] };
}

/**
 * Scores one candidate against the query: each part the query has (name, date of birth, digits,
 * email) scores 0 to 1 and the score is their mean. Null when the candidate does not answer the
 * query: nothing matched, or the name typed is not this patient's.
 */
export function scoreCandidate(query: SearchQuery, words: Map<string, WordKeys>, candidate: Candidate): PatientSearchHit | null {
  const matched = new Set(candidate.matched);
  const parts: Part[] = [];
  const typed = [...query.names, ...query.initials];
  if (typed.length) {
    const name = nameWords(foldForSearch, candidate.given_name, candidate.family_name, candidate.preferred_name);
    const soundsAlike = (i: number) => (words.get(typed[i]!)?.sounds ?? []).some((k) => matched.has(k));
    const score = nameScore(typed, name, soundsAlike);
    if (score < MIN_NAME_SCORE) return null;
    parts.push({ score, fields: ['name'] });
  }
  if (query.birthDates.length) {
    const hit = candidate.birth_date !== null && query.birthDates.includes(candidate.birth_date);
    parts.push({ score: hit ? 1 : 0, fields: hit ? ['birth_date'] : [] });
  }
  const digits = numberPart(query, matched);
  if (digits) parts.push(digits);
  if (query.email) parts.push(emailPart(query.email, candidate, matched));

  const score = parts.reduce((sum, p) => sum + p.score, 0) / parts.length;
  if (score <= 0) return null;
  const matchedOn = SEARCH_FIELDS.filter((f) => parts.some((p) => p.score > 0 && p.fields.includes(f)));
  return { id: candidate.id, score: Math.round(score * 1000) / 1000, matchedOn };
}

/** Best first: score, then how many fields matched, then name order, then id (stable). */
export function rankCandidates(
  query: SearchQuery,
  words: Map<string, WordKeys>,
  candidates: Candidate[],
  limit: number,
): PatientSearchHit[] {
  const sortKey = new Map(candidates.map((c) => [c.id, `${foldForSearch(c.family_name)}\u0000${foldForSearch(c.given_name)}`]));
  const hits = candidates.map((c) => scoreCandidate(query, words, c)).filter((h): h is PatientSearchHit => h !== null);
  hits.sort(
    (a, b) =>
      b.score - a.score ||
      b.matchedOn.length - a.matchedOn.length ||
      sortKey.get(a.id)!.localeCompare(sortKey.get(b.id)!) ||
      (a.id < b.id ? -1 : 1),
  );
  return hits.slice(0, limit);
}
