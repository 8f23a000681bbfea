import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { progressBar, progressPrinter } from './cli.ts';

const BIN = path.resolve(import.meta.dirname, '../../../bin/rapport.js');
const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/import');

/** Runs the real `rapport` binary against a PGlite data directory of the test's own. */
function rapport(dataDir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('progress on the console', () => {
  test('a bar with rows and percent; redrawn on a terminal, a line per tenth otherwise', () => {
    assert.equal(progressBar(120, 480, 20), '[#####---------------] 120/480 rows  25%');
    assert.equal(progressBar(0, 0, 4), '[####] 0/0 rows 100%');
    const tty: string[] = [];
    const onTty = progressPrinter({ isTTY: true, write: (s) => tty.push(s) });
    onTty(0, 2);
    onTty(2, 2);
    assert.deepEqual(tty, [`\r${progressBar(0, 2)}`, `\r${progressBar(2, 2)}\n`]);
    const log: string[] = [];
    const onLog = progressPrinter({ write: (s) => log.push(s) });
    for (let done = 0; done <= 1000; done += 50) onLog(done, 1000);
    assert.equal(log.length, 11, 'one line per tenth');
    assert.ok(log.every((line) => line.endsWith('\n') && !line.includes('\r')));
  });
});

describe('rapport import csv', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-import-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const file = (name: string) => path.join(FIXTURES, name);

  test('usage errors exit 2 and say what was wrong', () => {
    const none = rapport(dataDir, 'import', 'csv');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Name the CSV file to import/);
    assert.match(none.stderr, /rapport import csv FILE/);
    const missing = rapport(dataDir, 'import', 'csv', path.join(dataDir, 'nope.csv'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read ".*nope\.csv": no such file/);
    const badFormat = rapport(dataDir, 'import', 'csv', file('clinic-export.csv'), '--date-format', 'D.M.Y');
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /--date-format must be one of YYYY-MM-DD, MM\/DD\/YYYY, DD\/MM\/YYYY/);
    const badSpec = rapport(dataDir, 'import', 'csv', file('clinic-export.csv'), '--map', 'MRN');
    assert.equal(badSpec.code, 2);
    assert.match(badSpec.stderr, /--map: "MRN" is not COLUMN=field/);
  });

  test('dry run, import, and an import again that changes nothing', () => {
    assert.equal(rapport(dataDir, 'tenant', 'create', '--name', 'Valley Clinic').code, 0);

    const badMap = rapport(dataDir, 'import', 'csv', file('clinic-export.csv'), '--map', 'Chart=mrn');
    assert.equal(badMap.code, 2);
    assert.match(badMap.stderr, /--map: "Chart" is not a column of the file/);

    const dry = rapport(dataDir, 'import', 'csv', file('clinic-export-bad-row.csv'), '--dry-run', '--date-format', 'MM/DD/YYYY');
    assert.equal(dry.code, 1, dry.stderr);
    assert.match(dry.stdout, /Dry run of clinic-export-bad-row\.csv: 2 rows\./, dry.stderr);
    assert.match(dry.stdout, /created: {3}1/);
    assert.match(dry.stdout, /^line 3: DOB: is not a real date in the format MM\/DD\/YYYY or YYYY-MM-DD \(got "31\/12\/1980"\)$/m);
    assert.match(dry.stdout, /Nothing was stored \(dry run\)/);
    assert.match(dry.stderr, /1 of 2 rows failed/);
    assert.match(dry.stderr, /\[#+\] 2\/2 rows 100%/);

    const real = rapport(dataDir, 'import', 'csv', file('clinic-export.csv'), '--date-format', 'MM/DD/YYYY');
    assert.equal(real.code, 0, real.stderr + real.stdout);
    assert.match(real.stdout, /Imported clinic-export\.csv: 3 rows\./);
    assert.match(real.stdout, /created: {3}3\n/);
    assert.match(real.stdout, /failed: {4}0/);

    const again = rapport(dataDir, 'import', 'csv', file('clinic-export.csv'), '--date-format', 'MM/DD/YYYY');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /created: {3}0\n/);
    assert.match(again.stdout, /unchanged: 3/);

    const mixed = rapport(dataDir, 'import', 'csv', file('clinic-export-bad-row.csv'), '--date-format', 'MM/DD/YYYY');
    assert.equal(mixed.code, 1);
    assert.match(mixed.stdout, /unchanged: 1\n/);
    assert.match(mixed.stdout, /1 row\(s\) were skipped; nothing was stored for them:\nline 3: DOB:/);
  });

  test('consent columns: imported once, then unchanged; a bad answer is named in a dry run', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rapport-import-consent-'));
    try {
      assert.equal(rapport(dir, 'tenant', 'create', '--name', 'Hill Clinic').code, 0);
      const csv = path.join(dir, 'consent.csv');
      writeFileSync(csv, 'MRN,First Name,Last Name,SMS opt in,Marketing consent\nK-1,Ada,Lane,yes,no\nK-2,Ben,Moss,,yes\n');
      const first = rapport(dir, 'import', 'csv', csv, '--map', 'Marketing consent=consent:email:marketing');
      assert.equal(first.code, 0, first.stderr + first.stdout);
      assert.match(first.stdout, /created: {3}2\n/);
      const again = rapport(dir, 'import', 'csv', csv, '--map', 'Marketing consent=consent:email:marketing');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /unchanged: 2\n/);

      const bad = path.join(dir, 'bad.csv');
      writeFileSync(bad, 'MRN,SMS opt in\nK-1,no\nK-2,later\n');
      const dry = rapport(dir, 'import', 'csv', bad, '--dry-run');
      assert.equal(dry.code, 1, dry.stderr);
      assert.match(dry.stdout, /updated: {3}1\n/);
      assert.match(dry.stdout, /^line 3: SMS opt in: must be yes or no .* \(got "later"\)$/m);
      assert.match(dry.stdout, /Nothing was stored \(dry run\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
