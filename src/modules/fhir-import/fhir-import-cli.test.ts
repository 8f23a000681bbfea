import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fhirProgress } from './cli.ts';

const BIN = path.resolve(import.meta.dirname, '../../../bin/rapport.js');
const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/synthea-r4');

/** Runs the real `rapport` binary against a PGlite data directory of the test's own. */
function rapport(dataDir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fhir import progress on the console', () => {
  test('a line per tenth when not on a terminal', () => {
    const lines: string[] = [];
    const progress = fhirProgress({ write: (s: string) => lines.push(s) } as never);
    for (let done = 0; done <= 1000; done += 50) progress.update({ done, total: 1000, file: 'a.json', files: 4, filesDone: Math.floor(done / 250) });
    progress.stop();
    assert.equal(lines.length, 11);
    assert.equal(lines.at(-1), '1000/1000 resources 100% (file 4/4)\n');
  });
});

describe('rapport import fhir', () => {
  let dataDir: string;
  let folder: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-fhir-cli-'));
    folder = mkdtempSync(path.join(tmpdir(), 'rapport-fhir-files-'));
    for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.json')).sort().slice(0, 3)) copyFileSync(path.join(FIXTURES, name), path.join(folder, name));
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  });

  test('usage errors exit 2 and say what was wrong', () => {
    const none = rapport(dataDir, 'import', 'fhir');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Name the FHIR Bundle file, NDJSON file or folder to import/);
    assert.match(none.stderr, /rapport import fhir PATH/);
    const missing = rapport(dataDir, 'import', 'fhir', path.join(dataDir, 'nope.json'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read ".*nope\.json": no such file or folder/);
  });

  test('dry run, import with a report per type, and an import again that changes nothing', () => {
    assert.equal(rapport(dataDir, 'tenant', 'create', '--name', 'Valley Clinic').code, 0);
    const dry = rapport(dataDir, 'import', 'fhir', folder, '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^Dry run of .*: \d+ resources\./);
    assert.match(dry.stdout, /Nothing was stored \(dry run\)/);

    const real = rapport(dataDir, 'import', 'fhir', folder, '--tenant', 'valley-clinic');
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /^ {2}Patient +3 +0 +0 +0 +0$/m);
    assert.match(real.stdout, /^Skipped:\n {2}Observation: \d+ not kept by Rapport$/m);
    assert.match(real.stderr, /resources 100% \(file 3\/3\)/);
    assert.match(real.stderr, /\d+ resources in [\d.]+s \(\d+\/s\)/);

    const again = rapport(dataDir, 'import', 'fhir', folder);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^ {2}total +0 +0 +\d+ +\d+ +0$/m);
  });
});
