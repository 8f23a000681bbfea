import rrule from 'rrule';
import { DateTime } from 'luxon';
import { AppError } from '../../server/errors.ts';

const { RRule, Frequency } = rrule;

export const MAX_OCCURRENCES = 52;

const invalid = (message: string) =>
  new AppError(400, 'validation_failed', `Invalid request: rrule ${message}`, [{ path: 'rrule', message }]);

/**
 * The start of every occurrence of an RFC 5545 recurrence rule (the RRULE value, for example
 * "FREQ=WEEKLY;COUNT=6") beginning at `first`, repeated at the same wall-clock time in `zone`:
 * a weekly 09:00 visit stays at 09:00 across a daylight saving change. The rule is expanded on
 * floating times (rrule's documented way to stay clear of the process's own zone) and each is then
 * placed in `zone`. The rule must end (COUNT or UNTIL) within MAX_OCCURRENCES occurrences.
 */
export function occurrences(ruleText: string, first: Date, zone: string): Date[] {
  const text = ruleText.trim().replace(/^RRULE:/i, '');
  if (!/^[A-Z]+=[^;]+(;[A-Z]+=[^;]+)*$/i.test(text)) throw invalid('is not an RRULE such as "FREQ=WEEKLY;COUNT=6"');
  if (/(^|;)(DTSTART|TZID)=/i.test(text)) throw invalid('takes its start from startsAt; leave DTSTART and TZID out');
  let options;
  try {
    options = RRule.parseString(text);
  } catch (error) {
    throw invalid(`cannot be read: ${(error as Error).message}`);
  }
  if (options.freq === undefined) throw invalid('needs FREQ');
  if (![Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY].includes(options.freq)) throw invalid('FREQ must be DAILY, WEEKLY or MONTHLY');
  if (!options.count && !options.until) throw invalid('must end: give COUNT or UNTIL');
  if (options.count && options.count > MAX_OCCURRENCES) throw invalid(`COUNT may be at most ${MAX_OCCURRENCES}`);
  const local = DateTime.fromJSDate(first, { zone });
  // Floating: the local wall-clock fields written as if they were UTC.
  const dtstart = new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));
  const untilText = /(?:^|;)UNTIL=([^;]+)/i.exec(text)?.[1];
  const rule = new RRule({ ...options, dtstart, ...(options.until ? { until: floatingUntil(options.until, untilText ?? '', zone) } : {}) });
  const floating = rule.all((_, i) => i < MAX_OCCURRENCES + 1);
  if (floating.length > MAX_OCCURRENCES) throw invalid(`gives more than ${MAX_OCCURRENCES} occurrences`);
  if (floating.length === 0) throw invalid('gives no occurrence');
  return floating.map((f) =>
    DateTime.fromObject(
      { year: f.getUTCFullYear(), month: f.getUTCMonth() + 1, day: f.getUTCDate(), hour: f.getUTCHours(), minute: f.getUTCMinutes(), second: f.getUTCSeconds() },
      { zone },
    ).toJSDate(),
  );
}

/**
 * UNTIL as a floating time: a date alone includes that whole local day; a UTC instant ("...Z") is
 * turned into the wall clock in `zone`.
 */
function floatingUntil(until: Date, text: string, zone: string): Date {
  if (/^\d{8}$/.test(text)) return new Date(Date.UTC(until.getUTCFullYear(), until.getUTCMonth(), until.getUTCDate(), 23, 59, 59));
  const local = DateTime.fromJSDate(until, { zone });
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));
}
