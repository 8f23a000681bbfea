import { foldName, phoneDigits } from '../patients/normalize.ts';
import { areNicknames, editDistance, isOneTransposition, jaroWinkler } from './similarity.ts';

/**
 * How alike two patient records are, field by field, as evidence for or against their being one
 * person (a Fellegi-Sunter style sum of weights; pure, no database).
 *
 * Each comparison adds a weight: positive when the fields agree in a way two different people
 * rarely would (same date of birth: +9, same email: +8), negative when they disagree in a way one
 * person rarely would (different given names: -8, born twelve or more years apart: -12). Missing
 * values add nothing. The total W becomes a score with a logistic curve centred on W = 12:
 *
 *   score = 1 / (1 + e^(-(W - 12) / 2.5))
 *
 * Levels: 'clear' from 0.90 (W >= 17.5, e.g. same names and date of birth), 'likely' from 0.50
 * (W >= 12, e.g. same names and phone, or names with a typo and a date one digit off), 'none' below.
 *
 * A clear match also needs compatible given names (equal, a nickname, a typo, an initial, the
 * preferred name), a compatible birth date (equal, day and month swapped, one wrong or two swapped
 * digits less than ten years apart) and no conflicting identifier; without them the score is
 * capped at 0.89. Twins (same birth date, family name and home, different given names) also lose
 * 8 more for the pattern, since a household explains everything else they share: they are at most
 * 'likely', and only when they share an email too. A father and son of one name and one birthday
 * are at most 'likely'. A shared identifier value in the same system, or the same MRN, is
 * decisive: 'clear' whatever else differs.
 */

export const CLEAR_THRESHOLD = 0.9;
export const LIKELY_THRESHOLD = 0.5;
const CAPPED_SCORE = 0.89;
const CENTRE = 12;
const SPREAD = 2.5;

/** Identifier system under which a merge keeps the survivor's MRN when the merged one's was chosen. */
export const PREVIOUS_MRN_SYSTEM = 'urn:rapport:previous-mrn';

export type MatchRecord = {
  givenName: string;
  familyName: string;
  preferredName?: string | null;
  /** 'YYYY-MM-DD' */
  birthDate?: string | null;
  sex?: string | null;
  /** E.164 */
  phones: string[];
  emails: string[];
  addressLine?: string | null;
  postalCode?: string | null;
  mrn?: string | null;
  identifiers: Array<{ system: string; value: string }>;
};

export type MatchLevel = 'clear' | 'likely' | 'none';
export type MatchField = 'given_name' | 'family_name' | 'birth_date' | 'phone' | 'email' | 'address' | 'identifier' | 'mrn' | 'sex';
export type MatchReason = { field: MatchField; detail: string; weight: number };
export type MatchScore = { score: number; level: MatchLevel; reasons: MatchReason[] };

/** What a record's comparisons need, folded once (a scan compares each record with several others). */
type Prepared = {
  given: string;
  family: string;
  preferred: string;
  line: string;
  postal: string;
  phones: Map<string, string>;
  emails: Map<string, string>;
  mrns: Set<string>;
  bySystem: Map<string, Set<string>>;
};
// Records are read, never changed, by scoring; the cache lives as long as the record does.
const preparedRecords = new WeakMap<MatchRecord, Prepared>();

function prepare(r: MatchRecord): Prepared {
  let p = preparedRecords.get(r);
  if (p) return p;
  const mrns = new Set<string>(r.mrn ? [r.mrn.trim()] : []);
  const bySystem = new Map<string, Set<string>>();
  for (const { system, value } of r.identifiers) {
    if (system === PREVIOUS_MRN_SYSTEM) mrns.add(value.trim());
    else bySystem.set(system, (bySystem.get(system) ?? new Set()).add(value.trim()));
  }
  p = {
    given: foldName(r.givenName),
    family: foldName(r.familyName),
    preferred: r.preferredName ? foldName(r.preferredName) : '',
    line: r.addressLine ? foldAddress(r.addressLine) : '',
    postal: r.postalCode ? foldPostal(r.postalCode) : '',
    phones: new Map(r.phones.filter(Boolean).map((v) => [phoneDigits(v), v])),
    emails: new Map(r.emails.filter(Boolean).map((v) => [v.trim().toLowerCase(), v])),
    mrns,
    bySystem,
  };
  preparedRecords.set(r, p);
  return p;
}

