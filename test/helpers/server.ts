import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../bin/rapport.js');

export type RunningServer = {
  url: string;
  adminEmail: string;
  adminPassword: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
};

/**
 * Starts the real `rapport start` on a free port with a fresh PGlite data directory (or an extra
 * environment), and waits for the banner that prints the URL and the administrator's password.
 */
export async function startServer(env: Record<string, string> = {}, timeoutMs = 90_000): Promise<RunningServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-e2e-'));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [BIN, 'start'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));

  const banner = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = out.match(/running at (http:\/\/\S+)[\s\S]*Sign in as (\S+) with password (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });

  return {
    url: banner[1]!,
    adminEmail: banner[2]!,
    adminPassword: banner[3]!,
    process: child,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
