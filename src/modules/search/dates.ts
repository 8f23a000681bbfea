/**
 * Dates of birth as people type them into a search box. Numeric dates are read month first, as in
 * the United States (the tenants' default), unless the first number cannot be a month (25/12/1984).
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = String.raw`(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`;
const DAY = String.raw`(\d{1,2})(?:st|nd|rd|th)?`;
const SEP = String.raw`[\s,/-]+`;

type Reader = { pattern: RegExp; read(m: RegExpMatchArray): { y: string; m: string | number; d: string } | null };

const READERS: Reader[] = [
  // 1984-03-07, 1984/3/7
  { pattern: /(?<![\d/.-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/.-])/g, read: (m) => ({ y: m[1]!, m: m[2]!, d: m[3]! }) },
  // 03/07/1984, 3/7/84, 03-07-1984, 03.07.1984: month first unless the first number is over 12
  {
    pattern: /(?<![\d/.-])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.-])/g,
    read: (m) => (Number(m[1]) > 12 ? { y: m[4]!, m: m[3]!, d: m[1]! } : { y: m[4]!, m: m[1]!, d: m[3]! }),
  },
  // 7 Mar 1984, 7th March, 1984, 07-Mar-1984
  {
    pattern: new RegExp(String.raw`\b${DAY}${SEP}${MONTH}${SEP}(\d{4}|\d{2})\b`, 'gi'),
    read: (m) => ({ y: m[3]!, m: monthNumber(m[2]!), d: m[1]! }),
  },
  // March 7 1984, Mar 7th, 1984
  {
    pattern: new RegExp(String.raw`\b${MONTH}${SEP}${DAY}${SEP}(\d{4}|\d{2})\b`, 'gi'),
    read: (m) => ({ y: m[3]!, m: monthNumber(m[1]!), d: m[2]! }),
  },
];

function monthNumber(name: string): number {
  return MONTHS.indexOf(name.slice(0, 3).toLowerCase()) + 1;
}

/**
 * A calendar date as 'YYYY-MM-DD' when it exists and is not after `today` ('YYYY-MM-DD'); a
 * two-digit year is the latest year ending in those digits that is not in the future.
 */
export function toIsoDate(year: string, month: string | number, day: string, today: string): string | null {
  const thisYear = Number(today.slice(0, 4));
  let y = Number(year);
  if (year.length === 2) {
    y += Math.floor(thisYear / 100) * 100;
    if (y > thisYear) y -= 100;
  }
  const m = Number(month);
  const d = Number(day);
  if (!Number.isInteger(y) || y < 1850 || m < 1 || m > 12 || d < 1 || d > 31) return null;
  const probe = new Date(Date.UTC(y, m - 1, d));
  if (probe.getUTCMonth() !== m - 1 || probe.getUTCDate() !== d) return null;
  const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return iso <= today ? iso : null;
}

export type FoundDates = { dates: string[]; rest: string };

/**
 * Takes every date out of a search: the ISO dates found, and the text that is left with each
 * date replaced by a space. Something shaped like a date that is not one (13/45/1984) is left in
 * the text.
 */
export function extractDates(text: string, today: string): FoundDates {
  const dates: string[] = [];
  let rest = text;
  for (const reader of READERS) {
    let kept = '';
    let from = 0;
    for (const match of rest.matchAll(reader.pattern)) {
      const parts = reader.read(match);
      const iso = parts ? toIsoDate(parts.y, parts.m, parts.d, today) : null;
      if (!iso) continue;
      if (!dates.includes(iso)) dates.push(iso);
      kept += `${rest.slice(from, match.index)} `;
      from = match.index + match[0].length;
    }
    rest = kept + rest.slice(from);
  }
  return { dates, rest };
}
