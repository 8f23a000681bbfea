import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { openTestDatabase, type TestDatabase } from '../../test/helpers/database.ts';
import { startJobRunner } from '../jobs/runner.ts';
import { testConfig } from '../../test/helpers/app.ts';
import { withSystem } from './db/scope.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/rapport.js');

type Proc = { child: ChildProcess; output(): string; waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>; stop(): Promise<void> };

/** Runs the real `rapport start` with its own environment and collects what it prints. */
function rapportStart(env: NodeJS.ProcessEnv, ...args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, 'start', ...args], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    child,
    output: () => out,
    waitFor: (pattern, ms = 90_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${out}`)), ms);
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            clearTimeout(timer);
            child.stdout!.off('data', check);
            resolve(m);
          }
        };
        child.stdout!.on('data', check);
        child.once('exit', (code) => {
          clearTimeout(timer);
          if (!out.match(pattern)) reject(new Error(`exited with ${code} before ${pattern}:\n${out}`));
        });
        check();
      }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe('rapport start on the embedded database', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('the first start prints the administrator password once; the second reuses the data and prints none', async () => {
    const env = { RAPPORT_DATA_DIR: dataDir, RAPPORT_DEMO: 'false', DATABASE_URL: '' };
    const first = rapportStart(env);
    try {
      const [, url] = await first.waitFor(/running at (http:\/\/\S+)/);
      await first.waitFor(/Sign in as admin@my-clinic\.example\.org with password \S+/);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      // A second process on the same embedded database is refused instead of corrupting it.
      const clash = spawnSync(process.execPath, [BIN, 'migrate'], {
        env: { ...process.env, ...env, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      });
      assert.equal(clash.status, 1);
      assert.match(clash.stderr, /in use by another Rapport process \(pid \d+\)/);
    } finally {
      await first.stop();
    }
    assert.equal(first.child.exitCode, 0, `a clean shutdown on SIGTERM:\n${first.output()}`);

    const second = rapportStart(env);
    try {
      const [, url] = await second.waitFor(/running at (http:\/\/\S+)/);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
    } finally {
      await second.stop();
    }
    assert.doesNotMatch(second.output(), /password/i);
  });
});

const serverUrl = process.env.DATABASE_URL;
describe(
  'several web and worker processes on one PostgreSQL database',
  { skip: serverUrl ? false : 'DATABASE_URL is not set; this runs only against a PostgreSQL server' },
  () => {
    let database: TestDatabase;
    const procs: Proc[] = [];
    after(async () => {
      await Promise.all(procs.map((p) => p.stop()));
      await database?.dispose();
    });

    test('two web processes and a worker start together, share one clinic, and the worker runs jobs', async () => {
      database = await openTestDatabase('postgres', { migrate: false });
      const env = { DATABASE_URL: database.url!, RAPPORT_DEMO: 'true' };
      // All three race through migration and first start at the same moment.
      procs.push(rapportStart(env, '--services=web'), rapportStart(env, '--services=web'), rapportStart(env, '--services=worker'));
      const banners = await Promise.all(procs.map((p) => p.waitFor(/Rapport is running[^\n]*\n/)));
      const urls = banners.map((b) => b[0].match(/running at (http:\/\/\S+)/)?.[1]).filter(Boolean) as string[];
      assert.equal(urls.length, 2, 'the worker has no web address');
      assert.match(banners[2]![0], /\(worker, PostgreSQL server\)/);

      const passwords = procs.filter((p) => /with password/.test(p.output()));
      assert.equal(passwords.length, 1, 'exactly one process created the clinic and printed its password');
      const tenants = await withSystem(database.db, (tx) => tx.selectFrom('tenant').select('name').execute());
      assert.deepEqual(tenants, [{ name: 'Demo Clinic' }]);

      const [, email, password] = passwords[0]!.output().match(/Sign in as (\S+) with password (\S+)/)!;
      for (const url of urls) {
        assert.equal((await fetch(`${url}/readyz`)).status, 200);
        const login = await fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        });
        assert.equal(login.status, 200, `sign-in through ${url}`);
      }

      // A job sent from elsewhere (here: this test, as a web process would) is run by the worker process.
      const config = testConfig();
      const sender = await startJobRunner({
        database,
        deps: { db: database.db, clock: () => new Date(), config },
        logger: pino({ level: 'silent' }),
        work: false,
      });
      try {
        const id = await sender.send('housekeeping.purge-credentials');
        let state: string | undefined;
        for (let i = 0; i < 150 && state !== 'completed' && state !== 'failed'; i++) {
          await new Promise((r) => setTimeout(r, 200));
          state = await sender.state('housekeeping.purge-credentials', id);
        }
        assert.equal(state, 'completed', procs[2]!.output());
      } finally {
        await sender.stop();
      }
    });
  },
);
