import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import { buildTestApp, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { MedicationReminder } from './care.ts';
import type { Invoice } from './invoices.ts';
import { scheduleMessage } from '../messaging/outbox.ts';
import { advanceRun, claimDueRuns } from './engine.ts';
import { planScheduledTriggers } from './scheduled-triggers.ts';

// Sunday 22 November 2026, 06:00 in Los Angeles (UTC-8), where the patients live; the clinic is in New York.
const NOW = new Date('2026-11-22T14:00:00Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const LA = 'America/Los_Angeles';
const local = (d: Date) => DateTime.fromJSDate(d, { zone: LA }).toFormat("yyyy-LL-dd'T'HH:mm");

/** An app and signed-in admin on a clock of the test's own; calls sign in again as time moves past the session's life. */
async function setUp(database: TestDatabase) {
  const clock = manualClock(NOW);
  const app = await buildTestApp(database, { clock });
  const t = await signedInTenant(app, database);
  let cookie = t.cookie;
  const call = async <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
    const send = () => app.inject({ method, url, headers: { cookie }, ...(payload !== undefined ? { payload: payload as object } : {}) });
    let res = await send();
    if (res.statusCode === 401) {
      cookie = await signInCookie(app, t.user.email, t.user.password);
      res = await send();
    }
    return { status: res.statusCode, body: json<T>(res) };
  };
  let n = 0;
  const patient = async (name: string, contact: { email?: boolean; phone?: boolean } = { email: true, phone: true }) => {
    n += 1;
    const res = await call<{ id: string }>('POST', '/api/patients', {
      givenName: name,
      familyName: `Careful${'xyzw'[n % 4]}${n}`,
      timeZone: LA,
      ...(contact.phone ? { phones: [{ value: `+1415555${String(100 + n).padStart(4, '0')}`, use: 'mobile' }] } : {}),
      ...(contact.email ? { emails: [{ value: `${name.toLowerCase()}.${n}@example.com` }] } : {}),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  };
  const options = outboxOptions(database.db, clock);
  /** When this clinic next has something due: a waiting run or a scheduled message. */
  const nextDue = () =>
    withTenant(database.db, t.system, async (scope) => {
      const run = await scope.tx.selectFrom('journey_run').select((eb) => eb.fn.min('next_at').as('at')).where('status', '=', 'waiting').executeTakeFirst();
      const message = await scope.tx.selectFrom('message').select((eb) => eb.fn.min('due_at').as('at')).where('status', '=', 'scheduled').executeTakeFirst();
      const times = [run?.at, message?.at].filter((d): d is Date => d !== null && d !== undefined).map((d) => new Date(d).getTime());
      return times.length ? Math.min(...times) : Infinity;
    });
  /**
   * Moves the clock to `until`, stopping at every moment something falls due and at least every
   * `planEvery` (the planning job's horizon is 36 hours), planning twice (it must start nothing
   * twice) and draining the outbox at each stop.
   */
  const runUntil = async (until: Date, planEvery = 6 * HOUR) => {
    for (;;) {
      await planScheduledTriggers(database.db, clock());
      await planScheduledTriggers(database.db, clock());
      await drainOutbox(options);
      const now = clock().getTime();
      if (now >= until.getTime()) return;
      clock.advance(Math.min(until.getTime(), now + planEvery, await nextDue()) - now);
    }
  };
  return { app, clock, t, call, patient, options, runUntil };
}

for (const engine of engines()) {
  describe(`medication reminders and invoices (${engine})`, () => {
    let database: TestDatabase;
    const apps: FastifyInstance[] = [];
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      for (const app of apps) await app.close();
      await database.dispose();
    });

    test('08:00 and 20:00 in Los Angeles for three days: six reminders at those times, none twice, none after the end date', async () => {
      const s = await setUp(database);
      apps.push(s.app);
      const patientId = await s.patient('Rosa');
      const added = await s.call<MedicationReminder>('POST', `/api/patients/${patientId}/medication-reminders`, {
        medication: 'Amoxicillin', instructions: 'With food', timesOfDay: ['20:00', '08:00'], startDate: '2026-11-23', endDate: '2026-11-25', channel: 'sms',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.deepEqual(added.body.timesOfDay, ['08:00', '20:00']);
      assert.equal(added.body.timeZone, LA);

      // On to two days past the end date.
      await s.runUntil(new Date('2026-11-28T14:00:00Z'));
      const reminders = (await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'medication.reminder');
      assert.deepEqual(
        reminders.map((m) => [m.status, local(m.sent_at!)]),
        ['23', '24', '25'].flatMap((d) => [['sandboxed', `2026-11-${d}T08:00`], ['sandboxed', `2026-11-${d}T20:00`]]),
      );
      assert.match(reminders[0]!.body_text!, /this is your 8:00 AM medication reminder/);
      assert.match(reminders[1]!.body_text!, /this is your 8:00 PM medication reminder/);
      const runs = await withTenant(database.db, s.t.system, (scope) => scope.tx.selectFrom('journey_run').select(['status']).where('subject_id', '=', added.body.id).execute());
      assert.deepEqual(runs.map((r) => r.status), Array(6).fill('done'));
      const timeline = await withTenant(database.db, s.t.system, (scope) => scope.tx.selectFrom('timeline_event').select('kind').where('patient_id', '=', patientId).execute());
      assert.ok(timeline.some((e) => e.kind === 'medication.reminder_added'));
    });

    test('a stopped reminder stops its planned doses and a reminder waiting to go', async () => {
      const s = await setUp(database);
      apps.push(s.app);
      const patientId = await s.patient('Sol');
      const added = await s.call<MedicationReminder>('POST', `/api/patients/${patientId}/medication-reminders`, {
        medication: 'Vitamin D', timesOfDay: ['07:00', '12:00'], startDate: '2026-11-22', endDate: '2026-12-20',
      });
      assert.equal(added.status, 201);
      await s.runUntil(new Date('2026-11-22T15:00:00Z'));
      // Noon: the dose's run writes its message, and the reminder is stopped before a worker sends it.
      s.clock.set(new Date('2026-11-22T20:00:00Z'));
      for (const claim of await claimDueRuns(database.db, 10, s.clock())) await advanceRun(database.db, claim, s.clock());
      let messages = (await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'medication.reminder');
      assert.deepEqual(messages.map((m) => [m.status, local(m.due_at)]), [['sandboxed', '2026-11-22T07:00'], ['scheduled', '2026-11-22T12:00']]);

      const stopped = await s.call<MedicationReminder>('PATCH', `/api/medication-reminders/${added.body.id}`, { active: false });
      assert.equal(stopped.status, 200);
      assert.equal(stopped.body.active, false);
      await s.runUntil(new Date('2026-11-24T15:00:00Z'));
      messages = (await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'medication.reminder');
      assert.deepEqual(messages.map((m) => [m.status, m.reason]), [['sandboxed', null], ['not_sent', 'medication_stopped']]);
      const runs = await withTenant(database.db, s.t.system, (scope) => scope.tx.selectFrom('journey_run').select(['status', 'reason']).where('subject_id', '=', added.body.id).orderBy('next_at').execute());
      assert.ok(runs.length >= 3, 'doses were planned before the stop');
      assert.deepEqual(runs.slice(2), runs.slice(2).map(() => ({ status: 'cancelled', reason: 'medication_stopped' })));
      assert.equal((await s.call<ErrorBody>('PATCH', `/api/medication-reminders/${added.body.id}`, { instructions: 'x' })).status, 409);
    });

    test('doses at 07:30 and 22:00 go at those times in quiet hours (21:00-08:00); a reminder of another kind still waits for the morning', async () => {
      const s = await setUp(database);
      apps.push(s.app);
      const patientId = await s.patient('Uma');
      const added = await s.call<MedicationReminder>('POST', `/api/patients/${patientId}/medication-reminders`, {
        medication: 'Levothyroxine', timesOfDay: ['07:30', '22:00'], startDate: '2026-11-22', endDate: '2026-11-23', channel: 'sms',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      // A care text due at 22:00 the same evening, outside any journey: the clinic's quiet hours hold it.
      const other = await withTenant(database.db, s.t.system, (scope) =>
        scheduleMessage(scope, { patientId, channel: 'sms', purpose: 'care', idempotencyKey: `test:evening:${patientId}`, dueAt: new Date('2026-11-23T06:00:00Z'), body: 'Your repeat prescription is ready.' }, s.clock()),
      );
      assert.equal(other.status, 'scheduled');

      await s.runUntil(new Date('2026-11-25T14:00:00Z'));
      const doses = (await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'medication.reminder');
      assert.deepEqual(
        doses.map((m) => [m.status, local(m.due_at), local(m.sent_at!)]),
        ['22', '23'].flatMap((d) => [['sandboxed', `2026-11-${d}T07:30`, `2026-11-${d}T07:30`], ['sandboxed', `2026-11-${d}T22:00`, `2026-11-${d}T22:00`]]),
      );
      assert.match(doses[1]!.body_text!, /this is your 10:00 PM medication reminder/);
      const held = (await messagesOf(database.db, s.t.tenant.id)).find((m) => m.id === other.id)!;
      assert.deepEqual([held.status, local(held.sent_at!)], ['sandboxed', '2026-11-23T08:00']);
      const attempts = await withTenant(database.db, s.t.system, (scope) => scope.tx.selectFrom('message_attempt').select(['message_id', 'outcome']).execute());
      assert.deepEqual(attempts.filter((a) => a.message_id === other.id).map((a) => a.outcome), ['deferred', 'sandboxed']);
      assert.ok(attempts.filter((a) => doses.some((d) => d.id === a.message_id)).every((a) => a.outcome === 'sandboxed'), 'no dose was deferred');
    });

    test('a dose reminder still needs consent and stays within the frequency cap', async () => {
      const s = await setUp(database);
      apps.push(s.app);
      const patientId = await s.patient('Vic');
      const capped = await s.call('PATCH', '/api/settings/messaging', { frequencyCaps: { care: { count: 1, days: 1 } } });
      assert.equal(capped.status, 200, JSON.stringify(capped.body));
      const added = await s.call<MedicationReminder>('POST', `/api/patients/${patientId}/medication-reminders`, {
        medication: 'Metformin', timesOfDay: ['07:30', '22:00'], startDate: '2026-11-22', endDate: '2026-11-23', channel: 'sms',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await s.runUntil(new Date('2026-11-23T15:00:00Z')); // 07:00 on the second day
      const withdrawn = await s.call('POST', `/api/patients/${patientId}/consent`, { channels: ['sms'], purposes: ['care'], status: 'withdrawn' });
      assert.equal(withdrawn.status, 201, JSON.stringify(withdrawn.body));
      await s.runUntil(new Date('2026-11-25T14:00:00Z'));
      const doses = (await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'medication.reminder');
      assert.deepEqual(doses.map((m) => [local(m.due_at), m.status, m.reason]), [
        ['2026-11-22T07:30', 'sandboxed', null],
        ['2026-11-22T22:00', 'not_sent', 'frequency_cap'],
        ['2026-11-23T07:30', 'not_sent', 'consent_withdrawn'],
        ['2026-11-23T22:00', 'not_sent', 'consent_withdrawn'],
      ]);
    });

    test('times, dates and channel are checked, naming the field, and nothing is stored', async () => {
      const s = await setUp(database);
      apps.push(s.app);
      const patientId = await s.patient('Tam');
      const base = { medication: 'Ibuprofen', timesOfDay: ['08:00'], startDate: '2026-11-23', endDate: '2026-11-30' };
      const refused = async (body: object, path: string) => {
        const res = await s.call<ErrorBody>('POST', `/api/patients/${patientId}/medication-reminders`, { ...base, ...body });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.ok(res.body.error.fields?.some((f) => f.path === path), `${path} in ${JSON.stringify(res.body.error.fields)}`);
      };
      await refused({ timesOfDay: ['8:00'] }, 'timesOfDay.0');
      await refused({ timesOfDay: ['08:00', '08:00'] }, 'timesOfDay');
      await refused({ timesOfDay: [] }, 'timesOfDay');
      await refused({ timesOfDay: ['01:00', '02:00', '03:00', '04:00', '05:00', '06:00', '07:00', '08:00', '09:00'] }, 'timesOfDay');
      await refused({ startDate: '2026-12-01' }, 'endDate');
      await refused({ endDate: '2029-01-01' }, 'endDate');
      await refused({ startDate: '2026-11-01', endDate: '2026-11-10' }, 'endDate');
      await refused({ channel: 'fax' }, 'channel');
      const list = await s.call<{ items: MedicationReminder[] }>('GET', `/api/patients/${patientId}/medication-reminders`);
      assert.deepEqual(list.body.items, []);
      const marketing = await signedInTenant(s.app, database, 'marketing');
      assert.equal((await marketing.call('GET', `/api/patients/${patientId}/medication-reminders`)).status, 403);
      const other = await signedInTenant(s.app, database);
      assert.equal((await other.call('GET', `/api/patients/${patientId}/medication-reminders`)).status, 404);
      assert.equal((await other.call('POST', `/api/patients/${patientId}/invoices`, { number: 'X', amountCents: 100, dueOn: '2026-12-01' })).status, 404);
    });

    test('billing: an email at 10:00 on the due date; a week later a text only if the balance is still open', async () => {
      const s = await setUp(database);
      apps.push(s.app);
      const paidInRapport = await s.patient('Ana');
      const unpaid = await s.patient('Ben');
      const paidElsewhere = await s.patient('Cai');
      const invoices: Record<string, Invoice> = {};
      for (const [patientId, number] of [[paidInRapport, 'INV-1'], [unpaid, 'INV-2'], [paidElsewhere, 'INV-3']] as const) {
        const res = await s.call<Invoice>('POST', `/api/patients/${patientId}/invoices`, { number, amountCents: 8500, dueOn: '2026-11-22' });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.deepEqual([res.body.status, res.body.balanceCents, res.body.issuedOn], ['open', 8500, '2026-11-22']);
        invoices[patientId] = res.body;
      }
      assert.equal((await s.call<ErrorBody>('POST', `/api/patients/${unpaid}/invoices`, { number: 'INV-2', amountCents: 100, dueOn: '2026-12-01' })).status, 409);

      await s.runUntil(new Date('2026-11-22T18:00:00Z'));
      let messages = (await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'billing.notice');
      assert.deepEqual(messages.map((m) => [m.channel, m.status, local(m.sent_at!)]), Array(3).fill(['email', 'sandboxed', '2026-11-22T10:00']));
      assert.match(messages.find((m) => m.patient_id === unpaid)!.body_text!, /Invoice INV-2 .* open balance of \$85\.00/);

      const part = await s.call<Invoice>('PATCH', `/api/invoices/${invoices[paidInRapport]!.id}`, { payment: { amountCents: 8000 } });
      assert.deepEqual([part.status, part.body.status, part.body.balanceCents], [200, 'open', 500]);
      const tooMuch = await s.call<ErrorBody>('PATCH', `/api/invoices/${invoices[paidInRapport]!.id}`, { payment: { amountCents: 501 } });
      assert.equal(tooMuch.status, 400);
      assert.deepEqual(tooMuch.body.error.fields?.map((f) => f.path), ['payment.amountCents']);
      const rest = await s.call<Invoice>('PATCH', `/api/invoices/${invoices[paidInRapport]!.id}`, { payment: { amountCents: 500 } });
      assert.deepEqual([rest.body.status, rest.body.balanceCents], ['paid', 0]);
      assert.equal((await s.call('PATCH', `/api/invoices/${invoices[paidInRapport]!.id}`, { status: 'void' })).status, 409);
      // Paid by a route that does not tell the journeys (an integration writing the ledger): the run sees it when it wakes.
      await withTenant(database.db, s.t.system, (scope) => scope.tx.updateTable('invoice').set({ balance_cents: 0, status: 'paid' }).where('id', '=', invoices[paidElsewhere]!.id).execute());

      await s.runUntil(new Date('2026-11-29T19:00:00Z'));
      messages = (await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'billing.notice');
      assert.deepEqual(
        messages.filter((m) => m.channel === 'sms').map((m) => [m.patient_id, m.status, local(m.sent_at!)]),
        [[unpaid, 'sandboxed', '2026-11-29T10:00']],
      );
      const runs = await withTenant(database.db, s.t.system, (scope) =>
        scope.tx.selectFrom('journey_run').select(['subject_id', 'status', 'reason']).where('subject_type', '=', 'invoice').execute(),
      );
      const runOf = (patientId: string) => runs.find((r) => r.subject_id === invoices[patientId]!.id);
      assert.deepEqual(runOf(paidInRapport), { subject_id: invoices[paidInRapport]!.id, status: 'cancelled', reason: 'invoice_settled' });
      assert.deepEqual(runOf(paidElsewhere), { subject_id: invoices[paidElsewhere]!.id, status: 'cancelled', reason: 'invoice_settled' });
      assert.equal(runOf(unpaid)?.status, 'done');
      const kinds = await withTenant(database.db, s.t.system, (scope) => scope.tx.selectFrom('timeline_event').select('kind').where('patient_id', '=', paidInRapport).execute());
      assert.ok(['invoice.created', 'invoice.payment', 'invoice.paid'].every((k) => kinds.some((e) => e.kind === k)));
      const audit = await s.t.audit();
      assert.ok(audit.some((a) => a.action === 'invoice.payment' && a.patient_id === paidInRapport));
      const list = await s.call<{ items: Invoice[] }>('GET', `/api/patients/${paidInRapport}/invoices`);
      assert.deepEqual(list.body.items.map((i) => [i.number, i.status]), [['INV-1', 'paid']]);
      assert.ok((await s.t.audit()).some((a) => a.action === 'patient.invoices.read' && a.patient_id === paidInRapport));
    });

    test('an invoice voided before its due date is never noticed', async () => {
      const s = await setUp(database);
      apps.push(s.app);
      const patientId = await s.patient('Dee');
      const bad = await s.call<ErrorBody>('POST', `/api/patients/${patientId}/invoices`, { number: 'V-1', amountCents: 1000, issuedOn: '2026-11-22', dueOn: '2026-11-21' });
      assert.deepEqual(bad.body.error.fields?.map((f) => f.path), ['dueOn']);
      const created = await s.call<Invoice>('POST', `/api/patients/${patientId}/invoices`, { number: 'V-1', amountCents: 1000, dueOn: '2026-11-23' });
      await s.runUntil(new Date(NOW.getTime() + 12 * HOUR));
      const planned = await withTenant(database.db, s.t.system, (scope) => scope.tx.selectFrom('journey_run').select('status').where('subject_id', '=', created.body.id).execute());
      assert.deepEqual(planned, [{ status: 'waiting' }]);
      const voided = await s.call<Invoice>('PATCH', `/api/invoices/${created.body.id}`, { status: 'void' });
      assert.equal(voided.body.status, 'void');
      await s.runUntil(new Date(NOW.getTime() + 3 * DAY));
      assert.deepEqual((await messagesOf(database.db, s.t.tenant.id)).filter((m) => m.template_key === 'billing.notice'), []);
      const both = await s.call<ErrorBody>('PATCH', `/api/invoices/${created.body.id}`, { status: 'paid', payment: { amountCents: 1 } });
      assert.equal(both.status, 400);
    });
  });
}
