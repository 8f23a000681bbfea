// HL7 v2 over MLLP: messages per second through the real listener (node:net MLLP framing, parse,
// the work in one transaction, the log row, the ACK after commit), each connection sending one
// message and waiting for its ACK before the next, as MLLP senders do. ADT^A04 registrations of
// new patients, then ADT^A08 updates of the same patients, over one connection and over several,
// on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and PGlite. In the
// same run, the baselines: the same messages parsed and answered with an ACK without the database,
// and a bare MLLP echo.
// Usage: node bench/hl7.ts [--messages 1000] [--connections 4] [--engines postgres,pglite]
import net from 'node:net';
import { parseArgs } from 'node:util';
import { buildAck } from '../src/modules/hl7/ack.ts';
import { startHl7Listener } from '../src/modules/hl7/listener.ts';
import { frame, mllpDecoder, startMllpServer, type MllpServer } from '../src/modules/hl7/mllp.ts';
import { isParseFailure, parseMessage } from '../src/modules/hl7/parse.ts';
import { createTenant } from '../src/modules/tenants/service.ts';
import { migrateToLatest } from '../src/server/db/migrate.ts';
import { machine, openScratchDatabase } from './lib.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '4' },
    engines: { type: 'string', default: 'postgres,pglite' },
    'database-url': { type: 'string' },
  },
});
const MESSAGES = Number(values.messages);
const CONNECTIONS = Number(values.connections);
const SERVER = values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const GIVEN = ['Ada', 'Bea', 'Cleo', 'Dora', 'Eli', 'Finn', 'Gus', 'Hana', 'Ivo', 'Jun'];
const FAMILY = ['Stone', 'Reed', 'Vale', 'Hale', 'Moss', 'Lark', 'Penn', 'Rowe', 'Tate', 'Wynn'];

/** A made-up patient's A04 (registration) or A08 (update: another street and phone). */
function message(kind: 'A04' | 'A08', i: number, run: string): string {
  const phone = `(413) 555-01${String(i % 100).padStart(2, '0')}`;
  return [
    `MSH|^~\\&|BenchApp|BenchClinic|Rapport|Clinic|20260101090000+0000||ADT^${kind}^ADT_A01|${run}${kind}-${i}|P|2.5`,
    `EVN|${kind}|20260101090000+0000`,
    `PID|1||B${i}^^^BenchMRN^MR||${FAMILY[i % 10]}${Math.floor(i / 100)}^${GIVEN[Math.floor(i / 10) % 10]}||19${50 + (i % 50)}0${1 + (i % 9)}15|${i % 2 ? 'F' : 'M'}|||${kind === 'A04' ? 12 : 14} Elm Street^^Springfield^MA^01103^USA||${phone}^PRN^PH~^NET^Internet^p${i}@example.org||en`,
    'PV1|1|O',
  ].join('\r');
}

/** Sends `messages` over `connections` sockets, one in flight per socket; returns messages per second and the ACK codes. */
async function drive(port: number, messages: string[], connections: number): Promise<{ rate: number; codes: Map<string, number> }> {
  const codes = new Map<string, number>();
  const share = Array.from({ length: connections }, (_, c) => messages.filter((_, i) => i % connections === c));
  const started = performance.now();
  await Promise.all(
    share.map(
      (list) =>
        new Promise<void>((resolve, reject) => {
          const decoder = mllpDecoder(1 << 20);
          let next = 0;
          const socket = net.connect({ host: '127.0.0.1', port }, () => (list.length ? socket.write(frame(list[next++]!)) : socket.end()));
          socket.on('data', (data: Buffer) => {
            for (const event of decoder.push(data)) {
              if (!('frame' in event)) continue;
              const code = /\rMSA\|(\w\w)/.exec(event.frame.toString())?.[1] ?? 'none';
              codes.set(code, (codes.get(code) ?? 0) + 1);
              if (next < list.length) socket.write(frame(list[next++]!));
              else socket.end();
            }
          });
          socket.on('close', () => resolve());
          socket.on('error', reject);
        }),
    ),
  );
  return { rate: messages.length / ((performance.now() - started) / 1000), codes };
}

const rows: string[] = [];
const record = (engine: string, workload: string, connections: number, result: { rate: number; codes: Map<string, number> }) => {
  const acks = [...result.codes].map(([c, n]) => `${n} ${c}`).join(', ');
  rows.push(`| ${engine} | ${workload} | ${connections} | ${Math.round(result.rate).toLocaleString('en-US')} | ${acks} |`);
  process.stderr.write(`${engine} ${workload} x${connections}: ${Math.round(result.rate)} msg/s (${acks})\n`);
};

async function baselines(): Promise<void> {
  const sample = Array.from({ length: MESSAGES }, (_, i) => message('A04', i, 'base'));
  const servers: Array<[string, MllpServer]> = [
    ['MLLP echo (no parse, no database)', await startMllpServer({ host: '127.0.0.1', port: 0, maxMessageBytes: 1 << 20, onMessage: async (t) => t, onOversized: () => '' })],
    [
      'parse + ACK, no database',
      await startMllpServer({
        host: '127.0.0.1',
        port: 0,
        maxMessageBytes: 1 << 20,
        onOversized: () => '',
        onMessage: async (text) => {
          const parsed = parseMessage(text);
          const header = isParseFailure(parsed) ? (parsed.header ?? {}) : parsed.header;
          return buildAck({ code: isParseFailure(parsed) ? 'AR' : 'AA', header, issues: [], controlId: 'R1', now: new Date(), application: 'Rapport' });
        },
      }),
    ],
  ];
  for (const [name, server] of servers) {
    for (const c of [1, CONNECTIONS]) record('-', name, c, await drive(server.port, sample, c));
    await server.close();
  }
}

async function onEngine(engine: 'postgres' | 'pglite'): Promise<void> {
  const { database, drop } = await openScratchDatabase(engine, { serverUrl: SERVER, poolMax: CONNECTIONS + 2, prefix: 'rapport_bench_hl7' });
  try {
    await migrateToLatest(database.db);
    const tenant = await createTenant(database.db, { name: 'Bench Clinic', slug: 'bench-hl7', timeZone: 'America/New_York' });
    const listener = await startHl7Listener({ db: database.db, clock: () => new Date(), host: '127.0.0.1', port: 0, tenant: { id: tenant.id, slug: tenant.slug } });
    try {
      for (const c of [1, CONNECTIONS]) {
        const run = `c${c}`;
        const offset = c === 1 ? 0 : MESSAGES;
        const ids = Array.from({ length: MESSAGES }, (_, i) => i + offset);
        record(engine, 'ADT^A04 new patient', c, await drive(listener.port, ids.map((i) => message('A04', i, run)), c));
        record(engine, 'ADT^A08 update', c, await drive(listener.port, ids.map((i) => message('A08', i, run)), c));
        record(engine, 'resend (same MSH-10)', c, await drive(listener.port, ids.map((i) => message('A08', i, run)), c));
      }
    } finally {
      await listener.close();
      await database.close();
    }
  } finally {
    await drop();
  }
}

await baselines();
for (const engine of values.engines!.split(',') as Array<'postgres' | 'pglite'>) await onEngine(engine);
process.stdout.write(
  [
    '',
    `HL7 v2 over MLLP, ${MESSAGES} messages per workload; ${machine()}`,
    '',
    '| engine | workload | connections | messages/s | ACKs |',
    '|---|---|---:|---:|---|',
    ...rows,
    '',
  ].join('\n'),
);
