import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildTestApp } from '../../test/helpers/app.ts';
import { openDatabase } from '../server/db/connection.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/rapport.js');

/** Runs the real `rapport` binary against a PGlite data directory of the test's own. */
function rapport(dataDir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rapport command line', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-cli-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('bad arguments print usage and exit non-zero', () => {
    const none = rapport(dataDir);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /Usage:/);
    const unknown = rapport(dataDir, 'frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown command "frobnicate"/);
    const badFlag = rapport(dataDir, 'seed', '--bogus');
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /bogus/);
    const missing = rapport(dataDir, 'user', 'create', '--email', 'a@b.example.org');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--role is required/);
    const badCount = rapport(dataDir, 'seed', '--patients', 'many');
    assert.equal(badCount.code, 2);
    assert.match(badCount.stderr, /--patients must be a whole number/);
    const badServices = rapport(dataDir, 'start', '--services=web,mailer');
    assert.equal(badServices.code, 2);
    assert.match(badServices.stderr, /--services takes/);
  });

  test('an invalid environment stops with a message naming the variable', () => {
    const r = spawnSync(process.execPath, [BIN, 'migrate'], {
      env: { ...process.env, PORT: 'eighty', RAPPORT_DEMO: 'maybe' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 78);
    assert.match(r.stderr, /PORT: must be a number \(got "eighty"\)/);
    assert.match(r.stderr, /RAPPORT_DEMO: must be true or false/);
  });

  test('migrate, tenant create, user create, token create and seed work together', async () => {
    assert.equal(rapport(dataDir, 'migrate').code, 0);
    const tenant = rapport(dataDir, 'tenant', 'create', '--name', 'Northside Dental', '--time-zone', 'Europe/Berlin');
    assert.equal(tenant.code, 0, tenant.stderr);
    assert.match(tenant.stdout, /slug northside-dental/);
    const dupe = rapport(dataDir, 'tenant', 'create', '--name', 'Northside Dental');
    assert.equal(dupe.code, 1);
    assert.match(dupe.stderr, /already exists/);
    const badZone = rapport(dataDir, 'tenant', 'create', '--name', 'X', '--time-zone', 'Mars/Olympus');
    assert.equal(badZone.code, 1);
    assert.match(badZone.stderr, /timeZone "Mars\/Olympus" is not an IANA time zone/);

    const user = rapport(dataDir, 'user', 'create', '--email', 'desk@northside.example.org', '--role', 'front_desk');
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stdout, /One-time password: \S{20,}/);
    const badRole = rapport(dataDir, 'user', 'create', '--email', 'x@northside.example.org', '--role', 'wizard');
    assert.equal(badRole.code, 1);
    assert.match(badRole.stderr, /role must be one of/);

    const seeded = rapport(dataDir, 'seed', '--patients', '120', '--seed', '7');
    assert.equal(seeded.code, 0, seeded.stderr);
    assert.match(seeded.stdout, /Added 120 patients and \d+ appointments to Northside Dental/);

    const token = rapport(dataDir, 'token', 'create', '--user', 'desk@northside.example.org');
    assert.equal(token.code, 0, token.stderr);
    const bearer = token.stdout.trim();
    assert.match(bearer, /^rpt_[A-Za-z0-9_-]{40,}$/);
    assert.equal(rapport(dataDir, 'token', 'create', '--user', 'ghost@northside.example.org').code, 1);

    // The printed token is accepted by the API.
    const database = await openDatabase({ dataDir, databaseUrl: undefined, databasePoolMax: 1 });
    const app = await buildTestApp(database);
    try {
      const res = await app.inject({ url: '/api/patients?limit=5', headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(res.statusCode, 200);
      assert.equal((JSON.parse(res.body) as { items: unknown[] }).items.length, 5);
    } finally {
      await app.close();
      await database.close();
    }
  });
});
