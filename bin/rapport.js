#!/usr/bin/env node
// Rapport's command-line entry point. npm scripts and npx put the project's pinned Node 24
// first on PATH; run directly on an older Node, this says so instead of failing obscurely.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18) || major === 23) {
  console.error(
    `Rapport needs Node.js 24 (this is ${process.version}). Run it through npm so the project's own Node is used: ` +
      '`npm start`, or `npx rapport <command>` from the project folder after `npm install`.',
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
