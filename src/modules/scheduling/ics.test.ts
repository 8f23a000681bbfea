import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import ICAL from 'ical.js';
import type { AppointmentStatus } from '../../server/db/types.ts';
import { appointmentCalendar, calendarZone, type CalendarAppointment, type CalendarOptions } from './ics.ts';
import { parseIcs, prop, value, type Component, type Prop } from '../../../test/helpers/ics.ts';

const events = (cal: Component) => cal.children.filter((c) => c.name === 'VEVENT');
const zones = (cal: Component) => cal.children.filter((c) => c.name === 'VTIMEZONE');
/** TEXT values come escaped (RFC 5545, 3.3.11). */
const unescape = (text: string) => text.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));

/** 'YYYYMMDDTHHMMSS' as milliseconds, reading the wall-clock fields as if they were UTC. */
function wallMs(v: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$/.exec(v);
  assert.ok(m, `a DATE-TIME: ${v}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

const offsetMs = (v: string) => {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(v);
  assert.ok(m, `a UTC offset: ${v}`);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
};

/** The local onsets of a STANDARD or DAYLIGHT rule in one year (yearly BYMONTH/BYDAY=nSU rules). */
function onsets(rule: Component, year: number): number[] {
  const start = value(rule, 'DTSTART')!;
  const rrule = value(rule, 'RRULE');
  if (!rrule) return [wallMs(start)];
  const parts = Object.fromEntries(rrule.split(';').map((p) => p.split('=') as [string, string]));
  assert.equal(parts.FREQ, 'YEARLY');
  const byDay = /^(-?\d)SU$/.exec(parts.BYDAY ?? '');
  assert.ok(byDay, `a BYDAY this reader knows: ${rrule}`);
  const month = Number(parts.BYMONTH) - 1;
  const nth = Number(byDay[1]);
  const sundays: number[] = [];
  for (let day = 1; day <= 31; day++) {
    const date = new Date(Date.UTC(year, month, day));
    if (date.getUTCMonth() === month && date.getUTCDay() === 0) sundays.push(day);
  }
  const day = nth > 0 ? sundays[nth - 1]! : sundays[sundays.length + nth]!;
  const time = wallMs(start) - wallMs(`${start.slice(0, 8)}T000000`);
  return [Date.UTC(year, month, day) + time];
}

/** The instant a DTSTART with TZID means, as a calendar app derives it from the file's VTIMEZONE. */
function instantOf(cal: Component, dt: Prop): number {
  if (dt.value.endsWith('Z')) return wallMs(dt.value);
  const tz = zones(cal).find((z) => value(z, 'TZID') === dt.params.TZID);
  assert.ok(tz, `a VTIMEZONE for ${dt.params.TZID}`);
  const local = wallMs(dt.value);
  const year = new Date(local).getUTCFullYear();
  let latest: { at: number; offset: number } | null = null;
  for (const rule of tz.children) {
    for (const y of [year - 1, year]) {
      for (const at of onsets(rule, y)) {
        if (at <= local && (!latest || at > latest.at)) latest = { at, offset: offsetMs(value(rule, 'TZOFFSETTO')!) };
      }
    }
  }
  assert.ok(latest, 'a rule in force');
  return local - latest.offset;
}

let counter = 0;
function appointment(startsAt: string, zone: string, extra: Partial<CalendarAppointment> = {}): CalendarAppointment {
  counter += 1;
  const start = new Date(startsAt);
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    version: 1,
    status: 'booked',
    startsAt: start,
    endsAt: new Date(start.getTime() + 45 * 60_000),
    serviceName: 'Physiotherapy',
    practitionerName: 'Dr Rosa Vale',
    patientName: 'Ada Moss',
    location: { name: 'Main Street', address: '1 Main St, 10001 Springfield', phone: '+15555550123', timeZone: zone },
    createdAt: new Date('2026-01-02T10:00:00Z'),
    updatedAt: new Date('2026-01-03T11:30:00Z'),
    ...extra,
  };
}

const feed: CalendarOptions = { audience: 'practitioner', feed: { name: 'Dr Rosa Vale - Main Street', refreshMinutes: 15, publishedAt: new Date('2026-02-01T08:00:00Z') } };
const download: CalendarOptions = { audience: 'patient' };

/** Around each zone's spring and autumn changes in 2026: before, the day of (after the change), the day after. */
const DST_CASES: Array<{ zone: string; instants: string[]; local: Record<string, string> }> = [
  {
    zone: 'America/New_York',
    instants: ['2026-03-07T15:00:00Z', '2026-03-08T15:00:00Z', '2026-03-09T14:00:00Z', '2026-10-31T14:00:00Z', '2026-11-01T15:00:00Z', '2026-11-02T15:00:00Z'],
    local: { '2026-03-07T15:00:00Z': '20260307T100000', '2026-03-09T14:00:00Z': '20260309T100000', '2026-11-02T15:00:00Z': '20261102T100000' },
  },
  {
    zone: 'Europe/Berlin',
    instants: ['2026-03-28T08:00:00Z', '2026-03-29T07:00:00Z', '2026-03-30T07:00:00Z', '2026-10-24T07:00:00Z', '2026-10-25T08:00:00Z', '2026-10-26T08:00:00Z'],
    local: { '2026-03-28T08:00:00Z': '20260328T090000', '2026-03-30T07:00:00Z': '20260330T090000', '2026-10-26T08:00:00Z': '20261026T090000' },
  },
  {
    // Southern hemisphere: summer time ends in April and starts in October.
    zone: 'Australia/Melbourne',
    instants: ['2026-04-03T23:00:00Z', '2026-04-04T23:00:00Z', '2026-04-05T23:00:00Z', '2026-10-03T23:00:00Z', '2026-10-04T22:00:00Z'],
    local: { '2026-04-03T23:00:00Z': '20260404T100000', '2026-04-04T23:00:00Z': '20260405T090000', '2026-04-05T23:00:00Z': '20260406T090000', '2026-10-04T22:00:00Z': '20261005T090000' },
  },
  {
    zone: 'Asia/Kolkata',
    instants: ['2026-03-08T04:30:00Z', '2026-11-01T04:30:00Z'],
    local: { '2026-03-08T04:30:00Z': '20260308T100000' },
  },
];

describe('appointmentCalendar', () => {
  test('wall-clock times at the location, with a VTIMEZONE that gives back the same instants across daylight saving changes', () => {
    for (const { zone, instants, local } of DST_CASES) {
      const appointments = instants.map((at) => appointment(at, zone));
      const cal = parseIcs(appointmentCalendar(appointments, feed));
      assert.deepEqual(zones(cal).map((z) => value(z, 'TZID')), [zone], `one VTIMEZONE for ${zone}`);
      const byUid = new Map(events(cal).map((e) => [value(e, 'UID'), e]));
      for (const a of appointments) {
        const event = byUid.get(`${a.id}@rapport`);
        assert.ok(event);
        const start = prop(event, 'DTSTART')!;
        const end = prop(event, 'DTEND')!;
        assert.equal(start.params.TZID, zone);
        assert.equal(end.params.TZID, zone);
        assert.equal(new Date(instantOf(cal, start)).toISOString(), a.startsAt.toISOString(), `${zone} ${start.value}`);
        assert.equal(new Date(instantOf(cal, end)).toISOString(), a.endsAt.toISOString(), `${zone} end ${end.value}`);
        const expected = local[a.startsAt.toISOString().replace('.000Z', 'Z')];
        if (expected) assert.equal(start.value, expected, `${zone}: local time of ${a.startsAt.toISOString()}`);
      }
    }
  });

  test('ical.js (the parser Thunderbird uses) reads the same instants back through the file\'s own VTIMEZONE', () => {
    for (const { zone, instants } of DST_CASES) {
      const appointments = instants.map((at) => appointment(at, zone));
      const root = new ICAL.Component(ICAL.parse(appointmentCalendar(appointments, feed)));
      for (const vtimezone of root.getAllSubcomponents('vtimezone')) {
        const tz = new ICAL.Timezone(vtimezone);
        if (!ICAL.TimezoneService.has(tz.tzid)) ICAL.TimezoneService.register(tz);
      }
      const starts = root
        .getAllSubcomponents('vevent')
        .map((v) => new ICAL.Event(v))
        .map((e) => [e.uid, e.startDate.toJSDate().toISOString(), e.endDate.toJSDate().toISOString(), e.startDate.zone?.tzid] as const);
      assert.deepEqual(
        starts,
        appointments.map((a) => [`${a.id}@rapport`, a.startsAt.toISOString(), a.endsAt.toISOString(), zone] as const),
        zone,
      );
    }
  });

  test("the same file whatever the server process's own time zone", () => {
    const appointments = DST_CASES.flatMap(({ zone, instants }) => instants.map((at) => appointment(at, zone)));
    const saved = process.env.TZ;
    try {
      const outputs = ['UTC', 'Pacific/Auckland', 'America/Los_Angeles'].map((tz) => {
        process.env.TZ = tz;
        return appointmentCalendar(appointments, feed);
      });
      assert.equal(outputs[1], outputs[0]);
      assert.equal(outputs[2], outputs[0]);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  test('a feed: PUBLISH, a name, a refresh hint, one VTIMEZONE per zone, the practitioner sees the patient', () => {
    const ny1 = appointment('2026-03-09T14:00:00Z', 'America/New_York', { version: 3 });
    const ny2 = appointment('2026-03-10T14:00:00Z', 'America/New_York');
    const berlin = appointment('2026-03-30T07:00:00Z', 'Europe/Berlin', { location: { name: 'Berlin', address: null, phone: null, timeZone: 'Europe/Berlin' } });
    const text = appointmentCalendar([ny1, ny2, berlin], feed);
    const cal = parseIcs(text);
    assert.deepEqual(cal.props.slice(0, 2).map((p) => `${p.name}:${p.value}`), ['VERSION:2.0', 'PRODID:-//Rapport//Rapport Scheduling//EN']);
    assert.equal(value(cal, 'CALSCALE'), 'GREGORIAN');
    assert.equal(value(cal, 'METHOD'), 'PUBLISH');
    assert.equal(value(cal, 'X-WR-CALNAME'), 'Dr Rosa Vale - Main Street');
    assert.equal(value(cal, 'REFRESH-INTERVAL'), 'PT15M');
    assert.equal(prop(cal, 'REFRESH-INTERVAL')?.params.VALUE, 'DURATION');
    assert.equal(value(cal, 'X-PUBLISHED-TTL'), 'PT15M');
    assert.deepEqual(zones(cal).map((z) => value(z, 'TZID')), ['America/New_York', 'Europe/Berlin']);

    const [first, , third] = events(cal);
    assert.equal(value(first!, 'UID'), `${ny1.id}@rapport`);
    assert.equal(value(first!, 'SEQUENCE'), '3');
    assert.equal(value(first!, 'DTSTAMP'), '20260201T080000Z', 'when the feed was produced');
    assert.equal(value(first!, 'LAST-MODIFIED'), '20260103T113000Z');
    assert.equal(value(first!, 'CREATED'), '20260102T100000Z');
    assert.equal(value(first!, 'SUMMARY'), 'Physiotherapy: Ada Moss');
    assert.equal(unescape(value(first!, 'LOCATION')!), 'Main Street, 1 Main St, 10001 Springfield');
    assert.equal(value(first!, 'STATUS'), 'CONFIRMED');
    assert.equal(value(first!, 'TRANSP'), 'OPAQUE');
    assert.equal(value(first!, 'CLASS'), 'PRIVATE');
    assert.equal(value(first!, 'DESCRIPTION'), 'Status: Booked');
    assert.equal(value(third!, 'LOCATION'), 'Berlin');
    // Every event lies between the VTIMEZONEs and the end, as RFC 5545 orders components.
    assert.ok(text.indexOf('END:VTIMEZONE') < text.indexOf('BEGIN:VEVENT'));
  });

  test('the status of each appointment: cancelled ones say CANCELLED and stop blocking time', () => {
    const statuses: AppointmentStatus[] = ['booked', 'arrived', 'fulfilled', 'noshow', 'cancelled'];
    const list = statuses.map((status, i) => appointment(`2026-05-0${i + 1}T14:00:00Z`, 'America/New_York', { status }));
    const cal = parseIcs(appointmentCalendar(list, feed));
    assert.deepEqual(events(cal).map((e) => value(e, 'STATUS')), ['CONFIRMED', 'CONFIRMED', 'CONFIRMED', 'CONFIRMED', 'CANCELLED']);
    assert.deepEqual(events(cal).map((e) => value(e, 'TRANSP')), ['OPAQUE', 'OPAQUE', 'OPAQUE', 'OPAQUE', 'TRANSPARENT']);
    assert.deepEqual(events(cal).map((e) => value(e, 'DESCRIPTION')), ['Status: Booked', 'Status: Checked in', 'Status: Completed', 'Status: No-show', 'Status: Cancelled']);
  });

  test("a download for the patient: no METHOD, no calendar name, the practitioner in the SUMMARY, DTSTAMP the last change", () => {
    const a = appointment('2026-03-09T14:00:00Z', 'America/New_York', { version: 2 });
    const cal = parseIcs(appointmentCalendar([a], download));
    for (const name of ['METHOD', 'X-WR-CALNAME', 'NAME', 'REFRESH-INTERVAL', 'X-PUBLISHED-TTL']) assert.equal(prop(cal, name), undefined, name);
    const [event] = events(cal);
    assert.equal(value(event!, 'SUMMARY'), 'Physiotherapy with Dr Rosa Vale');
    assert.equal(value(event!, 'DTSTAMP'), '20260103T113000Z');
    assert.equal(value(event!, 'SEQUENCE'), '2');
    assert.equal(prop(event!, 'CLASS'), undefined);
    assert.deepEqual(unescape(value(event!, 'DESCRIPTION')!).split('\n'), [
      'Physiotherapy with Dr Rosa Vale',
      'Main Street, 1 Main St, 10001 Springfield',
      'Phone: +15555550123',
    ]);
    assert.ok(!appointmentCalendar([a], download).includes('Moss'), "the patient's own file does not carry their name");
    const cancelled = parseIcs(appointmentCalendar([{ ...a, status: 'cancelled' }], download));
    assert.equal(value(events(cancelled)[0]!, 'STATUS'), 'CANCELLED');
    assert.match(unescape(value(events(cancelled)[0]!, 'DESCRIPTION')!), /was cancelled/);
  });

  test('text is escaped and long lines folded at 75 octets, multi-byte characters kept whole', () => {
    const a = appointment('2026-03-09T14:00:00Z', 'Europe/Berlin', {
      serviceName: 'Kinésithérapie; suivi, séance longue\nzweite Zeile ÄÖÜ äöü ß — 東京 '.repeat(3).trim(),
      patientName: 'Zoë Ølgaard-Ünal',
    });
    const text = appointmentCalendar([a], { ...feed, feed: { ...feed.feed!, name: 'Dr Vale, Praxis; Mitte\nzwei' } });
    const cal = parseIcs(text);
    const summary = value(events(cal)[0]!, 'SUMMARY')!;
    assert.ok(!/[^\\][;,]/.test(summary.replace(/\\\\/g, '')), `separators are escaped: ${summary}`);
    assert.equal(unescape(summary), `${a.serviceName.replace(/\n/g, ' ')}: Zoë Ølgaard-Ünal`, 'unfolded and unescaped, the text is whole');
    assert.equal(value(cal, 'X-WR-CALNAME'), 'Dr Vale\\, Praxis\\; Mitte zwei');
    assert.ok(text.split('\r\n').some((l) => l.startsWith(' ')), 'something was long enough to fold');
  });

  test('zones: aliases take their canonical VTIMEZONE, UTC and unknown zones are written in UTC', () => {
    assert.equal(calendarZone('Asia/Calcutta'), 'Asia/Kolkata');
    assert.equal(calendarZone('UTC'), null);
    assert.equal(calendarZone('Not/AZone'), null);
    const calcutta = appointment('2026-03-08T04:30:00Z', 'Asia/Calcutta');
    const utc = appointment('2026-03-08T04:30:00Z', 'UTC');
    const unknown = appointment('2026-03-08T04:30:00Z', 'Not/AZone');
    const cal = parseIcs(appointmentCalendar([calcutta, utc, unknown], feed));
    assert.deepEqual(zones(cal).map((z) => value(z, 'TZID')), ['Asia/Kolkata']);
    const [kolkata, inUtc, inUnknown] = events(cal);
    assert.deepEqual(prop(kolkata!, 'DTSTART'), { name: 'DTSTART', params: { TZID: 'Asia/Kolkata' }, value: '20260308T100000' });
    assert.deepEqual(prop(inUtc!, 'DTSTART'), { name: 'DTSTART', params: {}, value: '20260308T043000Z' });
    assert.deepEqual(prop(inUnknown!, 'DTSTART'), { name: 'DTSTART', params: {}, value: '20260308T043000Z' }, 'the instant stays right');
  });

  test('an empty feed is still a valid calendar', () => {
    const cal = parseIcs(appointmentCalendar([], feed));
    assert.equal(events(cal).length, 0);
    assert.equal(zones(cal).length, 0);
    assert.equal(value(cal, 'METHOD'), 'PUBLISH');
  });
});
