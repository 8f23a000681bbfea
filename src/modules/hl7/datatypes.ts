import { DateTime } from 'luxon';
import type { HL7Node } from 'node-hl7-client';
import { normalizeEmail, toE164 } from '../patients/normalize.ts';
import { part } from './parse.ts';

/**
 * HL7 v2 data types turned into Rapport's values: timestamps (DTM/TS), names (XPN), identifiers
 * (CX), addresses (XAD), telecoms (XTN), coded values. Pure functions; what cannot be used is
 * returned as null so the caller can report it as a warning instead of failing the message.
 */

const DTM = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;

/**
 * An HL7 timestamp as an instant. Without an offset it is read in `zone` (the clinic's zone): HL7
 * lets a sender leave the offset out, and then it means the sender's local time.
 */
export function parseTimestamp(text: string, zone: string): Date | null {
  const m = DTM.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, offset] = m;
  const opts = offset ? { zone: `UTC${offset.slice(0, 3)}:${offset.slice(3)}` } : { zone };
  const dt = DateTime.fromObject(
    {
      year: Number(y),
      month: Number(mo ?? 1),
      day: Number(d ?? 1),
      hour: Number(h ?? 0),
      minute: Number(mi ?? 0),
      second: Number(s ?? 0),
      millisecond: frac ? Math.round(Number(`0.${frac}`) * 1000) : 0,
    },
    opts,
  );
  return dt.isValid ? dt.toJSDate() : null;
}

/** The calendar date an HL7 date or timestamp names, as YYYY-MM-DD (a birth date has no zone). */
export function parseDate(text: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(text.trim());
  if (!m) return null;
  const iso = `${m[1]}-${m[2]}-${m[3]}`;
  return DateTime.fromISO(iso).isValid ? iso : null;
}

/** Administrative sex (table 0001) to Rapport's sex. */
export function mapSex(code: string): 'female' | 'male' | 'other' | 'unknown' | null {
  switch (code.toUpperCase()) {
    case 'F':
      return 'female';
    case 'M':
      return 'male';
    case 'O':
    case 'A':
    case 'X':
      return 'other';
    case 'U':
    case 'N':
      return 'unknown';
    default:
      return null;
  }
}

export type PersonName = { family: string; given: string; middle: string; prefix: string; type: string };

/** An XPN repetition: family name (its surname subcomponent), given, middle, prefix, name type. */
export function personName(rep: HL7Node): PersonName {
  return { family: part(rep, 1), given: part(rep, 2), middle: part(rep, 3), prefix: part(rep, 5), type: part(rep, 7).toUpperCase() };
}

/** The legal name (type L) when it has a family and given name, else the first that has both. */
export function chooseName(names: PersonName[]): PersonName | null {
  const complete = names.filter((n) => n.family && n.given);
  return complete.find((n) => n.type === 'L') ?? complete[0] ?? null;
}

export type ExternalIdentifier = { system: string; value: string; type: string };

/**
 * A CX identifier: the value and a system naming its assigning authority (CX-4: an ISO OID as
 * urn:oid:..., else the namespace id, else the universal id), or `fallbackSystem` (the sender)
 * when CX-4 is empty.
 */
export function identifier(rep: HL7Node, fallbackSystem: string): ExternalIdentifier | null {
  const value = part(rep, 1);
  if (!value) return null;
  const namespace = part(rep, 4, 1);
  const universal = part(rep, 4, 2);
  const universalType = part(rep, 4, 3).toUpperCase();
  const system =
    universal && universalType === 'ISO' && /^\d+(\.\d+)+$/.test(universal)
      ? `urn:oid:${universal}`
      : namespace || universal || fallbackSystem;
  return { system: system.slice(0, 200), value: value.slice(0, 200), type: part(rep, 5).toUpperCase() };
}

export type Address = { line: string | null; city: string | null; region: string | null; postalCode: string | null; country: string | null };

/** An XAD repetition; the street is XAD-1's subcomponents joined ("1000" and "Hospital Lane") plus XAD-2. */
export function address(rep: HL7Node): { address: Address; unknownCountry: string | null } {
  const street = [1, 2, 3].map((s) => part(rep, 1, s)).filter(Boolean).join(' ');
  const line = [street, part(rep, 2)].filter(Boolean).join(', ');
  const rawCountry = part(rep, 6);
  const country = countryCode(rawCountry);
  const orNull = (s: string) => (s ? s.slice(0, 200) : null);
  return {
    address: {
      line: orNull(line),
      city: orNull(part(rep, 3).slice(0, 100)),
      region: orNull(part(rep, 4).slice(0, 100)),
      postalCode: orNull(part(rep, 5).slice(0, 20)),
      country,
    },
    unknownCountry: rawCountry && !country ? rawCountry : null,
  };
}

export type Telecom = { kind: 'phone'; value: string; use: 'home' | 'work' | 'mobile' | 'other' } | { kind: 'email'; value: string; use: 'home' | 'work' | 'mobile' | 'other' };

/**
 * An XTN repetition as a phone (E.164) or an email. XTN-2 use (PRN home, WPN work, NET email),
 * XTN-3 equipment (CP mobile, Internet email); the number from XTN-12, else XTN-5/6/7, else XTN-1.
 * Null when nothing in it is a valid number or address; `raw` says what was there.
 */
