import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { engines, openTestDatabase } from '../../../test/helpers/database.ts';
import { casesOf, reminderScenario, TRANSITIONS, ZONES, type ScenarioResult, type Sent, type Zone } from '../../../test/fixtures/journeys/dst-reminders.ts';

/**
 * Daylight saving and the shipped reminders: an email the day before at the same wall-clock time
 * and an SMS exactly two hours before, for appointments around the 2027 transitions in New York,
 * Berlin, Melbourne and Auckland. A manual clock steps through those days while the outbox is
 * drained (test/fixtures/journeys/dst-reminders.ts); every reminder must go once, at its intended
 * instant, and the answers must not depend on the server's own zone (the same scenario runs in
 * child processes under TZ=UTC, Pacific/Chatham and America/Los_Angeles).
 *
 * The expected instants are written with explicit UTC offsets from the transition table, not
 * computed with the zone rules under test.
 */

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../test/fixtures/journeys/dst-reminders.ts', import.meta.url));
const HOUR = 3600_000;

type Expected = { channel: 'email' | 'sms'; intended: string | [string, string]; sentAt: string | null; status: string; reason?: string };

const ms = (local: string) => Date.parse(local);
const pad = (n: number) => String(n).padStart(2, '0');
const twoHoursBefore = (startsAt: string): string => new Date(ms(startsAt) - 2 * HOUR).toISOString();

function expectedFor(zone: Zone, name: string, startsAt: string): Expected[] {
  const { spring, fall, std, dst, skipped, repeated } = TRANSITIONS[zone];
  const sent = (channel: 'email' | 'sms', intended: string): Expected => ({ channel, intended, sentAt: intended, status: 'sandboxed' });
  const sms = sent('sms', twoHoursBefore(startsAt));
  const hourOf = (time: string) => Number(time.slice(0, 2));
  switch (name) {
    case 'spring-day':
      return [sent('email', `${spring[0]}T11:00:00${std}`), sent('sms', `${spring[1]}T09:00:00${dst}`)];
    case 'fall-day':
      return [sent('email', `${fall[0]}T11:00:00${dst}`), sent('sms', `${fall[1]}T09:00:00${std}`)];
    case 'spring-just-after':
      // 03:30 just after the jump: two real hours earlier is 00:30 on the old offset.
      return [sent('email', `${spring[0]}T03:30:00${std}`), sent('sms', `${spring[1]}T00:30:00${std}`)];
    case 'fall-just-after':
      // The second occurrence of the repeated half hour: two real hours earlier is one on the wall clock.
      return [sent('email', `${fall[0]}T${repeated}:00${dst}`), sent('sms', `${fall[1]}T${pad(hourOf(repeated) - 1)}:30:00${dst}`)];
    case 'spring-skipped':
      // The day before at 02:30 does not exist: it goes at the first real moment after, 03:30.
      return [sent('email', `${spring[1]}T${pad(hourOf(skipped) + 1)}:30:00${dst}`), sms];
    case 'fall-repeated':
      // The day before at a time that happens twice: either one, but only once.
      return [{ channel: 'email', intended: [`${fall[1]}T${repeated}:00${dst}`, `${fall[1]}T${repeated}:00${std}`], sentAt: null, status: 'sandboxed' }, sms];
    case 'spring-quiet':
      return [
        sent('email', `${spring[0]}T09:30:00${std}`),
        { channel: 'sms', intended: `${spring[1]}T07:30:00${dst}`, sentAt: `${spring[1]}T08:00:00${dst}`, status: 'sandboxed' },
      ];
    case 'fall-quiet':
      return [
        sent('email', `${fall[0]}T09:30:00${dst}`),
        { channel: 'sms', intended: `${fall[1]}T07:30:00${std}`, sentAt: `${fall[1]}T08:00:00${std}`, status: 'sandboxed' },
      ];
    case 'fall-quiet-expires':
      return [
        { channel: 'email', intended: `${fall[0]}T07:30:00${dst}`, sentAt: `${fall[0]}T08:00:00${dst}`, status: 'sandboxed' },
        { channel: 'sms', intended: `${fall[1]}T05:30:00${std}`, sentAt: null, status: 'not_sent', reason: 'quiet_hours_expired' },
      ];
  }
  throw new Error(`no expectation for ${name}`);
}

