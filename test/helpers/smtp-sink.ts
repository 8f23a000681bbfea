import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 for tests: it speaks the protocol to nodemailer, parses every
 * mail it accepts, and behaves as an idempotent provider would, so retries can be told apart from
 * deliveries. A mail whose Message-ID was already accepted is answered 250 and counted as an
 * attempt, but is not a new delivery. Plain SMTP only (no STARTTLS, no AUTH required).
 */

export type SmtpSinkOptions = {
  /** Recipients answered 550 at RCPT TO (a synchronous bounce). */
  rejectRecipients?: RegExp;
  /** The next n mails are refused at the end of DATA with 451 (a transient failure). */
  failNext?: number;
};

export type SmtpSink = {
  /** smtp://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  /** Unique deliveries in arrival order: the first mail accepted for each Message-ID. */
  readonly messages: ParsedMail[];
  /** Every mail accepted, repeats included. */
  readonly received: ParsedMail[];
  /** DATA transactions, accepted or refused; a recipient refused at RCPT TO never gets that far. */
  readonly attempts: number;
  uniqueByMessageId(): Map<string, ParsedMail>;
  /** Resolves once `count` unique deliveries have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  /** Resolves once `count` DATA transactions have been answered; rejects after `timeoutMs`. */
  waitForAttempts(count: number, timeoutMs?: number): Promise<number>;
  /** Refuse the next n mails with 451. */
  failNext(n: number): void;
  close(): Promise<void>;
};

type Waiter = { ready: () => boolean; resolve: () => void };

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const unique = new Map<string, ParsedMail>();
  const messages: ParsedMail[] = [];
  const received: ParsedMail[] = [];
  let attempts = 0;
  let failing = options.failNext ?? 0;
  let anonymous = 0;
  const waiters = new Set<Waiter>();
  const settle = () => {
    for (const waiter of waiters) {
      if (!waiter.ready()) continue;
      waiters.delete(waiter);
      waiter.resolve();
    }
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    logger: false,
    // Tests close the sink while a pooled client may still hold a connection; don't linger 30 s.
    closeTimeout: 100,
    onRcptTo(address, _session, callback) {
      if (options.rejectRecipients?.test(address.address)) {
        callback(smtpError(550, `Mailbox unavailable: ${address.address}`));
      } else {
        callback();
      }
    },
    onData(stream, _session, callback) {
      if (failing > 0) {
        failing -= 1;
        // The whole message is read before answering, as a real server does.
        stream.resume();
        stream.once('end', () => {
          attempts += 1;
          callback(smtpError(451, 'Temporary failure, try again later'));
          settle();
        });
        return;
      }
      simpleParser(stream).then(
        (mail) => {
          attempts += 1;
          received.push(mail);
          const key = mail.messageId ?? `(no Message-ID ${++anonymous})`;
          if (!unique.has(key)) {
            unique.set(key, mail);
            messages.push(mail);
          }
          callback(null, 'OK: queued');
          settle();
        },
        (error: unknown) => {
          attempts += 1;
          callback(smtpError(554, `Unparseable message: ${String(error)}`));
          settle();
        },
      );
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      // A client that vanishes mid-session (a killed worker) resets its connection; that is not the sink's failure.
      server.on('error', () => {});
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  /** Waits for a condition with a deadline; the timer never keeps the process alive. */
  const until = (ready: () => boolean, timeoutMs: number, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      if (ready()) return resolve();
      const waiter: Waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`SMTP sink: timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      timer.unref();
      waiters.add(waiter);
    });

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    received,
    get attempts() {
      return attempts;
    },
    uniqueByMessageId: () => new Map(unique),
    async waitFor(count, timeoutMs = 5_000) {
      await until(() => messages.length >= count, timeoutMs, () => `${count} deliveries (have ${messages.length})`);
      return messages.slice();
    },
    async waitForAttempts(count, timeoutMs = 5_000) {
      await until(() => attempts >= count, timeoutMs, () => `${count} attempts (have ${attempts})`);
      return attempts;
    },
    failNext(n) {
      failing = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
