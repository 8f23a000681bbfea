import { createHash } from 'node:crypto';
import nodemailer, { type NodemailerError } from 'nodemailer';
import type { ChannelAdapter, OutgoingMessage, SendResult } from './types.ts';

/**
 * The email channel over SMTP (any relay: Postfix, SES, Postmark, Mailgun ...), and the HTML an
 * email carries. One pooled nodemailer transport per adapter keeps a few connections open, so a
 * batch from the outbox does not pay a TCP and TLS handshake per message.
 *
 * Retries are safe to send: the Message-ID is derived from the message's idempotency key, so a
 * receiver that deduplicates (most providers do, by Message-ID) delivers a retried message once.
 */

export type SmtpEndpoint = {
  secure: boolean;
  host: string;
  /** The port given, or nodemailer's default: 465 for smtps:, 587 for smtp:. */
  port: number;
  user: string | null;
  /** The URL with its password replaced by `***`, for logs and the config report. */
  redacted: string;
};

const SCHEMES = { 'smtp:': false, 'smtps:': true } as const;
const SHAPE = 'expected smtp://user:pass@host:port or smtps://user:pass@host:port';

/**
 * Reads an SMTP URL, or throws an Error naming what is wrong with it. The message never repeats
 * the URL, which may hold a password. Query options (?pool=true, ?tls.rejectUnauthorized=false)
 * are left to nodemailer.
 */
export function parseSmtpUrl(url: string): SmtpEndpoint {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`SMTP URL is not a valid URL (${SHAPE})`);
  }
  if (!(parsed.protocol in SCHEMES)) {
    throw new Error(`SMTP URL scheme must be smtp: or smtps:, not ${parsed.protocol} (${SHAPE})`);
  }
  const secure = SCHEMES[parsed.protocol as keyof typeof SCHEMES];
  if (!parsed.hostname) throw new Error(`SMTP URL has no host (${SHAPE})`);
  let user: string | null;
  try {
    user = parsed.username ? decodeURIComponent(parsed.username) : null;
    if (parsed.password) decodeURIComponent(parsed.password);
  } catch {
    throw new Error('SMTP URL user name or password has a broken %-escape');
  }
  const port = parsed.port ? Number(parsed.port) : secure ? 465 : 587;
  if (parsed.password) parsed.password = '***';
  return { secure, host: parsed.hostname, port, user, redacted: parsed.toString() };
}

export type SmtpAdapterOptions = {
  /** smtp://user:pass@host:port or smtps://...; query options go to nodemailer (?maxConnections=2). */
  url: string;
  /** Pooled connections kept open to the relay; nodemailer's default is 5. */
  maxConnections?: number;
  /**
   * How long one send may take in all, queueing in the pool included, before it is abandoned as
   * a retry. The socket timeouts miss a server that trickles its replies; this does not.
   */
  sendTimeoutMs?: number;
};

/** Connecting and the greeting are quick on a healthy relay; a hung one is retried later. */
const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000, dnsTimeout: 10_000 };
const SEND_TIMEOUT_MS = 60_000;

