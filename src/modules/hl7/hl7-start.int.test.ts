import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { framed, rawExchange, readAck } from './testing.ts';

const BIN = path.resolve(import.meta.dirname, '../../../bin/rapport.js');

/** Runs the real `rapport start` and waits for a line of its banner. */
function start(env: NodeJS.ProcessEnv, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'start', ...args], {
    env: { ...process.env, PORT: '0', HL7_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', RAPPORT_DEMO: 'false', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => out,
    exited,
    waitFor: (pattern: RegExp, ms = 90_000) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${out}`)), ms);
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        };
        child.stdout.on('data', check);
        void exited.then(() => {
          clearTimeout(timer);
          if (!out.match(pattern)) reject(new Error(`exited before ${pattern}:\n${out}`));
        });
        check();
      }),
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

describe('rapport start --services=hl7', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-hl7-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('starts an MLLP listener alone, answers a message, and stops cleanly on SIGTERM', async () => {
    const proc = start({ RAPPORT_DATA_DIR: dataDir }, '--services=hl7');
    try {
      const [, port] = await proc.waitFor(/HL7 v2 \(MLLP\) listening on 127\.0\.0\.1:(\d+) for my-clinic/);
      assert.doesNotMatch(proc.output(), /running at http/, 'no web server without the web role');
      const message = [
        'MSH|^~\\&|RegApp|NorthClinic|Rapport|Clinic|20260101090000+0000||ADT^A04^ADT_A01|P1|P|2.5',
        'PID|1||P-1^^^NorthMRN^MR||Hale^June||19800101|F',
      ].join('\r');
      const [ack] = await rawExchange(Number(port), framed(message), 1);
      assert.equal(readAck(ack!).code, 'AA');
    } finally {
      assert.equal(await proc.stop(), 0, proc.output());
    }
  });

  test('with web and worker too; HL7_TENANT naming no clinic stops the start with a configuration error', async () => {
    const proc = start({ RAPPORT_DATA_DIR: dataDir }, '--services=web,worker,hl7');
    try {
      const [, url] = await proc.waitFor(/running at (http:\/\/\S+) \(web \+ worker \+ hl7/);
      const [, port] = await proc.waitFor(/HL7 v2 \(MLLP\) listening on 127\.0\.0\.1:(\d+)/);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      const [ack] = await rawExchange(Number(port), framed('MSH|^~\\&|RegApp|NorthClinic|Rapport|Clinic|20260101090000+0000||ORU^R01|P2|P|2.5'), 1);
      assert.equal(readAck(ack!).code, 'AR');
    } finally {
      assert.equal(await proc.stop(), 0, proc.output());
    }
    const wrong = start({ RAPPORT_DATA_DIR: dataDir, HL7_TENANT: 'no-such-clinic' }, '--services=hl7');
    assert.equal(await wrong.exited, 78, wrong.output());
    assert.match(wrong.output(), /HL7_TENANT: no clinic has the slug "no-such-clinic"/);
  });
});
