import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client, Message, type HL7Version } from 'node-hl7-client';
import { frame, mllpDecoder } from './mllp.ts';

/** Helpers the HL7 tests and the benchmark share: the fixtures, a real MLLP client, a raw socket. */

export const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/hl7v2');

export const fixture = (name: string) => readFileSync(path.join(FIXTURES, `${name}.hl7`), 'utf8');

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e as Error)),
    );
  });

/**
 * node-hl7-client, an MLLP client nobody here wrote, connected to the listener: `send` sends one
 * message and resolves with the ACK as text (segments joined by CR).
 */
export function hl7Client(port: number, version: HL7Version = '2.8') {
  const client = new Client({ host: '127.0.0.1', version });
  const waiting: Array<(ack: string) => void> = [];
  const connection = client.createConnection({ port, version, waitAck: true }, async (response) => {
    waiting.shift()?.(response.getMessage().toString());
  });
  return {
    async send(text: string): Promise<string> {
      const ack = new Promise<string>((resolve) => waiting.push(resolve));
      await connection.sendMessage(new Message({ text: text.replace(/\r\n|\n/g, '\r').replace(/\r+$/, '') }));
      return within(ack, 15_000, 'ACK');
    },
    close: () => connection.close(),
  };
}

/** Writes raw bytes to the listener and collects `count` framed answers (or fewer, if it closes first). */
export function rawExchange(port: number, bytes: Buffer, count: number, ms = 15_000): Promise<string[]> {
  return within(
    new Promise<string[]>((resolve, reject) => {
      const answers: string[] = [];
      const decoder = mllpDecoder(1 << 20);
      const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
      socket.on('data', (data: Buffer) => {
        for (const event of decoder.push(data)) if ('frame' in event) answers.push(event.frame.toString('utf8'));
        if (answers.length >= count) {
          socket.end();
          resolve(answers);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(answers));
    }),
    ms,
    'answers',
  );
}

export const framed = (...messages: string[]) => Buffer.concat(messages.map((m) => frame(m)));

/** MSA-1 and the ERR segments of an ACK. */
export function readAck(ack: string): { code: string; controlId: string; errors: Array<{ location: string; code: string; severity: string; message: string }> } {
  const segments = ack.split(/\r\n|\r|\n/).filter(Boolean);
  const msa = segments.find((s) => s.startsWith('MSA|'))?.split('|') ?? [];
  return {
    code: msa[1] ?? '',
    controlId: msa[2] ?? '',
    errors: segments
      .filter((s) => s.startsWith('ERR|'))
      .map((s) => s.split('|'))
      .map((f) => ({ location: f[2] ?? '', code: (f[3] ?? '').split('^')[0]!, severity: f[4] ?? '', message: f[8] ?? '' })),
  };
}