/** The email channel through an SMTP relay; throws at once on a bad URL. */
export function smtpAdapter(options: SmtpAdapterOptions): ChannelAdapter {
  parseSmtpUrl(options.url);
  // Options in the URL's query win over these, as nodemailer merges them.
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...TIMEOUTS,
    // A connection dropped mid-send is retried in the pool a couple of times; the outbox does the rest.
    maxRequeues: 2,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const sendTimeoutMs = options.sendTimeoutMs ?? SEND_TIMEOUT_MS;

  return {
    provider: 'smtp',
    async send(message: OutgoingMessage): Promise<SendResult> {
      if (!message.from) return { outcome: 'failed', reason: 'The email has no sender (From) address' };
      try {
        const info = await transport.sendMail({
          from: message.from,
          to: message.to,
          replyTo: message.replyTo ?? undefined,
          subject: message.subject ?? undefined,
          text: message.text,
          html: message.html || undefined,
          // Standard fields set here (From, Message-ID ...) win over the same names in `headers`.
          headers: { ...message.headers, 'X-Rapport-Message-Id': message.id },
          messageId: messageIdFor(message.idempotencyKey),
          signal: AbortSignal.timeout(sendTimeoutMs),
        });
        return { outcome: 'sent', providerMessageId: info.messageId, response: info.response };
      } catch (error) {
        const smtpError = error as NodemailerError;
        if (smtpError.code === 'EABORT') return { outcome: 'retry', reason: `SMTP send timed out after ${sendTimeoutMs} ms` };
        return failureOutcome(smtpError);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/**
 * `<key@rapport>`, the same on every attempt. A key that is not plain dot-atom text (RFC 5322)
 * is hashed instead; hashed ids carry `=`, which plain keys cannot, so the two never collide.
 */
export function messageIdFor(idempotencyKey: string): string {
  const plain = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/.test(idempotencyKey) && idempotencyKey.length <= 128;
  const local = plain ? idempotencyKey : `h=${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40)}`;
  return `<${local}@rapport>`;
}

/** Reply codes that say the relay refuses our credentials: the transport is misconfigured. */
const AUTH_CODES = new Set([530, 534, 535, 538]);
/** Errors about the message itself that no retry can fix, though no server answered. */
const BAD_MESSAGE_CODES = new Set(['EENVELOPE', 'EMAXRECIPIENTS', 'EMESSAGE']);

/**
 * A 5xx is permanent (the message ends failed: a synchronous bounce); a 4xx, a dropped or refused
 * connection, or a timeout is worth another try. Two exceptions: a refused login fails every
 * message alike and is fixed in config, not per message, so it is retried; and 503 (bad command
 * sequence) is a session glitch, which nodemailer marks as not permanent.
 */
function failureOutcome(error: NodemailerError): SendResult {
  const code = error.responseCode;
  const serverText = error.response?.replace(/^\d{3}[ -]/, '').trim();
  if (code) {
    const reason = `SMTP ${code}: ${serverText || error.message}`;
    const authProblem = error.code === 'EAUTH' || AUTH_CODES.has(code);
    const permanent = error.permanent ?? (code >= 500 && code !== 503);
    if (permanent && !authProblem) return { outcome: 'failed', reason, response: error.response };
    return { outcome: 'retry', reason, response: error.response };
  }
  const reason = `SMTP ${error.originalCode ?? error.code ?? 'error'}: ${error.message}`;
  if (error.code && BAD_MESSAGE_CODES.has(error.code)) return { outcome: 'failed', reason };
  return { outcome: 'retry', reason };
}

/** RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to the URL. */
export function listUnsubscribeHeaders(url: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${webUrl(url, 'unsubscribe URL')}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

/** An http(s) URL, or an Error: a link in an email or header is never javascript: or data:. */
function webUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`The ${what} is not a valid URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`The ${what} must be http(s)`);
  return parsed.toString();
}

export type EmailHtmlOptions = {
  /** The rendered plain text of the message. */
  text: string;
  clinicName: string;
  footerText?: string;
  unsubscribeUrl?: string | null;
  preferencesUrl?: string | null;
  /** The language of the text, for screen readers; 'en' by default. */
  lang?: string;
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const LINK_STYLE = 'color:#1a56b8;text-decoration:underline';

/** Escaped text with http(s) URLs made links; punctuation ending a sentence stays outside the link. */
function linkify(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/[^\s<>"']+/g)) {
    let url = match[0].replace(/[.,;:!?]+$/, '');
    if (url.endsWith(')') && !url.includes('(')) url = url.slice(0, -1);
    html += escapeHtml(text.slice(last, match.index));
    html += `<a href="${escapeHtml(url)}" style="${LINK_STYLE}">${escapeHtml(url)}</a>`;
    last = match.index + url.length;
  }
  return html + escapeHtml(text.slice(last));
}

/** Paragraphs at blank lines, `<br>` at single line breaks. */
function paragraphs(text: string, style: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => `<p style="${style}">${block.split('\n').map(linkify).join('<br>\n')}</p>`)
    .join('\n');
}

/**
 * Plain text, already rendered from a template, as a simple HTML email: escaped, in paragraphs,
 * with links, and a footer naming the clinic with the unsubscribe and preferences links. Inline
 * styles only and no images or external assets, so it reads the same in every client and with
 * remote content blocked; text is 16 px with contrast above WCAG AA.
 */
export function emailHtml(options: EmailHtmlOptions): string {
  const body = paragraphs(options.text, `margin:0 0 16px;font-size:16px;line-height:1.5;color:#1f2328;${FONT}`);
  const small = `margin:0 0 8px;font-size:13px;line-height:1.5;color:#57606a;${FONT}`;
  const links = [
    options.unsubscribeUrl ? ['Unsubscribe', webUrl(options.unsubscribeUrl, 'unsubscribe URL')] : null,
    options.preferencesUrl ? ['Email preferences', webUrl(options.preferencesUrl, 'preferences URL')] : null,
  ]
    .filter((link) => link !== null)
    .map(([label, url]) => `<a href="${escapeHtml(url!)}" style="${LINK_STYLE}">${label}</a>`);
  const footer = [
    `<p style="${small}">${escapeHtml(options.clinicName)}</p>`,
    options.footerText ? paragraphs(options.footerText, small) : '',
    links.length ? `<p style="${small}">${links.join(' &middot; ')}</p>` : '',
  ].join('');
  const title = escapeHtml(options.clinicName);
  return `<!DOCTYPE html>
<html lang="${escapeHtml(options.lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
</head>
<body style="margin:0;padding:0;background-color:#f6f8fa;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f6f8fa;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background-color:#ffffff;border-radius:6px;">
<tr><td style="padding:24px;">
${body}
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #d0d7de;">
${footer}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}