/** Every case: one email and one SMS, at the instants above; deferred ones say so in their attempts. */
function check(result: ScenarioResult, label: string): void {
  for (const zone of ZONES) {
    for (const c of casesOf(zone)) {
      const key = `${zone}|${c.name}`;
      const got = result[key];
      assert.ok(got, `${label} ${key}: booked`);
      assert.equal(got.startsAt, new Date(c.startsAt).toISOString(), `${label} ${key}: booked at the intended instant`);
      assert.equal(got.runs, 2, `${label} ${key}: one run per reminder journey`);
      const expected = expectedFor(zone, c.name, c.startsAt);
      assert.deepEqual(
        got.reminders.map((r) => r.channel).sort(),
        ['email', 'sms'],
        `${label} ${key}: exactly one email and one SMS reminder, none skipped, none doubled`,
      );
      for (const e of expected) {
        const r: Sent = got.reminders.find((x) => x.channel === e.channel)!;
        const where = `${label} ${key} ${e.channel}`;
        const intended = Array.isArray(e.intended) ? e.intended.map((i) => new Date(i).toISOString()) : [new Date(e.intended).toISOString()];
        assert.ok(intended.includes(r.intended), `${where}: intended ${r.intended}, expected ${intended.join(' or ')}`);
        assert.equal(r.status, e.status, `${where}: status (${r.reason ?? ''})`);
        assert.equal(r.reason, e.reason ?? null, `${where}: reason`);
        const sentAt = e.sentAt === null ? (e.status === 'not_sent' ? null : r.intended) : new Date(e.sentAt).toISOString();
        assert.equal(r.sentAt, sentAt, `${where}: sent at`);
        const deferred = e.sentAt !== null && new Date(e.sentAt).toISOString() !== r.intended;
        if (e.status === 'not_sent') {
          // Claimed at its instant and held back at once: quiet hours would outlast the visit.
          assert.deepEqual(r.attempts, [`not_sent@${r.intended}`], `${where}: attempts`);
        } else if (deferred) {
          assert.deepEqual(r.attempts, [`deferred@${r.intended}`, `sandboxed@${sentAt}`], `${where}: deferred once, then sent`);
        } else {
          assert.deepEqual(r.attempts, [`sandboxed@${r.intended}`], `${where}: one attempt, at the intended instant`);
          assert.equal(r.dueAt, r.intended, `${where}: due at the intended instant`);
        }
      }
    }
  }
  // Spot checks in plain UTC, for the reader.
  const ny = (name: string, channel: string) => result[`America/New_York|${name}`]!.reminders.find((r) => r.channel === channel)!;
  assert.equal(ny('spring-day', 'email').sentAt, '2027-03-13T16:00:00.000Z'); // Sat 11:00 EST, 23 real hours before
  assert.equal(ny('fall-day', 'email').sentAt, '2027-11-06T15:00:00.000Z'); // Sat 11:00 EDT, 25 real hours before
  assert.equal(ny('spring-just-after', 'sms').sentAt, '2027-03-14T05:30:00.000Z'); // 00:30 EST for a 03:30 EDT visit
  assert.equal(ny('spring-skipped', 'email').sentAt, '2027-03-14T07:30:00.000Z'); // 03:30 EDT: 02:30 did not happen
  assert.equal(ny('spring-quiet', 'sms').sentAt, '2027-03-14T12:00:00.000Z'); // 08:00 EDT
  assert.equal(ny('fall-quiet', 'sms').sentAt, '2027-11-07T13:00:00.000Z'); // 08:00 EST
}

describe('reminders across daylight saving', () => {
  for (const engine of engines()) {
    test(`${engine}: each reminder once, at its intended instant, in four zones`, { timeout: 300_000 }, async () => {
      const database = await openTestDatabase(engine);
      try {
        check(await reminderScenario(database), engine);
      } finally {
        await database.dispose();
      }
    });
  }

  test("the same reminders whatever the server's time zone (TZ=UTC, Pacific/Chatham, America/Los_Angeles)", { timeout: 300_000 }, async () => {
    const answers = await Promise.all(
      ['UTC', 'Pacific/Chatham', 'America/Los_Angeles'].map(async (tz) => {
        const { stdout } = await run(process.execPath, [script], { env: { ...process.env, TZ: tz }, maxBuffer: 10_000_000 });
        const answer = JSON.parse(stdout) as { tz: string; result: ScenarioResult };
        assert.equal(answer.tz, tz, 'the child ran in the zone asked for');
        check(answer.result, `TZ=${tz}`);
        return answer.result;
      }),
    );
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
  });
});
