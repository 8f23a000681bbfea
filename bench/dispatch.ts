// Dispatch throughput: N emails through the whole outbox pipeline (scheduleMessage, then the
// worker's runOutboxPass: claim with SKIP LOCKED, deliverBatch's set-based checks, render, the SMTP
// adapter, the outcome, attempt, timeline and audit rows written per batch) to an SMTP server on loopback, next to
// the ceiling in the same run: a plain nodemailer pooled transport sending the same N emails (same
// size, same headers) with the same concurrency to the same server. The server is a lean
// smtp-server sink in a process of its own (it reads and drops each mail, so the test sink's
// MIME parsing does not set the ceiling). Aim (communications issue): at least half the ceiling.
// --profile adds a run with one lane and the sandbox adapter, timing every statement the dispatcher
// issues (where the database time per message goes).
// Usage: node bench/dispatch.ts [--engine pglite|postgres] [--server URL] [--messages 5000]
//          [--concurrency 8] [--send-batch 25] [--profile]
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { adapterRegistry } from '../src/modules/messaging/adapters.ts';
import { emailHtml, listUnsubscribeHeaders, messageIdFor } from '../src/modules/messaging/email.ts';
import { scheduleMessage } from '../src/modules/messaging/outbox.ts';
import { runOutboxPass, type OutboxWorkerOptions } from '../src/modules/messaging/worker.ts';
import { createTenant } from '../src/modules/tenants/service.ts';
import { refreshStatistics } from '../src/server/db/maintenance.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { withTenant, type TenantContext } from '../src/server/db/scope.ts';
import { machine, openScratchDatabase } from './lib.ts';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'pglite' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    messages: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '8' },
    // As src/server/main.ts: a whole claim per transaction on PGlite, 25 messages on a server.
    'send-batch': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'serve-sink': { type: 'boolean', default: false },
  },
});

// ---- The sink, when this file runs as the SMTP server's process. ----
if (values['serve-sink']) {
  let accepted = 0;
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    logger: false,
    closeTimeout: 100,
    size: 10 * 1024 * 1024,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.once('end', () => {
        accepted += 1;
        callback(null, 'OK: queued');
      });
    },
  });
  server.on('error', () => {});
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.server.address() as AddressInfo).port }));
  process.on('message', (m: { type: string }) => {
    if (m.type === 'count') process.send!({ accepted, connections });
    if (m.type === 'stop') server.close(() => process.exit(0));
  });
} else {
  await main();
}

type SinkCounts = { accepted: number; connections: number };

async function startSink(): Promise<{ child: ChildProcess; port: number; counts(): Promise<SinkCounts>; stop(): Promise<void> }> {
  const child = fork(import.meta.filename, ['--serve-sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  return {
    child,
    port,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (m: SinkCounts) => resolve(m));
        child.send({ type: 'count' });
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}

/** Runs `work` over 0..n-1 with `lanes` at a time. */
async function lanes(n: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await work(next++);
  }));
}

/** Times every statement by its kind and first table (one lane, so time is the statement's own). */
function statementTimer() {
  const started = new Map<unknown, { label: string; at: number }>();
  const totals = new Map<string, { n: number; ms: number }>();
  const label = (node: RootOperationNode): string => {
    const firstTable = (value: unknown): string | undefined => {
      if (!value || typeof value !== 'object') return undefined;
      const v = value as { kind?: string; table?: { identifier?: { name?: string } } };
      if (v.kind === 'TableNode') return v.table?.identifier?.name;
      for (const child of Object.values(value)) {
        const found = firstTable(child);
        if (found) return found;
      }
      return undefined;
    };
    const table = firstTable(node);
    if (node.kind === 'RawNode') {
      const raw = JSON.stringify(node).match(/(select set_config|UPDATE message m|UPDATE journey_run r|select pg_notify|begin|commit)/i)?.[1];
      return `raw: ${raw ?? 'other'}`;
    }
    const lock = node.kind === 'SelectQueryNode' && (node as { forUpdate?: unknown }).forUpdate ? ' for update' : '';
    return `${node.kind.replace('QueryNode', '').toLowerCase()} ${table ?? '?'}${lock}`;
  };
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      started.set(args.queryId, { label: label(args.node), at: performance.now() });
      return args.node;
    },
    async transformResult(args) {
      const s = started.get(args.queryId);
      if (s) {
        started.delete(args.queryId);
        const t = totals.get(s.label) ?? { n: 0, ms: 0 };
        t.n += 1;
        t.ms += performance.now() - s.at;
        totals.set(s.label, t);
      }
      return args.result;
    },
  };
  return { plugin, totals };
}