type NameAgreement = 'exact' | 'token' | 'nickname' | 'transposition' | 'typo' | 'typo2' | 'similar' | 'initial' | 'differ';

const GIVEN_WEIGHT: Record<NameAgreement, number> = {
  exact: 5, token: 4, nickname: 4, transposition: 4, typo: 3.5, typo2: 2.5, similar: 2.5, initial: 1.5, differ: -8,
};
const FAMILY_WEIGHT: Record<NameAgreement, number> = {
  exact: 6, token: 4.5, nickname: 4.5, transposition: 5, typo: 4.5, typo2: 3, similar: 3, initial: 0, differ: -3,
};

/** How two folded names relate, most alike first. */
export function compareNames(a: string, b: string): NameAgreement {
  if (!a || !b) return 'differ';
  if (a === b || a.replace(/ /g, '') === b.replace(/ /g, '')) return 'exact';
  const ta = a.split(' ');
  const tb = b.split(' ');
  if ((ta.length > 1 || tb.length > 1) && ta.some((t) => t.length > 1 && tb.includes(t))) return 'token';
  if (areNicknames(a, b)) return 'nickname';
  const distance = editDistance(a, b, 2);
  if (distance === 1 && isOneTransposition(a, b)) return 'transposition';
  if (distance === 1 && Math.min(a.length, b.length) >= 3) return 'typo';
  if (distance === 2 && Math.min(a.length, b.length) >= 6) return 'typo2';
  // Names spelled alike share their beginning (Jaro-Winkler rewards it); others are not worth the cost.
  if (a[0] === b[0] && Math.min(a.length, b.length) >= 4 && jaroWinkler(a, b) >= 0.93) return 'similar';
  if ((a.length === 1 || b.length === 1) && a[0] === b[0]) return 'initial';
  return 'differ';
}

function describeNames(which: 'given' | 'family', how: NameAgreement, a: string, b: string): string {
  switch (how) {
    case 'exact':
      return `same ${which} name ${a}`;
    case 'token':
      return `${which} names ${a} and ${b} share a name`;
    case 'nickname':
      return `${which} names ${a} and ${b} are one name and its short form`;
    case 'transposition':
      return `${which} names ${a} and ${b} differ by one transposition`;
    case 'typo':
      return `${which} names ${a} and ${b} differ by one letter`;
    case 'typo2':
      return `${which} names ${a} and ${b} differ by two letters`;
    case 'similar':
      return `${which} names ${a} and ${b} are spelled alike`;
    case 'initial':
      return `${which} name ${a.length === 1 ? b : a} matches the initial ${a.length === 1 ? a : b}`;
    case 'differ':
      return `different ${which} names (${a}, ${b})`;
  }
}

