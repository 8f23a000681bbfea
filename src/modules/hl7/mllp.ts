import net from 'node:net';
import type { Logger } from 'pino';

/**
 * MLLP (Minimal Lower Layer Protocol) over TCP: each message travels as <VT> message <FS><CR>.
 * Our own framing on node:net instead of node-hl7-server (decision 0022): messages on one
 * connection are answered one at a time and in order, the answer is whatever the handler returns
 * (written only once it has committed), bytes outside a frame are dropped, an oversized or
 * unfinished frame is discarded without taking the connection or the listener down.
 */

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

/** Wraps one message in an MLLP frame. */
export function frame(message: string): Buffer {
  return Buffer.concat([Buffer.from([VT]), Buffer.from(message, 'utf8'), Buffer.from([FS, CR])]);
}

export type FrameEvent = { frame: Buffer } | { oversized: true };

/**
 * Splits a byte stream into MLLP frames. Keeps at most `maxBytes` of an unfinished frame; a start
 * block inside a frame abandons the unfinished one (its sender gave up on it) and starts anew.
 */
export function mllpDecoder(maxBytes: number) {
  let chunks: Buffer[] = [];
  let size = 0;
  let inFrame = false;
  let skipping = false;
  return {
    push(data: Buffer): FrameEvent[] {
      const out: FrameEvent[] = [];
      let start = 0;
      for (let i = 0; i < data.length; i++) {
        const byte = data[i]!;
        if (byte === VT) {
          chunks = [];
          size = 0;
          inFrame = true;
          skipping = false;
          start = i + 1;
        } else if (byte === FS && inFrame) {
          if (!skipping) {
            chunks.push(data.subarray(start, i));
            out.push({ frame: Buffer.concat(chunks) });
          }
          chunks = [];
          size = 0;
          inFrame = false;
          skipping = false;
          if (data[i + 1] === CR) i++;
        } else if (inFrame && !skipping && size + (i - start + 1) > maxBytes) {
          out.push({ oversized: true });
          chunks = [];
          size = 0;
          skipping = true;
        }
      }
      if (inFrame && !skipping && start < data.length) {
        const rest = data.subarray(start);
        chunks.push(Buffer.from(rest));
        size += rest.length;
      }
      return out;
    },
    /** Bytes of an unfinished frame held, for the log when a connection closes mid-frame. */
    pending: () => (inFrame ? size : 0),
  };
}

/** The text of a frame: UTF-8 unless MSH-18 names ISO 8859-1. */
export function decodeFrame(bytes: Buffer): string {
  const latin = bytes.toString('latin1');
  const msh = latin.slice(0, latin.search(/[\r\n]|$/));
  const sep = msh[3];
  const charset = sep ? (msh.split(sep)[17] ?? '') : '';
  return /8859\/1|ISO-8859-1|ISO_IR 100/i.test(charset) ? latin : bytes.toString('utf8');
}

export type MllpServer = { port: number; host: string; connections(): number; close(): Promise<void> };

export type MllpOptions = {
  host: string;
  port: number;
  maxMessageBytes: number;
  /** Answers one message; must not throw (a throw closes that connection only). */
  onMessage(text: string, remote: { ip?: string | undefined }): Promise<string>;
  /** What to answer a frame larger than maxMessageBytes. */
  onOversized(): string;
  logger?: Logger | undefined;
};

/** Starts listening; resolves once bound (port 0 picks a free port). */
export async function startMllpServer(options: MllpOptions): Promise<MllpServer> {
  const sockets = new Set<net.Socket>();
  const idle = new Set<Promise<void>>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = mllpDecoder(options.maxMessageBytes);
    const remote = { ip: socket.remoteAddress };
    // One message at a time per connection, in the order they came.
    let queue = Promise.resolve();
    socket.on('data', (data: Buffer) => {
      for (const event of decoder.push(data)) {
        queue = queue.then(async () => {
          if (socket.destroyed) return;
          const answer = 'oversized' in event ? options.onOversized() : await options.onMessage(decodeFrame(event.frame), remote);
          if (!socket.destroyed) socket.write(frame(answer));
        });
        const running = queue.catch((error: unknown) => {
          options.logger?.error({ err: error }, 'mllp connection failed');
          socket.destroy();
        });
        idle.add(running);
        void running.finally(() => idle.delete(running));
      }
    });
    socket.on('error', (error) => options.logger?.debug({ err: error }, 'mllp socket error'));
    socket.on('close', () => {
      sockets.delete(socket);
      if (decoder.pending()) options.logger?.warn({ bytes: decoder.pending() }, 'mllp connection closed in the middle of a message; it was discarded');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.logger?.error({ err: error }, 'mllp listener error'));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    host: options.host,
    connections: () => sockets.size,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Messages being applied finish and are answered; then the connections go.
      await Promise.all([...idle]);
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