async function main(): Promise<void> {
  const engine = values.engine;
  if (engine !== 'pglite' && engine !== 'postgres') throw new Error('--engine is pglite or postgres');
  const n = Number(values.messages);
  const concurrency = Number(values.concurrency);
  const sink = await startSink();
  const smtpUrl = `smtp://127.0.0.1:${sink.port}/?maxConnections=${concurrency}`;
  const { database, drop } = await openScratchDatabase(engine, { serverUrl: values.server, poolMax: concurrency + 4, prefix: 'rapport_bench_dispatch' });
  const rows: string[] = [];
  try {
    await migrateToLatest(database.db);
    const tenant = await createTenant(database.db, { name: 'Bench Clinic', slug: `bench-${randomBytes(3).toString('hex')}`, timeZone: 'America/New_York' });
    const context: TenantContext = { tenantId: tenant.id, actor: { type: 'system', id: null } };
    const text = 'Hi Alex,\n\nThis is a reminder of your Follow-up visit with Dr. Test Practitioner tomorrow at 10:00 AM at Main Street Clinic, 1 Test Street.\n\nPlease confirm, or let us know if you cannot come.\n\nBench Clinic';
    const subject = 'Reminder: Follow-up visit tomorrow at 10:00 AM';

    const seed = async (count: number, prefix: string) => {
      const ids = await withTenant(database.db, context, async (scope) => {
        const { rows } = await sql<{ id: string }>`
          insert into patient (tenant_id, given_name, family_name, email, quiet_hours_start, quiet_hours_end)
          select ${tenant.id}, 'Bench' || g, 'Patient', ${prefix} || g || '@example.com', '00:00', '00:00'
            from generate_series(1, ${count}) g
          returning id`.execute(scope.tx);
        return rows.map((r) => r.id);
      });
      return ids;
    };

    /** Schedules one email per patient, due now, in transactions of 500. */
    const enqueue = async (patients: string[], key: string) => {
      const now = new Date();
      for (let i = 0; i < patients.length; i += 500) {
        await withTenant(database.db, context, async (scope) => {
          for (const [j, patientId] of patients.slice(i, i + 500).entries()) {
            await scheduleMessage(scope, { patientId, channel: 'email', purpose: 'care', idempotencyKey: `${key}:${i + j}`, dueAt: now, subject, body: text }, now);
          }
        });
      }
    };

    // ---- The ceiling: nodemailer alone, the same mails, the same concurrency, the same server. ----
    const ceiling = async (): Promise<number> => {
      const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, disableFileAccess: true, disableUrlAccess: true });
      const preferences = `https://rapport.test/preferences/${randomBytes(60).toString('base64url')}`;
      const unsubscribe = `https://rapport.test/api/public/preferences/${randomBytes(60).toString('base64url')}/unsubscribe?channel=email&purpose=care`;
      const html = emailHtml({ text, clinicName: 'Bench Clinic', unsubscribeUrl: unsubscribe, preferencesUrl: preferences });
      const before = (await sink.counts()).accepted;
      const started = performance.now();
      await lanes(n, concurrency, async (i) => {
        await transport.sendMail({
          from: '"Bench Clinic" <no-reply@bench.rapport.invalid>',
          to: `ceiling${i}@example.com`,
          subject,
          text: `${text}\n\n--\nBench Clinic\nUnsubscribe or change what we send you: ${preferences}`,
          html,
          headers: { ...listUnsubscribeHeaders(unsubscribe), 'X-Rapport-Message-Id': randomBytes(16).toString('hex') },
          messageId: messageIdFor(`ceiling:${i}:${randomBytes(4).toString('hex')}`),
        });
      });
      const seconds = (performance.now() - started) / 1000;
      transport.close();
      const accepted = (await sink.counts()).accepted - before;
      if (accepted !== n) throw new Error(`ceiling: the sink accepted ${accepted} of ${n}`);
      return n / seconds;
    };

    // ---- The pipeline: scheduleMessage, then the outbox worker through the SMTP adapter. ----
    const pipeline = async (round: number): Promise<{ enqueuePerSecond: number; dispatchPerSecond: number; endToEndPerSecond: number; outcomes: Record<string, number> }> => {
      const patients = await seed(n, `pipeline${round}.`);
      if (round === 0) await refreshStatistics(database.db);
      const adapters = adapterRegistry({ smtpUrl });
      const options: OutboxWorkerOptions = { db: database.db, clock: () => new Date(), adapters, baseUrl: 'https://rapport.test', worker: `bench-${round}`, concurrency, batchSize: 100, sendBatchSize: Number(values['send-batch'] ?? (engine === 'pglite' ? 100 : 25)) };
      const before = (await sink.counts()).accepted;
      const t0 = performance.now();
      await enqueue(patients, `bench:${round}`);
      const t1 = performance.now();
      const outcomes: Record<string, number> = {};
      let sent = 0;
      while (sent < n) {
        const pass = await runOutboxPass(options);
        for (const [k, v] of Object.entries(pass.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
        sent += pass.messages;
        if (pass.messages === 0) break;
      }
      const t2 = performance.now();
      await adapters.close();
      const accepted = (await sink.counts()).accepted - before;
      if (accepted !== n || outcomes.sent !== n) throw new Error(`pipeline: ${JSON.stringify(outcomes)}, the sink accepted ${accepted} of ${n}`);
      return { enqueuePerSecond: n / ((t1 - t0) / 1000), dispatchPerSecond: n / ((t2 - t1) / 1000), endToEndPerSecond: n / ((t2 - t0) / 1000), outcomes };
    };

    const c1 = await ceiling();
    const p = await pipeline(0);
    const c2 = await ceiling();
    const best = Math.max(c1, c2);
    const ratio = p.dispatchPerSecond / best;
    rows.push(
      `| ${engine} | nodemailer alone (the ceiling), best of two | ${best.toFixed(0)} | - | - |`,
      `| ${engine} | outbox worker + SMTP adapter (dispatch) | ${p.dispatchPerSecond.toFixed(0)} | ${(ratio * 100).toFixed(0)}% | ${ratio >= 0.5 ? 'yes' : 'no'} |`,
      `| ${engine} | scheduleMessage (enqueue, 500 per transaction) | ${p.enqueuePerSecond.toFixed(0)} | - | - |`,
      `| ${engine} | enqueue + dispatch, end to end | ${p.endToEndPerSecond.toFixed(0)} | ${((p.endToEndPerSecond / best) * 100).toFixed(0)}% | - |`,
    );
    console.log(`ceiling runs: ${c1.toFixed(0)} and ${c2.toFixed(0)} messages/s; sink connections so far: ${(await sink.counts()).connections}`);

    if (values.profile) {
      // One lane, the sandbox adapter: the database's share of a message, statement by statement.
      const patients = await seed(1000, 'profile.');
      await enqueue(patients, 'profile');
      const timer = statementTimer();
      const options: OutboxWorkerOptions = {
        db: database.db.withPlugin(timer.plugin),
        clock: () => new Date(),
        adapters: adapterRegistry({}),
        baseUrl: 'https://rapport.test',
        worker: 'bench-profile',
        concurrency: 1,
        batchSize: 100,
      };
      const t0 = performance.now();
      let done = 0;
      while (done < patients.length) {
        const pass = await runOutboxPass(options);
        done += pass.messages;
        if (!pass.messages) break;
      }
      const ms = performance.now() - t0;
      const total = [...timer.totals.values()].reduce((s, t) => s + t.ms, 0);
      console.log(`\nProfile (${engine}, one lane, sandbox adapter): ${(ms / done).toFixed(2)} ms per message, ${(total / done).toFixed(2)} ms of it in ${([...timer.totals.values()].reduce((s, t) => s + t.n, 0) / done).toFixed(1)} statements\n`);
      console.log('| statement | per message | ms per message | share |');
      console.log('|---|---:|---:|---:|');
      for (const [label, t] of [...timer.totals.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
        console.log(`| ${label} | ${(t.n / done).toFixed(2)} | ${(t.ms / done).toFixed(3)} | ${((t.ms / (ms)) * 100).toFixed(0)}% |`);
      }
    }
  } finally {
    await database.close();
    await drop();
    await sink.stop();
  }
  console.log(`\nMachine: ${machine()}; ${n} messages, concurrency ${concurrency}\n`);
  console.log('| engine | path | messages/s | of the ceiling | aim (half) met |');
  console.log('|---|---|---:|---:|---|');
  for (const r of rows) console.log(r);
}
