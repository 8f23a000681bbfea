// `npm test`: typecheck, lint, then every test in one node --test run (so one summary closes it).
// Database tests run on PGlite, and on the PostgreSQL server too when DATABASE_URL is set.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';

function run(label: string, command: string, args: string[]): void {
  process.stdout.write(`\n> ${label}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stdout.write(`\n${label} failed.\n`);
    process.exit(result.status ?? 1);
  }
}

const only = process.argv.slice(2);
if (only.length === 0) {
  run('typecheck', 'tsc', ['--noEmit', '-p', 'tsconfig.json']);
  run('lint', 'eslint', ['--max-warnings', '0', '.']);
  run('build web UI', process.execPath, ['scripts/build-web.ts', '--if-stale']);
}

const files = only.length
  ? only
  : globSync(['src/**/*.test.ts', 'test/**/*.test.ts'], { exclude: (f) => f.includes('node_modules') }).sort();
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=120000', ...files],
  { stdio: 'inherit', env: process.env },
);
process.exit(result.status ?? 1);
