import { foldName, phoneDigits } from '../patients/normalize.ts';
import { extractDates } from './dates.ts';

/**
 * What one search box query asks for. A query may mix parts ("smith 3/7/1984", "jo smith 0123");
 * each part is matched on its own and the scores are combined.
 */
export type SearchQuery = {
  /** Folded name words of two letters or more, in the order typed. */
  names: string[];
  /** Single letters typed as names ("j smith"): they narrow nothing but count in the ranking. */
  initials: string[];
  /** Dates of birth, 'YYYY-MM-DD' (several when one typed date reads more than one way). */
  birthDates: string[];
  /** A phone number or its last 7+ digits, in any format, as digits. */
  phone: string | null;
  /** The last 4 to 6 digits of a phone, typed together with a name. */
  phoneEnding: string | null;
  /** An email, or the beginning of one, lower-cased; always holds the '@'. */
  email: string | null;
  /** MRNs or other identifiers, as typed (compared by letters and digits, any case). */
  identifiers: string[];
};

export const MAX_NAME_WORDS = 6;
export const MAX_QUERY_LENGTH = 200;

export type ParseResult = { ok: true; query: SearchQuery } | { ok: false; problem: string };

const EMAIL_LOCAL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+$/;

/** Letters without a decomposition that foldName would drop: fold them as unaccent() does. */
const EXTRA_FOLDS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', þ: 'th', ı: 'i' };

/** A name folded the way the database folds it (rapport_fold in migration 0003). */
export function foldForSearch(raw: string): string {
  return foldName(raw.toLowerCase().replace(/[ßæœøłđþı]/g, (c) => EXTRA_FOLDS[c] ?? c));
}

/** An identifier compared by its letters and digits only, in any case ("MRN-0100001" = "mrn0100001"). */
export function identifierKey(raw: string): string {
  return raw.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/**
 * Reads a search: email (anything with an @), dates of birth in common formats, phone numbers in
 * any format, identifiers (words with digits), and name words. `today` ('YYYY-MM-DD') bounds
 * dates of birth and places two-digit years.
 */
export function parseSearchQuery(raw: string, today: string): ParseResult {
  const text = raw.normalize('NFC').trim();
  if (text.length === 0) return { ok: false, problem: 'is empty: type a name, phone, email, date of birth or MRN' };
  if (text.length > MAX_QUERY_LENGTH) return { ok: false, problem: `must be at most ${MAX_QUERY_LENGTH} characters` };

  const query: SearchQuery = { names: [], initials: [], birthDates: [], phone: null, phoneEnding: null, email: null, identifiers: [] };
  const words: string[] = [];
  for (const word of text.split(/\s+/)) {
    if (word.includes('@') && !query.email) {
      const email = word.toLowerCase().replace(/^[<("']+|[>)"',;]+$/g, '');
      const local = email.slice(0, email.indexOf('@'));
      if (!EMAIL_LOCAL.test(local)) return { ok: false, problem: 'has an @ but no email address before it' };
      query.email = email;
    } else {
      words.push(word);
    }
  }

  const { dates, rest } = extractDates(words.join(' '), today);
  query.birthDates = dates;

  let digitRun: string[] = [];
  const endRun = () => {
    if (digitRun.length) takeNumber(query, digitRun);
    digitRun = [];
  };
  for (const word of rest.split(/\s+/).filter(Boolean)) {
    if (/^[+(]*\d[\d().-]*$/.test(word)) {
      digitRun.push(word);
      continue;
    }
    endRun();
    if (/\d/.test(word) && /\p{L}/u.test(word)) {
      const key = identifierKey(word);
      if (key) query.identifiers.push(word);
      continue;
    }
    for (const token of foldForSearch(word).split(' ').filter(Boolean)) {
      if (/\d/.test(token)) continue;
      (token.length === 1 ? query.initials : query.names).push(token);
    }
  }
  endRun();

  // Four to six digits are a phone's ending only beside a name; alone they are an identifier.
  if (query.phoneEnding && query.names.length === 0) query.phoneEnding = null;

  if (query.names.length > MAX_NAME_WORDS) return { ok: false, problem: `may hold at most ${MAX_NAME_WORDS} name words` };
  const searchable =
    query.names.length > 0 ||
    query.birthDates.length > 0 ||
    query.phone !== null ||
    query.email !== null ||
    query.identifiers.length > 0;
  if (!searchable) {
    return {
      ok: false,
      problem: query.initials.length
        ? 'needs at least two letters of a name'
        : 'has nothing to search for: type a name, phone, email, date of birth or MRN',
    };
  }
  return { ok: true, query };
}

/** Consecutive numeric words ("(413) 555-0123", "0123"): a phone, a phone ending, an identifier. */
function takeNumber(query: SearchQuery, run: string[]): void {
  const digits = phoneDigits(run.join(''));
  if (digits.length >= 7) {
    query.phone ??= digits;
  } else if (digits.length >= 4) {
    query.phoneEnding ??= digits;
  }
  // A number typed as one word may also be an MRN or another identifier.
  if (run.length === 1 && digits.length > 0) query.identifiers.push(run[0]!);
}
