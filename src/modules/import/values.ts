import type { CustomFieldType } from '../../server/db/types.ts';

/** Turning spreadsheet cells into the values the patient API takes; each returns a value or a problem. */

export const DATE_FORMATS = ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export type Converted<T> = { value: T } | { problem: string };

const pad = (n: number) => String(n).padStart(2, '0');

function realDate(year: number, month: number, day: number): string | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/**
 * A date as YYYY-MM-DD. ISO dates are always accepted; `format` says how to read slashed dates
 * (03/04/1990 is 4 March in MM/DD/YYYY, 3 April in DD/MM/YYYY). Dots and dashes work as slashes.
 */
export function convertDate(raw: string, format: DateFormat): Converted<string> {
  const s = raw.trim();
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  const slashed = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(s);
  const expected = format === 'YYYY-MM-DD' ? 'YYYY-MM-DD' : `${format} or YYYY-MM-DD`;
  let date: string | null = null;
  if (iso) date = realDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  else if (slashed && format !== 'YYYY-MM-DD') {
    if (slashed[3]!.length === 2) return { problem: `has a two-digit year; write the year in full (${expected})` };
    const [a, b, year] = [Number(slashed[1]), Number(slashed[2]), Number(slashed[3])];
    date = format === 'MM/DD/YYYY' ? realDate(year, a, b) : realDate(year, b, a);
  }
  return date ? { value: date } : { problem: `is not a real date in the format ${expected}` };
}

const SEXES: Record<string, 'female' | 'male' | 'other' | 'unknown'> = {
  f: 'female',
  female: 'female',
  woman: 'female',
  m: 'male',
  male: 'male',
  man: 'male',
  o: 'other',
  other: 'other',
  x: 'other',
  u: 'unknown',
  unknown: 'unknown',
  unk: 'unknown',
};

export function convertSex(raw: string): Converted<'female' | 'male' | 'other' | 'unknown'> {
  const value = SEXES[raw.trim().toLowerCase()];
  return value ? { value } : { problem: 'must be female, male, other or unknown (F, M, O, U)' };
}

const CHANNELS: Record<string, 'sms' | 'email' | 'phone' | 'portal' | 'mail'> = {
  sms: 'sms',
  text: 'sms',
  email: 'email',
  'e-mail': 'email',
  phone: 'phone',
  call: 'phone',
  portal: 'portal',
  mail: 'mail',
  post: 'mail',
  letter: 'mail',
};

export function convertChannel(raw: string): Converted<'sms' | 'email' | 'phone' | 'portal' | 'mail'> {
  const value = CHANNELS[raw.trim().toLowerCase()];
  return value ? { value } : { problem: 'must be sms, email, phone, portal or mail' };
}

/** Tags in one cell, separated by semicolons or vertical bars. */
export function splitTags(raw: string): string[] {
  return raw
    .split(/[;|]/)
    .map((t) => t.trim())
    .filter(Boolean);
}

/** Two-letter country codes are upper-cased ("us" -> "US"); anything else goes on for the API to judge. */
export function convertCountry(raw: string): string {
  const s = raw.trim();
  return /^[A-Za-z]{2}$/.test(s) ? s.toUpperCase() : s;
}

/**
 * A custom field value typed as the field is: numbers as numbers, dates read like birth dates,
 * choices matched regardless of case. A field the clinic does not have is passed on as text, so
 * the API's own check names it.
 */
export function convertCustomValue(
  raw: string,
  def: { type: CustomFieldType; choices: string[] | null } | undefined,
  format: DateFormat,
): Converted<string | number> {
  const s = raw.trim();
  if (!def) return { value: s };
  switch (def.type) {
    case 'number': {
      // No thousands separators: "1,5" is one and a half in much of the world, fifteen in the rest.
      return /^-?\d+(\.\d+)?$/.test(s) ? { value: Number(s) } : { problem: 'must be a number such as 12 or 3.5' };
    }
    case 'date':
      return convertDate(s, format);
    case 'choice': {
      const choice = (def.choices ?? []).find((c) => c.toLowerCase() === s.toLowerCase());
      return choice ? { value: choice } : { problem: `must be one of ${(def.choices ?? []).join(', ')}` };
    }
    case 'text':
      return { value: s };
  }
}

const CONSENT: Record<string, 'granted' | 'withdrawn'> = Object.fromEntries([
  ...['yes', 'y', 'true', '1', 'x', 'optin', 'optedin', 'granted'].map((w) => [w, 'granted'] as const),
  ...['no', 'n', 'false', '0', 'optout', 'optedout', 'withdrawn'].map((w) => [w, 'withdrawn'] as const),
]);

/** A consent cell: yes, y, true, 1, X, opt-in, granted; or no, n, false, 0, opt-out, withdrawn (any case, spaces and dashes aside). */
export function convertConsent(raw: string): Converted<'granted' | 'withdrawn'> {
  const value = CONSENT[raw.trim().toLowerCase().replace(/[\s_-]/g, '')];
  return value ? { value } : { problem: 'must be yes or no (also Y/N, true/false, 1/0, X, opt-in/opt-out, granted/withdrawn)' };
}
