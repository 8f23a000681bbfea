// Runs every benchmark in bench/ (or the ones named) one after another and prints their figures.
// Usage: npm run bench [-- startup]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const all = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''));
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`No benchmark "${name}". Available: ${all.join(', ')}`);
    process.exit(2);
  }
  console.log(`\n### ${name}\n`);
  const r = spawnSync(process.execPath, [`bench/${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
