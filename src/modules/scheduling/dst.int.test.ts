import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { battery, DAYS, ZONES, type BatteryResult } from '../../../test/fixtures/scheduling/dst-battery.ts';
import type { AppointmentView } from './appointments.ts';
import type { SlotView } from './slots.ts';

/**
 * The daylight saving battery: slots and appointment times on the spring and autumn transition
 * days of four zones (one without DST), computed the same whatever the process's own zone.
 */

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../test/fixtures/scheduling/dst-battery.ts', import.meta.url));

/** Hours of real time between local 00:00 and 06:00 on each day (short on spring days, long on autumn days). */
const NIGHT_HOURS: Record<string, number> = {
  'America/New_York|2027-03-14': 5,
  'America/New_York|2027-11-07': 7,
  'Europe/Berlin|2027-03-28': 5,
  'Europe/Berlin|2027-10-31': 7,
  'Australia/Melbourne|2027-04-04': 7,
  'Australia/Melbourne|2027-10-03': 5,
};

const result = battery();

describe('daylight saving battery', () => {
  test('a night clinic spanning the transition gets every real half hour once: none skipped, none doubled', () => {
    for (const zone of ZONES) {
      for (const date of DAYS[zone]) {
        const key = `${zone}|${date}`;
        const { night } = result[key]!;
        const hours = NIGHT_HOURS[key] ?? 6;
        assert.equal(night.length, hours * 2, `${key}: ${hours} real hours`);
        assert.equal(new Set(night).size, night.length, `${key}: no doubled slot`);
        for (let i = 1; i < night.length; i++) assert.equal(night[i]! - night[i - 1]!, 30 * 60_000, `${key}: evenly spaced`);
        const first = DateTime.fromMillis(night[0]!, { zone });
        assert.equal(first.toFormat('yyyy-MM-dd HH:mm'), `${date} 00:00`, key);
        const lastEnd = DateTime.fromMillis(night.at(-1)! + 30 * 60_000, { zone });
        assert.equal(lastEnd.toFormat('yyyy-MM-dd HH:mm'), `${date} 06:00`, key);
      }
    }
  });

  test('daytime hours on transition days start at 09:00 local with the day\'s own offset', () => {
    for (const zone of ZONES) {
      for (const date of DAYS[zone]) {
        const { day } = result[`${zone}|${date}`]!;
        assert.equal(day.length, 16, `${zone} ${date}`);
        const labels = day.map((s) => DateTime.fromMillis(s, { zone }).toFormat('HH:mm'));
        assert.equal(labels[0], '09:00');
        assert.equal(labels.at(-1), '16:30');
        const expectedOffset = DateTime.fromISO(`${date}T12:00`, { zone }).offset;
        assert.equal(DateTime.fromMillis(day[0]!, { zone }).offset, expectedOffset);
      }
    }
    // Spot checks against offsets known independently of the code under test.
    assert.equal(new Date(result['America/New_York|2027-03-15']!.day[0]!).toISOString(), '2027-03-15T13:00:00.000Z');
    assert.equal(new Date(result['America/New_York|2027-03-13']!.day[0]!).toISOString(), '2027-03-13T14:00:00.000Z');
    assert.equal(new Date(result['Europe/Berlin|2027-10-31']!.day[0]!).toISOString(), '2027-10-31T08:00:00.000Z');
    assert.equal(new Date(result['Australia/Melbourne|2027-04-04']!.day[0]!).toISOString(), '2027-04-03T23:00:00.000Z');
    assert.equal(new Date(result['Australia/Melbourne|2027-10-03']!.day[0]!).toISOString(), '2027-10-02T22:00:00.000Z');
    assert.equal(new Date(result['Asia/Kolkata|2027-03-14']!.day[0]!).toISOString(), '2027-03-14T03:30:00.000Z');
  });

  test('a weekly series keeps its wall-clock time across the transition', () => {
    for (const zone of ZONES) {
      const weekly = result[`${zone}|${DAYS[zone][0]}`]!.weekly;
      assert.equal(weekly.length, 5);
      assert.deepEqual(new Set(weekly.map((w) => DateTime.fromISO(w, { zone }).toFormat('ccc HH:mm'))).size, 1, `${zone}: ${weekly.join(', ')}`);
    }
    assert.deepEqual(result['America/New_York|2027-03-13']!.weekly, [
      '2027-03-06T14:00:00.000Z',
      '2027-03-13T14:00:00.000Z',
      '2027-03-20T13:00:00.000Z',
      '2027-03-27T13:00:00.000Z',
      '2027-04-03T13:00:00.000Z',
    ]);
  });

  test('the same answers whatever the process\'s own time zone (TZ=UTC, Pacific/Chatham, America/Los_Angeles)', async () => {
    const answers: BatteryResult[] = [];
    for (const tz of ['UTC', 'Pacific/Chatham', 'America/Los_Angeles']) {
      const { stdout } = await run(process.execPath, [script], { env: { ...process.env, TZ: tz }, maxBuffer: 10_000_000 });
      answers.push(JSON.parse(stdout) as BatteryResult);
    }
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    assert.deepEqual(answers[0], JSON.parse(JSON.stringify(result)));
  });
});

for (const engine of engines()) {
  describe(`daylight saving through the API (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock: manualClock(new Date('2026-11-22T14:00:00Z')) });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    for (const zone of ZONES) {
      test(`${zone}: slots and bookings on the transition days are at the intended local times`, async () => {
        const t = await signedInTenant(app, database, 'front_desk');
        const everyDay = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '00:00', end: '06:00' }));
        const clinic = await createClinic(database, t.tenant.id, { timeZone: zone, hours: everyDay });
        for (const date of DAYS[zone]) {
          const res = await t.call<{ slots: SlotView[] }>('GET', `/api/scheduling/slots?serviceId=${clinic.serviceId}&from=${date}&to=${date}`);
          assert.equal(res.status, 200);
          assert.equal(res.body.slots.length, (NIGHT_HOURS[`${zone}|${date}`] ?? 6) * 2, `${zone} ${date}`);
          assert.deepEqual(res.body.slots.map((s) => Date.parse(s.startsAt)), result[`${zone}|${date}`]!.night);
        }
        // Book 05:00 local on each transition day, given as local time plus zone.
        for (const date of DAYS[zone].filter((_, i) => i % 3 === 1)) {
          const res = await t.call<AppointmentView>('POST', '/api/appointments', {
            patientId: clinic.patientIds[0],
            serviceId: clinic.serviceId,
            practitionerId: clinic.practitionerIds[0],
            locationId: clinic.locationId,
            startsAt: `${date}T05:00`,
            timeZone: zone,
          });
          assert.equal(res.status, 201, res.raw.body);
          assert.equal(DateTime.fromISO(res.body.startsAt, { zone }).toFormat('yyyy-MM-dd HH:mm'), `${date} 05:00`);
          assert.equal(res.body.startsAt, DateTime.fromISO(`${date}T05:00`, { zone }).toUTC().toISO());
        }
      });
    }
  });
}
