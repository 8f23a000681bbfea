import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { guardedLookup, refusedAddress, urlProblem, type TargetPolicy } from './target.ts';

/**
 * One POST to a receiver. node:http rather than fetch because the connection's address must be
 * checked as it is dialled (guardedLookup), and because a redirect must not be followed (it is a
 * failed attempt: the receiver's URL is wrong). One deadline covers connecting, the answer and its
 * body; only the first bytes of the body are read.
 */

/** How much of a receiver's answer is kept in the attempt log. */
export const RESPONSE_KEEP = 1000;
const RESPONSE_READ = 8 * 1024;

export type PostResult = {
  statusCode: number | null;
  /** Why there is no usable answer: a timeout, a refused connection, a refused address. */
  error: string | null;
  responseBody: string | null;
  durationMs: number;
  retryAfterSeconds: number | null;
};

export async function postWebhook(
  target: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; policy: TargetPolicy },
): Promise<PostResult> {
  const started = performance.now();
  const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
  const problem = urlProblem(target, options.policy);
  if (problem) return done({ statusCode: null, error: `refused: the URL ${problem}`, responseBody: null, retryAfterSeconds: null });
  const url = new URL(target);
  const literal = refusedAddress(url.hostname, options.policy);
  if (literal) return done({ statusCode: null, error: `refused: ${literal}`, responseBody: null, retryAfterSeconds: null });

  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<PostResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(r));
    };
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.policy) as never,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const end = () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const retryAfter = response.headers['retry-after'];
          finish({
            statusCode: response.statusCode ?? null,
            error: null,
            responseBody: text ? (text.length > RESPONSE_KEEP ? `${text.slice(0, RESPONSE_KEEP)}…` : text) : null,
            retryAfterSeconds: typeof retryAfter === 'string' && /^\d{1,7}$/.test(retryAfter.trim()) ? Number(retryAfter) : null,
          });
        };
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_READ) chunks.push(chunk);
          size += chunk.length;
          // Enough is read: stop downloading whatever else the receiver sends.
          if (size >= RESPONSE_READ) {
            end();
            response.destroy();
          }
        });
        response.on('end', end);
        response.on('error', end);
      },
    );
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `timeout: no answer within ${options.timeoutMs} ms`, responseBody: null, retryAfterSeconds: null });
      request.destroy();
    }, options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      const detail = error.code === 'EWEBHOOKTARGET' ? error.message : `connection failed (${error.code ?? error.message})`;
      finish({ statusCode: null, error: detail.slice(0, 1000), responseBody: null, retryAfterSeconds: null });
    });
    request.end(body);
  });
}
