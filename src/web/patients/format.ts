/** Display formatting for patient data, in the browser's locale. */

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** Parses YYYY-MM-DD without going through a time zone (a birth date is not an instant). */
export function parseCalendarDate(value: string): CalendarDate | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const [, y, m, d] = match;
  const date = { year: Number(y), month: Number(m), day: Number(d) };
  if (date.month < 1 || date.month > 12 || date.day < 1 || date.day > 31) return null;
  return date;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

export function formatCalendarDate(value: string): string {
  const date = parseCalendarDate(value);
  if (!date) return value;
  return dateFormat.format(new Date(Date.UTC(date.year, date.month - 1, date.day)));
}

/** Whole months between a birth date and today (local calendar). */
function ageInMonths(birth: CalendarDate, today: Date): number {
  let months = (today.getFullYear() - birth.year) * 12 + (today.getMonth() + 1 - birth.month);
  if (today.getDate() < birth.day) months -= 1;
  return months;
}

/** "42 y", or "8 mo" for children under two, as clinics count them; null if unknown. */
export function formatAge(birthDate: string, today: Date = new Date()): string | null {
  const birth = parseCalendarDate(birthDate);
  if (!birth) return null;
  const months = ageInMonths(birth, today);
  if (months < 0) return null;
  if (months < 24) return `${months} mo`;
  return `${Math.floor(months / 12)} y`;
}

const timeParts = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' } as const;
const thisYearFormat = new Intl.DateTimeFormat(undefined, timeParts);
const otherYearFormat = new Intl.DateTimeFormat(undefined, { ...timeParts, year: 'numeric' });

/** "Tue, 14 Jan, 09:30"; the year is added only when it is not this year. */
export function formatInstant(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (date.getFullYear() === now.getFullYear() ? thisYearFormat : otherYearFormat).format(date);
}

const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "today", "tomorrow", "in 5 days" — calendar days in the browser's zone. */
export function formatDaysFromNow(iso: string, now: Date = new Date()): string | null {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const startOf = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((startOf(date) - startOf(now)) / 86_400_000);
  return relativeFormat.format(days, 'day');
}

/** "Lima, Ana": family name first, as lists in clinics are sorted. */
export function formatListName(patient: { givenName: string; familyName: string }): string {
  const family = patient.familyName.trim();
  const given = patient.givenName.trim();
  if (family && given) return `${family}, ${given}`;
  return family || given || 'Unnamed patient';
}

/** "Ana Lima": given name first, as people are addressed. */
export function formatFullName(patient: { givenName: string; familyName: string }): string {
  return `${patient.givenName.trim()} ${patient.familyName.trim()}`.trim() || 'Unnamed patient';
}

/** "+1 413-555-0188" for North American numbers in E.164; other numbers as stored. */
export function formatPhone(e164: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return nanp ? `+1 ${nanp[1]}-${nanp[2]}-${nanp[3]}` : e164;
}

const languageNames = new Intl.DisplayNames(undefined, { type: 'language' });

/** "Spanish (Mexico)" for "es-MX"; the tag itself when the browser does not know it. */
export function languageName(tag: string): string {
  try {
    return languageNames.of(tag) ?? tag;
  } catch {
    return tag;
  }
}

const SEX_LABELS: Record<string, string> = { female: 'Female', male: 'Male', other: 'Other', unknown: 'Unknown' };

export function sexLabel(sex: string): string {
  return SEX_LABELS[sex] ?? sex;
}

const CHANNEL_LABELS: Record<string, string> = { sms: 'Text message', email: 'Email', phone: 'Phone call', portal: 'Portal message', mail: 'Letter' };

export function channelLabel(channel: string): string {
  return CHANNEL_LABELS[channel] ?? channel;
}

const agoFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' });

/** "5 minutes ago", "yesterday", "3 weeks ago": for when something happened. */
export function formatAgo(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3600) return agoFormat.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return agoFormat.format(Math.round(seconds / 3600), 'hour');
  if (abs < 7 * 86_400) return agoFormat.format(Math.round(seconds / 86_400), 'day');
  if (abs < 60 * 86_400) return agoFormat.format(Math.round(seconds / (7 * 86_400)), 'week');
  if (abs < 365 * 86_400) return agoFormat.format(Math.round(seconds / (30 * 86_400)), 'month');
  return agoFormat.format(Math.round(seconds / (365 * 86_400)), 'year');
}

/** "MRN 0012345", or the MRN alone when it already says so ("MRN0100001"). */
export function formatMrn(mrn: string): string {
  return /^mrn/i.test(mrn) ? mrn : `MRN ${mrn}`;
}