export function telecom(rep: HL7Node, defaultUse: 'home' | 'work'): { telecom: Telecom | null; raw: string } {
  const useCode = part(rep, 2).toUpperCase();
  const equipment = part(rep, 3).toUpperCase();
  const use = equipment === 'CP' || equipment === 'BP' ? 'mobile' : useCode === 'WPN' ? 'work' : useCode === 'PRN' ? 'home' : useCode ? 'other' : defaultUse;
  const email = part(rep, 4);
  if (useCode === 'NET' || equipment === 'INTERNET' || equipment === 'X.400' || email) {
    const normalized = email ? normalizeEmail(email) : null;
    if (normalized) return { telecom: { kind: 'email', value: normalized, use: use === 'mobile' ? 'home' : use }, raw: email };
    if (useCode === 'NET' || equipment === 'INTERNET') return { telecom: null, raw: email || part(rep, 1) };
  }
  const composed = [part(rep, 5) ? `+${part(rep, 5).replace(/^\+/, '')}` : '', part(rep, 6), part(rep, 7)].join('');
  const candidates = [part(rep, 12), composed, part(rep, 1)].filter((c) => c && /\d/.test(c));
  for (const candidate of candidates) {
    const e164 = toE164(candidate);
    if (e164) return { telecom: { kind: 'phone', value: e164, use }, raw: candidate };
  }
  return { telecom: null, raw: candidates[0] ?? email };
}

/** A language code (ISO 639-1 or -2, as HL7 table 0296 uses) as a BCP 47 tag: "ara" becomes "ar". */
export function languageTag(code: string): string | null {
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(code)) return null;
  try {
    return Intl.getCanonicalLocales(code)[0] ?? null;
  } catch {
    return null;
  }
}

// ISO 3166-1 alpha-3 followed by alpha-2, five letters a country.
const ALPHA3_TO_ALPHA2 =
  'ANDADAREAEAFGAFATGAGAIAAIALBALARMAMAGOAOATAAQARGARASMASAUTATAUSAUABWAWALAAXAZEAZBIHBABRBBBBGDBDBELBEBFABFBGRBGBHRBHBDIBIBENBJBLMBLBMUBMBRNBNBOLBOBESBQBRABRBHSBSBTNBTBVTBVBWABWBLRBYBLZBZCANCACCKCCCODCDCAFCFCOGCGCHECHCIVCICOKCKCHLCLCMRCMCHNCNCOLCOCRICRCUBCUCPVCVCUWCWCXRCXCYPCYCZECZDEUDEDJIDJDNKDKDMADMDOMDODZADZECUECESTEEEGYEGESHEHERIERESPESETHETFINFIFJIFJFLKFKFSMFMFROFOFRAFRGABGAGBRGBGRDGDGEOGEGUFGFGGYGGGHAGHGIBGIGRLGLGMBGMGINGNGLPGPGNQGQGRCGRSGSGSGTMGTGUMGUGNBGWGUYGYHKGHKHMDHMHNDHNHRVHRHTIHTHUNHUIDNIDIRLIEISRILIMNIMINDINIOTIOIRQIQIRNIRISLISITAITJEYJEJAMJMJORJOJPNJPKENKEKGZKGKHMKHKIRKICOMKMKNAKNPRKKPKORKRKWTKWCYMKYKAZKZLAOLALBNLBLCALCLIELILKALKLBRLRLSOLSLTULTLUXLULVALVLBYLYMARMAMCOMCMDAMDMNEMEMAFMFMDGMGMHLMHMKDMKMLIMLMMRMMMNGMNMACMOMNPMPMTQMQMRTMRMSRMSMLTMTMUSMUMDVMVMWIMWMEXMXMYSMYMOZMZNAMNANCLNCNERNENFKNFNGANGNICNINLDNLNORNONPLNPNRUNRNIUNUNZLNZOMNOMPANPAPERPEPYFPFPNGPGPHLPHPAKPKPOLPLSPMPMPCNPNPRIPRPSEPSPRTPTPLWPWPRYPYQATQAREUREROUROSRBRSRUSRURWARWSAUSASLBSBSYCSCSDNSDSWESESGPSGSHNSHSVNSISJMSJSVKSKSLESLSMRSMSENSNSOMSOSURSRSSDSSSTPSTSLVSVSXMSXSYRSYSWZSZTCATCTCDTDATFTFTGOTGTHATHTJKTJTKLTKTLSTLTKMTMTUNTNTONTOTURTRTTOTTTUVTVTWNTWTZATZUKRUAUGAUGUMIUMUSAUSURYUYUZBUZVATVAVCTVCVENVEVGBVGVIRVIVNMVNVUTVUWLFWFWSMWSYEMYEMYTYTZAFZAZMBZMZWEZW';
const COUNTRIES = new Map(Array.from({ length: ALPHA3_TO_ALPHA2.length / 5 }, (_, i) => [ALPHA3_TO_ALPHA2.slice(i * 5, i * 5 + 3), ALPHA3_TO_ALPHA2.slice(i * 5 + 3, i * 5 + 5)]));
const ALPHA2 = new Set(COUNTRIES.values());

/** An ISO 3166 country code, alpha-3 (as HL7 uses) or alpha-2, as alpha-2; null when unknown. */
export function countryCode(code: string): string | null {
  const c = code.trim().toUpperCase();
  if (c.length === 3) return COUNTRIES.get(c) ?? null;
  if (c.length === 2) return ALPHA2.has(c) ? c : null;
  return null;
}
