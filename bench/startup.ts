// Start-up benchmark: time from `npx rapport start` to /readyz answering, and resident memory
// at idle, on PGlite with the demo clinic and with 100,000 seeded patients. A bare Fastify
// server on the same Node runs in the same session as the peer, so the figures can be read
// against what the runtime itself costs. Usage: node bench/startup.ts [--patients N]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, machine, processTree, run, sleep, stopGroup, timeToReady } from './lib.ts';

const { values } = parseArgs({ options: { patients: { type: 'string', default: '100000' }, idle: { type: 'string', default: '10' } } });
const patients = Number(values.patients);
const idleSeconds = Number(values.idle);
const AIM = { readyMs: 5000, rssMb: 300 };

// rssMb: the Rapport process itself; treeMb: with the npx and shell processes that launched it.
type Row = { scenario: string; readyMs: number; rssMb: number; peakMb: number; treeMb: number; note?: string };
const rows: Row[] = [];

async function measure(scenario: string, dataDir: string, note?: string): Promise<void> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  const { child, ms } = await timeToReady('npx', ['--no-install', 'rapport', 'start'], env, `http://127.0.0.1:${port}/readyz`);
  await sleep(idleSeconds * 1000);
  const tree = processTree(child.pid!);
  // The Node process running Rapport itself, under npx's npm and shell processes.
  const rapport = tree.findLast((p) => /^\S*node\S* \S*rapport(\.js)? start/.test(p.command));
  if (!rapport) throw new Error(`no rapport process among ${tree.map((p) => p.command).join('; ')}`);
  const treeMb = tree.reduce((sum, p) => sum + p.rssMb, 0);
  await stopGroup(child);
  rows.push({ scenario, readyMs: Math.round(ms), rssMb: rapport.rssMb, peakMb: rapport.peakMb, treeMb, ...(note ? { note } : {}) });
  console.log(
    `${scenario}: ready in ${Math.round(ms)} ms; Rapport ${rapport.rssMb} MB resident after ${idleSeconds} s idle ` +
      `(peak ${rapport.peakMb} MB), ${treeMb} MB with npx`,
  );
}

async function peer(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'rapport-peer-'));
  const script = path.join(dir, 'peer.mjs');
  writeFileSync(
    script,
    `import Fastify from ${JSON.stringify(path.resolve('node_modules/fastify/fastify.js'))};
     const app = Fastify(); app.get('/readyz', async () => ({ status: 'ready' }));
     await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });`,
  );
  const port = await freePort();
  const { child, ms } = await timeToReady(process.execPath, [script], { ...process.env, PORT: String(port) }, `http://127.0.0.1:${port}/readyz`);
  await sleep(idleSeconds * 1000);
  const [proc] = processTree(child.pid!);
  await stopGroup(child);
  rows.push({ scenario: 'peer: bare Fastify on the same Node', readyMs: Math.round(ms), rssMb: proc!.rssMb, peakMb: proc!.peakMb, treeMb: proc!.rssMb });
  const rss = proc!.rssMb;
  console.log(`peer: ready in ${Math.round(ms)} ms, ${rss} MB`);
  rmSync(dir, { recursive: true, force: true });
}

const demoDir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-demo-'));
const bigDir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-big-'));
try {
  console.log(`machine: ${machine()}`);
  await peer();
  await measure('demo clinic, first start (migrate + seed 300 patients)', demoDir);
  await measure('demo clinic, second start', demoDir);

  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: bigDir, RAPPORT_DEMO: 'false', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  run(process.execPath, ['bin/rapport.js', 'tenant', 'create', '--name', 'Bench Clinic', '--time-zone', 'America/New_York'], env);
  const seeded = run(process.execPath, ['bin/rapport.js', 'seed', '--patients', String(patients), '--seed', '1'], env);
  console.log(`seed: ${seeded.stdout.trim()} (${(seeded.ms / 1000).toFixed(1)} s wall)`);
  await measure(`${patients.toLocaleString('en-US')} patients`, bigDir, seeded.stdout.trim());

  console.log('\n| scenario | ready (ms) | Rapport resident at idle (MB) | peak during start (MB) | with npx (MB) | within aim |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const within = r.scenario.startsWith('peer') ? '-' : r.readyMs <= AIM.readyMs && r.rssMb <= AIM.rssMb ? 'yes' : 'NO';
    console.log(`| ${r.scenario} | ${r.readyMs} | ${r.rssMb} | ${r.peakMb} | ${r.treeMb} | ${within} |`);
  }
  console.log(`\naim: ready in under ${AIM.readyMs} ms, under ${AIM.rssMb} MB resident`);
} finally {
  rmSync(demoDir, { recursive: true, force: true });
  rmSync(bigDir, { recursive: true, force: true });
}
