// Builds the React app into dist/web. With --if-stale it does nothing when the build is newer
// than every source file, so `npm start` stays quick after the first time.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, statSync } from 'node:fs';
import path from 'node:path';

const out = 'dist/web/index.html';
if (process.argv.includes('--if-stale') && existsSync(out)) {
  const built = statSync(out).mtimeMs;
  // The web app also imports the template language and the error type for live checks.
  const sources = [...globSync('src/web/**/*'), ...globSync('src/shared/**/*'), 'src/modules/messaging/templates.ts', 'src/modules/messaging/types.ts', 'src/server/errors.ts', 'vite.config.ts', 'package-lock.json'];
  if (sources.every((f) => statSync(f).mtimeMs <= built)) process.exit(0);
}
// The project's own vite, whether or not npm has put node_modules/.bin on PATH.
const vite = path.join(import.meta.dirname, '..', 'node_modules', '.bin', 'vite');
const result = spawnSync(vite, ['build', '--config', 'vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
if (result.error) console.error(`Could not run ${vite}: ${result.error.message}`);
process.exit(result.status ?? 1);