function scoreNames(a: MatchRecord, b: MatchRecord, reasons: MatchReason[]): { given: NameAgreement; family: NameAgreement } {
  const [pa, pb] = [prepare(a), prepare(b)];
  const [ga, gb, fa, fb] = [pa.given, pb.given, pa.family, pb.family];
  let given = compareNames(ga, gb);
  let family = compareNames(fa, fb);
  if (given === 'differ' && family === 'differ' && compareNames(ga, fb) === 'exact' && compareNames(fa, gb) === 'exact') {
    reasons.push({ field: 'given_name', detail: `given and family names swapped (${a.givenName} ${a.familyName}, ${b.givenName} ${b.familyName})`, weight: 9 });
    return { given: 'exact', family: 'exact' };
  }
  let givenDetail = describeNames('given', given, a.givenName, b.givenName);
  if (given === 'differ') {
    const viaPreferred = [[pa.preferred, gb], [ga, pb.preferred], [pa.preferred, pb.preferred]].find(([x, y]) => x && y && ['exact', 'nickname'].includes(compareNames(x!, y!)));
    if (viaPreferred) {
      given = 'nickname';
      givenDetail = `preferred name matches: ${viaPreferred[0]} / ${viaPreferred[1]}`;
    }
  }
  reasons.push({ field: 'given_name', detail: givenDetail, weight: GIVEN_WEIGHT[given] });
  if (family === 'initial') family = 'differ';
  reasons.push({ field: 'family_name', detail: describeNames('family', family, a.familyName, b.familyName), weight: FAMILY_WEIGHT[family] });
  return { given, family };
}

/** 'typo' is one wrong or two swapped digits; 'generation' the same, but ten or more years apart. */
type DateAgreement = 'exact' | 'swapped' | 'typo' | 'generation' | 'differ' | 'missing';

function scoreBirthDates(a?: string | null, b?: string | null): { how: DateAgreement; reason?: MatchReason } {
  if (!a || !b) return { how: 'missing' };
  const field = 'birth_date';
  if (a === b) return { how: 'exact', reason: { field, detail: `same date of birth ${a}`, weight: 9 } };
  const [ya, ma, da] = a.split('-');
  const [yb, mb, db] = b.split('-');
  if (ya === yb && ma === db && da === mb) {
    return { how: 'swapped', reason: { field, detail: `dates of birth ${a} and ${b} have day and month swapped`, weight: 5 } };
  }
  const years = Math.abs(Number(ya) - Number(yb));
  const digitsA = a.replace(/-/g, '');
  const digitsB = b.replace(/-/g, '');
  let differing = 0;
  for (let i = 0; i < digitsA.length; i++) if (digitsA[i] !== digitsB[i]) differing++;
  const typo = differing === 1 ? 'differ by one digit' : isOneTransposition(digitsA, digitsB) ? 'differ by two swapped digits' : undefined;
  if (typo && years >= 10) {
    // A slip of the decade digit, or a parent and child with one birthday: not for a clear match.
    return { how: 'generation', reason: { field, detail: `dates of birth ${a} and ${b} ${typo}, ${years} years apart`, weight: 1 } };
  }
  if (typo) return { how: 'typo', reason: { field, detail: `dates of birth ${a} and ${b} ${typo}`, weight: differing === 1 ? 4.5 : 3.5 } };
  if (years >= 12) return { how: 'differ', reason: { field, detail: `born ${years} years apart (${a}, ${b})`, weight: -12 } };
  return { how: 'differ', reason: { field, detail: `different dates of birth (${a}, ${b})`, weight: -7 } };
}

function scoreShared(field: 'phone' | 'email', a: Map<string, string>, b: Map<string, string>): MatchReason | undefined {
  if (!a.size || !b.size) return undefined;
  for (const [k, v] of a) if (k && b.has(k)) return { field, detail: `same ${field} ${v}`, weight: field === 'email' ? 8 : 6 };
  return { field, detail: `no ${field} in common`, weight: -1 };
}

const STREET_WORDS: Record<string, string> = {
  street: 'st', avenue: 'ave', av: 'ave', road: 'rd', drive: 'dr', lane: 'ln', boulevard: 'blvd', court: 'ct',
  place: 'pl', terrace: 'ter', circle: 'cir', highway: 'hwy', parkway: 'pkwy', square: 'sq', apartment: 'apt',
  suite: 'ste', unit: 'apt', north: 'n', south: 's', east: 'e', west: 'w', number: '', no: '',
};
const foldAddress = (line: string) =>
  foldName(line)
    .split(' ')
    .map((w) => STREET_WORDS[w] ?? w)
    .filter(Boolean)
    .join(' ');
const foldPostal = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 5);

