/**
 * How well a patient's name answers the name words of a search, from 0 to 1. Pure functions over
 * folded strings (see foldForSearch), so the ranking can be tested without a database.
 */

export { editDistance as damerauLevenshtein, jaroWinkler } from '../../shared/text-similarity.ts';
import { editDistance as damerauLevenshtein, jaroWinkler } from '../../shared/text-similarity.ts';

const SOUNDEX_CODES: Record<string, string> = {
  b: '1', f: '1', p: '1', v: '1',
  c: '2', g: '2', j: '2', k: '2', q: '2', s: '2', x: '2', z: '2',
  d: '3', t: '3', l: '4', m: '5', n: '5', r: '6',
};

/** American Soundex ("smith" and "smyth" are both S530); empty for a word without letters. */
export function soundex(word: string): string {
  const letters = word.toLowerCase().replace(/[^a-z]/g, '');
  if (!letters) return '';
  let code = letters[0]!.toUpperCase();
  let last = SOUNDEX_CODES[letters[0]!] ?? '';
  for (const c of letters.slice(1)) {
    const digit = SOUNDEX_CODES[c] ?? '';
    if (digit && digit !== last) code += digit;
    // h and w do not separate two letters with the same code; vowels do.
    if (c !== 'h' && c !== 'w') last = digit;
    if (code.length === 4) break;
  }
  return code.padEnd(4, '0');
}

/**
 * How well one typed word matches one word of a name: 1 for the same word, less for a prefix,
 * one or two edits (Damerau), a sound-alike, or a near miss by Jaro-Winkler; 0 for no match.
 * `soundsAlike` says the database found the two to share a double-metaphone code.
 */
export function tokenScore(typed: string, name: string, soundsAlike = false): number {
  if (typed === name) return 1;
  let score = 0;
  if (name.startsWith(typed)) score = typed.length === 1 ? 0.6 : 0.7 + 0.25 * (typed.length / name.length);
  if (typed.length >= 3) {
    // One edit away: a swap of two letters (the commonest slip) ranks above a wrong letter, and
    // that above a letter too many or too few.
    const distance = damerauLevenshtein(typed, name, 2);
    if (distance === 1) score = Math.max(score, typed.length !== name.length ? 0.8 : isSwap(typed, name) ? 0.85 : 0.82);
    else if (distance === 2 && typed.length >= 6) score = Math.max(score, 0.65);
  }
  if (score >= 0.8 || typed.length < 3) return score;
  if (soundsAlike || soundex(typed) === soundex(name)) score = Math.max(score, 0.6);
  const jw = jaroWinkler(typed, name);
  return jw >= 0.85 ? Math.max(score, 0.55 * jw) : score;
}

/** True when `b` is `a` with two neighbouring letters swapped. */
function isSwap(a: string, b: string): boolean {
  const i = [...a].findIndex((c, k) => c !== b[k]);
  return i >= 0 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}

export type NameWords = { given: string[]; family: string[]; preferred: string[] };

/**
 * The name part of a search's score: each typed word is paired with a different word of the
 * patient's given, family or preferred names (in either order), and the pair scores averaged.
 * A preferred name counts slightly less than the legal one. `soundsAlike(i)` tells whether typed
 * word i shares a metaphone code with any of the patient's name words.
 */
export function nameScore(typed: string[], name: NameWords, soundsAlike: (i: number) => boolean = () => false): number {
  if (typed.length === 0) return 0;
  const words = [
    ...name.given.map((w) => ({ w, weight: 1 })),
    ...name.family.map((w) => ({ w, weight: 1 })),
    ...name.preferred.map((w) => ({ w, weight: 0.95 })),
  ];
  const pairs: Array<{ t: number; w: number; score: number }> = [];
  typed.forEach((t, ti) => {
    words.forEach(({ w, weight }, wi) => {
      const score = tokenScore(t, w, soundsAlike(ti) && t.length >= 3) * weight;
      if (score > 0) pairs.push({ t: ti, w: wi, score });
    });
  });
  // Greedy assignment, best pairs first: with a handful of words it is as good as optimal.
  pairs.sort((a, b) => b.score - a.score);
  const usedTyped = new Set<number>();
  const usedWord = new Set<number>();
  let total = 0;
  for (const p of pairs) {
    if (usedTyped.has(p.t) || usedWord.has(p.w)) continue;
    usedTyped.add(p.t);
    usedWord.add(p.w);
    total += p.score;
  }
  return total / typed.length;
}

/** Splits a stored name into folded words, with the same folding as the search. */
export function nameWords(fold: (raw: string) => string, given: string, family: string, preferred: string | null): NameWords {
  const split = (raw: string | null) => (raw ? fold(raw).split(' ').filter(Boolean) : []);
  return { given: split(given), family: split(family), preferred: split(preferred) };
}
