// Patient create throughput through the API: a real `rapport start` on PGlite (or on PostgreSQL
// with --database-url), signed in as the administrator, POST /api/patients with synthetic
// patients at a fixed concurrency. In the same run, GET /api/auth/me at the same concurrency is
// the floor: an authenticated request that touches the database once.
// Usage: node bench/patient-create.ts [--patients 2000] [--concurrency 8] [--database-url URL]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, machine, stopGroup, timeToReady } from './lib.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '8' },
    'database-url': { type: 'string' },
  },
});
const total = Number(values.patients);
const concurrency = Number(values.concurrency);

const GIVEN = ['Ava', 'Liam', 'Maya', 'Noah', 'Zoe', 'Omar', 'Iris', 'Theo', 'Lena', 'Ravi', 'Nora', 'Felix'];
const FAMILY = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Haddad', 'Novak', 'Reyes', 'Brennan', 'Osei', 'Kowalski'];

/** A distinct synthetic patient per index: fictional 555-01xx numbers, example.org emails. */
function patient(i: number) {
  const given = GIVEN[i % GIVEN.length]!;
  const family = `${FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]}-${i}`;
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((Math.floor(i / 28) % 12) + 1).padStart(2, '0');
  return {
    givenName: given,
    familyName: family,
    birthDate: `${1940 + (i % 80)}-${month}-${day}`,
    phones: [{ value: `(413) 555-01${String(i % 100).padStart(2, '0')}` }],
    emails: [{ value: `${given}.${i}@example.org`.toLowerCase() }],
    address: { line: `${i} Elm Street`, city: 'Springfield', postalCode: '01103' },
    mrn: `BENCH-${i}`,
  };
}

async function drive(count: number, send: (i: number) => Promise<number>): Promise<{ perSecond: number; p50: number; p95: number; failures: number }> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        const status = await send(i);
        latencies.push(performance.now() - t);
        if (status >= 300) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { perSecond: count / seconds, p50: at(0.5), p95: at(0.95), failures };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-create-'));
const port = await freePort();
const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', RAPPORT_DEMO: 'false' };
delete env.DATABASE_URL;
if (values['database-url']) env.DATABASE_URL = values['database-url'];
const base = `http://127.0.0.1:${port}`;
const server = await timeToReady(process.execPath, ['bin/rapport.js', 'start'], env, `${base}/readyz`);
try {
  let banner = '';
  for (let i = 0; i < 100 && !/with password/.test(banner); i++) {
    banner = server.output();
    await new Promise((r) => setTimeout(r, 50));
  }
  const [, email, password] = banner.match(/Sign in as (\S+) with password (\S+)/) ?? [];
  if (!email) throw new Error(`no administrator in the banner (use an empty database):\n${banner}`);
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';

  console.log(`machine: ${machine()}; engine: ${values['database-url'] ? 'PostgreSQL server' : 'PGlite'}; concurrency ${concurrency}`);
  const floor = await drive(total, async () => (await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status);
  const creates = await drive(total, async (i) => {
    const res = await fetch(`${base}/api/patients`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(patient(i)),
    });
    if (res.status !== 201) console.error(`create ${i}: ${res.status} ${await res.text()}`);
    else await res.arrayBuffer();
    return res.status;
  });
  console.log('\n| request | n | per second | p50 (ms) | p95 (ms) | failures |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, r] of [['GET /api/auth/me (floor)', floor], ['POST /api/patients', creates]] as const) {
    console.log(`| ${name} | ${total} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.failures} |`);
  }
} finally {
  await stopGroup(server.child);
  rmSync(dataDir, { recursive: true, force: true });
}