function scoreAddress(a: MatchRecord, b: MatchRecord): MatchReason | undefined {
  const [{ line: la, postal: pa }, { line: lb, postal: pb }] = [prepare(a), prepare(b)];
  const samePostal = Boolean(pa && pa === pb);
  if (la && la === lb) {
    if (samePostal) return { field: 'address', detail: `same address ${a.addressLine}, ${a.postalCode}`, weight: 4 };
    if (!pa || !pb) return { field: 'address', detail: `same street address ${a.addressLine}`, weight: 3 };
    return { field: 'address', detail: `same street address ${a.addressLine} in different postal codes`, weight: 1 };
  }
  if (samePostal) return { field: 'address', detail: `same postal code ${a.postalCode}`, weight: 1 };
  if (la && lb) return { field: 'address', detail: 'different addresses', weight: -0.5 };
  return undefined;
}

function scoreIdentifiers(a: MatchRecord, b: MatchRecord, reasons: MatchReason[]): { decisive: boolean; conflict: boolean } {
  const ia = prepare(a);
  const ib = prepare(b);
  let decisive = false;
  let conflict = false;
  const mrn = [...ia.mrns].find((m) => ib.mrns.has(m));
  if (mrn) {
    reasons.push({ field: 'mrn', detail: `same MRN ${mrn}`, weight: 20 });
    decisive = true;
  }
  for (const [system, valuesA] of ia.bySystem) {
    const valuesB = ib.bySystem.get(system);
    if (!valuesB) continue;
    const same = [...valuesA].find((v) => valuesB.has(v));
    if (same) {
      reasons.push({ field: 'identifier', detail: `same identifier ${system} ${same}`, weight: 20 });
      decisive = true;
    } else {
      reasons.push({ field: 'identifier', detail: `different ${system} identifiers (${[...valuesA][0]}, ${[...valuesB][0]})`, weight: -10 });
      conflict = true;
    }
  }
  return { decisive, conflict };
}

const logistic = (w: number) => 1 / (1 + Math.exp(-(w - CENTRE) / SPREAD));
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** The match score of two records, with every piece of evidence that went into it. */
export function scorePair(a: MatchRecord, b: MatchRecord): MatchScore {
  const reasons: MatchReason[] = [];
  const names = scoreNames(a, b, reasons);
  const birth = scoreBirthDates(a.birthDate, b.birthDate);
  if (birth.reason) reasons.push(birth.reason);
  if (birth.how === 'exact' && names.given === 'differ' && names.family !== 'differ') {
    // Living together explains the shared family name, address and phone; a twin explains the rest.
    reasons.push({ field: 'given_name', detail: 'same birth date and family name with a different given name: possibly twins', weight: -8 });
  }
  const phone = scoreShared('phone', prepare(a).phones, prepare(b).phones);
  const email = scoreShared('email', prepare(a).emails, prepare(b).emails);
  const address = scoreAddress(a, b);
  for (const r of [phone, email, address]) if (r) reasons.push(r);
  const ids = scoreIdentifiers(a, b, reasons);
  const sexes = [a.sex, b.sex];
  if (sexes.every((s) => s === 'female' || s === 'male') && a.sex !== b.sex) {
    reasons.push({ field: 'sex', detail: `sex differs (${a.sex}, ${b.sex})`, weight: -6 });
  }

  const total = reasons.reduce((sum, r) => sum + r.weight, 0);
  let score = round4(logistic(total));
  const clearAllowed = names.given !== 'differ' && birth.how !== 'differ' && birth.how !== 'generation' && !ids.conflict;
  if (ids.decisive) score = Math.max(score, CLEAR_THRESHOLD);
  else if (!clearAllowed) score = Math.min(score, CAPPED_SCORE);
  const level: MatchLevel = score >= CLEAR_THRESHOLD ? 'clear' : score >= LIKELY_THRESHOLD ? 'likely' : 'none';
  reasons.sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight));
  return { score, level, reasons };
}
