import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestTenant } from '../../../test/helpers/app.ts';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.ts';
import { withTenant } from '../../server/db/scope.ts';
import { messageIdFor } from './email.ts';
import { scheduleMessage } from './outbox.ts';

/**
 * Crash safety: 1,000 reminders falling due within ten seconds, three worker processes sharing them through the
 * outbox, and workers killed with SIGKILL at random (at least ten times, each restarted) until
 * every reminder has been dealt with. A killed worker leaves claims whose lease runs out (two
 * seconds here, on the wall clock) and, sometimes, a message the provider took but the outbox
 * never recorded; the next worker sends it again with the same idempotency key. The SMTP sink
 * deduplicates by Message-ID (derived from that key) as an idempotent provider does, so each
 * reminder is delivered exactly once while the raw attempts show what the kills cost.
 *
 * Several processes need a database server: this runs only when DATABASE_URL is set.
 */

const MESSAGES = 1000;
const WORKERS = 3;
const MIN_KILLS = 10;
/** Kills stop here, so the workers always make progress on a slow machine. */
const MAX_KILLS = 30;
/** The reminders fall due over this span (all due within it), so kills land while work is in flight on a fast machine too. */
const DUE_SPREAD_MS = 10_000;
const DEADLINE_MS = 120_000;
const workerScript = fileURLToPath(new URL('../../../test/helpers/outbox-worker-process.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Worker = { child: ChildProcess; name: string; ready: Promise<void>; readyAt: number | null; exited: Promise<void>; output: () => string };

describe('outbox crash safety (postgres)', { skip: process.env.DATABASE_URL ? false : 'needs a PostgreSQL server: set DATABASE_URL to run it' }, () => {
  let database: TestDatabase;
  let sink: SmtpSink;
  const workers: Worker[] = [];
  before(async () => {
    database = await openTestDatabase('postgres');
    sink = await startSmtpSink();
  });
  after(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await sink?.close();
    await database?.dispose();
  });

  let started = 0;
  function startWorker(): Worker {
    started += 1;
    const name = `crash-worker-${started}`;
    const child = spawn(process.execPath, [workerScript], {
      env: { ...process.env, DATABASE_URL: database.url!, SMTP_URL: sink.url, WORKER_NAME: name, LEASE_SECONDS: '5', CONCURRENCY: '2', BATCH_SIZE: '10', HOLD_AFTER_SEND_MS: '15' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready') && worker.readyAt === null) {
          worker.readyAt = Date.now();
          resolve();
        }
      });
      child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${out}`)));
    });
    ready.catch(() => {});
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const worker: Worker = { child, name, ready, readyAt: null, exited, output: () => out };
    workers.push(worker);
    return worker;
  }

  test(`${MESSAGES} reminders, ${WORKERS} worker processes killed at random: each delivered once`, { timeout: 240_000 }, async (t) => {
    const tenant = await createTestTenant(database);
    const system = { tenantId: tenant.id, actor: { type: 'system' as const, id: null } };
    const ids = await withTenant(database.db, system, async (scope) => {
      const patients = await scope.tx
        .insertInto('patient')
        .values(
          Array.from({ length: MESSAGES }, (_, i) => ({
            tenant_id: tenant.id,
            given_name: `Crash${i}`,
            family_name: 'Test',
            email: `crash.${i}@example.com`,
            // No quiet hours: the reminders go whenever the test runs.
            quiet_hours_start: '00:00',
            quiet_hours_end: '00:00',
          })),
        )
        .returning('id')
        .execute();
      const now = new Date();
      const out: string[] = [];
      for (const [i, p] of patients.entries()) {
        const dueAt = new Date(now.getTime() + Math.floor((i * DUE_SPREAD_MS) / MESSAGES));
        const m = await scheduleMessage(
          scope,
          { patientId: p.id, channel: 'email', purpose: 'care', idempotencyKey: `crash:${i}`, dueAt, subject: 'Your visit tomorrow', body: `Reminder ${i}: see you tomorrow.` },
          now,
        );
        assert.equal(m.status, 'scheduled');
        out.push(m.id);
      }
      return out;
    });

    const pending = async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from message where status in ('scheduled', 'sending')`.execute(database.db);
      return rows[0]!.n;
    };

    const live: Worker[] = [];
    for (let i = 0; i < WORKERS; i++) live.push(startWorker());
    await Promise.all(live.map((w) => w.ready));

    // Kill a random worker (one that has been up a moment) at random moments and restart it,
    // until everything is done, within a bounded time.
    let kills = 0;
    const deadline = Date.now() + DEADLINE_MS;
    while (Date.now() < deadline) {
      await sleep(100 + Math.random() * 400);
      if ((await pending()) === 0) break;
      if (kills >= MAX_KILLS) continue;
      const up = live.filter((w) => w.readyAt !== null && Date.now() - w.readyAt > 300);
      if (!up.length) continue;
      const victim = up[Math.floor(Math.random() * up.length)]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      kills += 1;
      live[live.indexOf(victim)] = startWorker();
    }
    const left = await pending();
    await Promise.all(live.map((w) => w.ready));
    for (const w of live) w.child.kill('SIGTERM');
    const stopped = Promise.all(live.map((w) => w.exited));
    const timer = setTimeout(() => live.forEach((w) => w.child.kill('SIGKILL')), 15_000);
    await stopped;
    clearTimeout(timer);
    for (const w of live) assert.equal(w.child.exitCode, 0, `${w.name} stopped cleanly on SIGTERM:\n${w.output()}`);
    assert.equal(left, 0, `all ${MESSAGES} messages done within ${DEADLINE_MS / 1000} s (${left} left)`);
    assert.ok(kills >= MIN_KILLS, `at least ${MIN_KILLS} workers killed while work was left (${kills}): make the run slower`);

    const messages = await withTenant(database.db, system, (scope) =>
      scope.tx.selectFrom('message').select(['id', 'status', 'reason', 'attempts', 'claimed_by', 'provider', 'provider_message_id', 'sent_at']).execute(),
    );
    const attempts = await withTenant(database.db, system, (scope) =>
      scope.tx.selectFrom('message_attempt').select(['message_id', 'attempt', 'worker', 'outcome', 'provider', 'provider_message_id']).execute(),
    );

    const byStatus: Record<string, number> = {};
    for (const m of messages) byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
    assert.deepEqual(byStatus, { sent: MESSAGES });

    // The provider: one delivery per reminder, under the Message-ID its idempotency key gives.
    const unique = sink.uniqueByMessageId();
    assert.equal(sink.messages.length, MESSAGES, 'unique deliveries');
    assert.equal(unique.size, MESSAGES);
    const expectedIds = new Set(ids.map((id) => messageIdFor(`${tenant.id}:${id}`)));
    assert.deepEqual(new Set(unique.keys()), expectedIds);
    const seen = new Map<string, number>();
    for (const mail of sink.received) seen.set(mail.messageId!, (seen.get(mail.messageId!) ?? 0) + 1);
    const repeats = [...seen.values()].filter((n) => n > 1).length;
    assert.ok(sink.attempts >= MESSAGES, `raw attempts ${sink.attempts} >= ${MESSAGES}`);

    // The outbox's own record: exactly one committed attempt per message, the one that sent it,
    // by the worker holding the claim, with the provider's id as the sink saw it.
    const attemptsOf = new Map<string, typeof attempts>();
    for (const a of attempts) attemptsOf.set(a.message_id, [...(attemptsOf.get(a.message_id) ?? []), a]);
    assert.equal(attempts.length, MESSAGES, 'one committed attempt row per message');
    for (const m of messages) {
      const rows = attemptsOf.get(m.id) ?? [];
      assert.equal(rows.length, 1, `message ${m.id} has one attempt row`);
      const [a] = rows;
      assert.equal(a!.outcome, 'sent');
      assert.equal(a!.attempt, m.attempts);
      assert.equal(a!.worker, m.claimed_by);
      assert.equal(a!.provider, 'smtp');
      assert.equal(a!.provider_message_id, m.provider_message_id);
      assert.equal(m.provider_message_id, messageIdFor(`${tenant.id}:${m.id}`));
      assert.ok(m.sent_at);
      assert.ok(m.attempts >= 1 && m.attempts <= 30, `claims ${m.attempts} within the claim limit`);
    }
    const reclaimed = messages.filter((m) => m.attempts > 1).length;

    const report = [
      `raw provider attempts: ${sink.attempts}`,
      `mails accepted by the provider (repeats included): ${sink.received.length}`,
      `unique deliveries: ${sink.messages.length}`,
      `messages the provider received more than once (deduplicated): ${repeats}`,
      `messages claimed more than once: ${reclaimed}`,
      `workers killed: ${kills} (of ${started} started)`,
    ];
    for (const line of report) {
      t.diagnostic(line);
      console.log(line);
    }
  });
});
