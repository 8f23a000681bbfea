import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifySignature } from './signature.ts';

/**
 * A webhook receiver for tests (and a worked example of verifying a delivery): a real HTTP server
 * on a loopback port that checks each request's signature with the secret it is given, records
 * what came, and answers as told: a status, or never (to test timeouts).
 */

export type Received = { headers: IncomingHttpHeaders; body: string; verified: boolean; event: { id: string; type: string; tenant: { id: string; slug: string }; data: Record<string, unknown> } };
export type Answer = number | 'hang';

export type TestReceiver = {
  url: string;
  received: Received[];
  /** The secrets signatures are checked with; set after creating the subscription. */
  secrets: string[];
  /** Answers for the next requests, in order; 200 once they run out. */
  answers: Answer[];
  close(): Promise<void>;
};

export async function startTestReceiver(options: { nowSeconds: () => number; path?: string }): Promise<TestReceiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: TestReceiver = { url: '', received: [], secrets: [], answers: [], close: async () => {} };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = request.headers[SIGNATURE_HEADER] as string | undefined;
      const verified = receiver.secrets.some((s) => verifySignature(s, header, body, options.nowSeconds()));
      receiver.received.push({ headers: request.headers, body, verified, event: JSON.parse(body) as Received['event'] });
      const answer = receiver.answers.shift() ?? 200;
      if (answer === 'hang') {
        hanging.add(response);
        return;
      }
      response.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 300 ? `receiver says ${answer}` : 'ok');
    });
  });
  // Idle keep-alive connections stay open until close (see fake-sms-provider.ts).
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}${options.path ?? '/hooks/rapport'}`;
  receiver.close = async () => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}
