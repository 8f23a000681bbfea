import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { startSmtpSink, type SmtpSinkOptions } from '../../../test/helpers/smtp-sink.ts';
import { emailHtml, listUnsubscribeHeaders, messageIdFor, parseSmtpUrl, smtpAdapter } from './email.ts';
import type { OutgoingMessage } from './types.ts';

const UNSUBSCRIBE = 'https://clinic.example.com/u/aLongSignedTokenThatFoldsPastSeventyEightCharacters_0123456789abcdef';

function outgoing(overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    tenantId: '0d9a3c1e-5b7f-4e2a-9c3d-1f2e3a4b5c6d',
    channel: 'email',
    to: 'alex.doe@example.org',
    from: 'Harbour Clinic <hello@example.com>',
    replyTo: 'front-desk@example.com',
    subject: 'Your visit on Tuesday',
    text: 'Hello Alex,\n\nSee you on Tuesday at 9:00.',
    html: '<p>Hello Alex,</p><p>See you on Tuesday at 9:00.</p>',
    idempotencyKey: 'msg-6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
    headers: listUnsubscribeHeaders(UNSUBSCRIBE),
    ...overrides,
  };
}

/** A sink and an adapter sending to it, both closed when the test ends. */
async function sinkAndAdapter(t: TestContext, options?: SmtpSinkOptions) {
  const sink = await startSmtpSink(options);
  const adapter = smtpAdapter({ url: sink.url, maxConnections: 2 });
  t.after(async () => {
    await adapter.close?.();
    await sink.close();
  });
  return { sink, adapter };
}

/** A TCP port on loopback that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('SMTP adapter', () => {
  test('a message arrives with its sender, recipient, subject, text, HTML and headers', async (t) => {
    const { sink, adapter } = await sinkAndAdapter(t);
    const message = outgoing();
    const result = await adapter.send(message);
    assert.equal(adapter.provider, 'smtp');
    assert.ok(result.outcome === 'sent');
    assert.equal(result.providerMessageId, messageIdFor(message.idempotencyKey));
    assert.match(result.response ?? '', /^250 /);

    const [mail] = await sink.waitFor(1);
    assert.ok(mail);
    assert.equal(mail.from?.text, '"Harbour Clinic" <hello@example.com>');
    assert.deepEqual(mail.from?.value, [{ name: 'Harbour Clinic', address: 'hello@example.com' }]);
    assert.equal(mail.replyTo?.value[0]?.address, 'front-desk@example.com');
    assert.equal(Array.isArray(mail.to) ? null : mail.to?.value[0]?.address, 'alex.doe@example.org');
    assert.equal(mail.subject, 'Your visit on Tuesday');
    assert.equal(mail.text?.trim(), message.text);
    assert.equal(mail.html, message.html);
    assert.equal(mail.messageId, '<msg-6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f@rapport>');
    assert.equal(mail.headers.get('x-rapport-message-id'), message.id);
    const raw = (name: string) => mail.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n[ \t]+/g, ' ');
    assert.equal(raw('list-unsubscribe'), `List-Unsubscribe: <${UNSUBSCRIBE}>`);
    assert.equal(raw('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  });

  test('without HTML the message is text only', async (t) => {
    const { sink, adapter } = await sinkAndAdapter(t);
    assert.equal((await adapter.send(outgoing({ html: null, headers: {} }))).outcome, 'sent');
    const [mail] = await sink.waitFor(1);
    assert.equal(mail?.html, false);
    assert.deepEqual(mail?.headers.get('content-type'), { value: 'text/plain', params: { charset: 'utf-8' } });
    assert.equal(mail?.headers.get('list-unsubscribe'), undefined);
  });

  test('a retried message keeps its Message-ID, so an idempotent receiver delivers it once', async (t) => {
    const { sink, adapter } = await sinkAndAdapter(t);
    const message = outgoing();
    const first = await adapter.send(message);
    const second = await adapter.send(message);
    assert.ok(first.outcome === 'sent' && second.outcome === 'sent');
    assert.equal(second.providerMessageId, first.providerMessageId);
    assert.equal(sink.attempts, 2);
    assert.equal(sink.received.length, 2);
    assert.equal(sink.messages.length, 1);
    assert.deepEqual([...sink.uniqueByMessageId().keys()], [messageIdFor(message.idempotencyKey)]);

    assert.equal((await adapter.send(outgoing({ id: 'another', idempotencyKey: 'msg-another' }))).outcome, 'sent');
    assert.equal((await sink.waitFor(2)).length, 2);
  });

  test('a recipient refused with 550 fails the message with the server text', async (t) => {
    const { sink, adapter } = await sinkAndAdapter(t, { rejectRecipients: /^nobody@/ });
    const result = await adapter.send(outgoing({ to: 'nobody@example.org' }));
    assert.equal(result.outcome, 'failed');
    assert.ok(result.outcome === 'failed');
    assert.match(result.reason, /^SMTP 550: (5\.\d\.\d )?Mailbox unavailable: nobody@example\.org$/);
    assert.match(result.response ?? '', /^550 /);
    assert.equal(sink.attempts, 0, 'refused at RCPT TO, before DATA');
    // The pooled connection survives a refusal: the next message goes through.
    assert.equal((await adapter.send(outgoing())).outcome, 'sent');
  });

  test('a 451 at the end of DATA is retried, and the retry is delivered', async (t) => {
    const { sink, adapter } = await sinkAndAdapter(t, { failNext: 1 });
    const message = outgoing();
    const result = await adapter.send(message);
    assert.equal(result.outcome, 'retry');
    assert.ok(result.outcome === 'retry');
    assert.match(result.reason, /^SMTP 451: (4\.\d\.\d )?Temporary failure/);
    assert.equal(sink.messages.length, 0);

    assert.equal((await adapter.send(message)).outcome, 'sent');
    assert.equal(sink.attempts, 2);
    assert.equal(sink.messages.length, 1);
    sink.failNext(2);
    assert.equal((await adapter.send(message)).outcome, 'retry');
    assert.equal((await adapter.send(message)).outcome, 'retry');
    assert.equal(await sink.waitForAttempts(4), 4);
  });

  test('a refused connection is retried', async (t) => {
    const adapter = smtpAdapter({ url: `smtp://127.0.0.1:${await closedPort()}` });
    t.after(() => adapter.close?.());
    const result = await adapter.send(outgoing());
    assert.equal(result.outcome, 'retry');
    assert.ok(result.outcome === 'retry');
    assert.match(result.reason, /^SMTP ECONNREFUSED: /);
  });

  test('a server that never answers is abandoned at the send deadline and retried', async (t) => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const adapter = smtpAdapter({ url: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`, sendTimeoutMs: 300 });
    t.after(async () => {
      await adapter.close?.();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    assert.deepEqual(await adapter.send(outgoing()), { outcome: 'retry', reason: 'SMTP send timed out after 300 ms' });
  });

  test('a message without a sender fails without reaching the server', async (t) => {
    const { sink, adapter } = await sinkAndAdapter(t);
    const result = await adapter.send(outgoing({ from: null }));
    assert.equal(result.outcome, 'failed');
    assert.equal(sink.attempts, 0);
  });
});

describe('SMTP URL', () => {
  test('reads the endpoint, with default ports and the password hidden', () => {
    assert.deepEqual(parseSmtpUrl('smtp://mailer%40example.com:s%3Acret@relay.example.net:2525?pool=true'), {
      secure: false,
      host: 'relay.example.net',
      port: 2525,
      user: 'mailer@example.com',
      redacted: 'smtp://mailer%40example.com:***@relay.example.net:2525?pool=true',
    });
    assert.equal(parseSmtpUrl('smtps://relay.example.net').port, 465);
    assert.equal(parseSmtpUrl('smtps://relay.example.net').secure, true);
    assert.equal(parseSmtpUrl('smtp://relay.example.net').port, 587);
    assert.equal(parseSmtpUrl('smtp://relay.example.net').user, null);
  });

  test('a bad URL is refused with an error naming the problem, never the password', () => {
    const cases: [string, RegExp][] = [
      ['https://user:hunter2@relay.example.net', /scheme must be smtp: or smtps:, not https:/],
      ['smtp://user:hunter2@', /not a valid URL|no host/],
      ['smtp:relay.example.net', /no host/],
      ['relay.example.net:25', /scheme must be smtp: or smtps:|not a valid URL/],
      ['smtp://user:hunter2@relay.example.net:99999', /not a valid URL/],
      ['', /not a valid URL/],
      ['smtp://us%zzer:hunter2@relay.example.net', /broken %-escape/],
    ];
    for (const [url, expected] of cases) {
      assert.throws(() => parseSmtpUrl(url), (error: Error) => {
        assert.match(error.message, expected, url);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      });
    }
    assert.throws(() => smtpAdapter({ url: 'http://relay.example.net' }), /scheme must be smtp: or smtps:/);
  });
});

describe('Message-ID', () => {
  test('is the idempotency key when it is plain, a hash of it otherwise, the same every time', () => {
    assert.equal(messageIdFor('msg-1.retry_ok'), '<msg-1.retry_ok@rapport>');
    const odd = messageIdFor('tenant/1 message@2');
    assert.match(odd, /^<h=[0-9a-f]{40}@rapport>$/);
    assert.equal(messageIdFor('tenant/1 message@2'), odd);
    assert.notEqual(messageIdFor('tenant/1 message@3'), odd);
    assert.match(messageIdFor('x'.repeat(129)), /^<h=/);
  });
});

describe('email HTML', () => {
  test('escapes the text, keeps paragraphs and line breaks, and links URLs', () => {
    const html = emailHtml({
      text: 'Hi <script>alert("x")</script> & co,\n\nBook at https://clinic.example.com/book?a=1&b=2.\nOr call us.\r\n\r\n(see https://example.com/faq)',
      clinicName: 'Harbour & Sons <Clinic>',
    });
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co,</p>'));
    assert.ok(
      html.includes(
        'Book at <a href="https://clinic.example.com/book?a=1&amp;b=2" style="color:#1a56b8;text-decoration:underline">https://clinic.example.com/book?a=1&amp;b=2</a>.<br>\nOr call us.</p>',
      ),
    );
    assert.match(html, />\(see <a href="https:\/\/example\.com\/faq"[^>]*>https:\/\/example\.com\/faq<\/a>\)<\/p>/);
    assert.equal(html.match(/<p /g)?.length, 4, 'three paragraphs and the clinic name');
    assert.ok(html.includes('<title>Harbour &amp; Sons &lt;Clinic&gt;</title>'));
    assert.doesNotMatch(html, /<img|<link|src=|url\(/, 'no external assets');
    assert.doesNotMatch(html, /Unsubscribe|Email preferences/);
  });

  test('the footer names the clinic and links unsubscribe and preferences', () => {
    const html = emailHtml({
      text: 'Your recall is due.',
      clinicName: 'Harbour Clinic',
      footerText: '1 Quay Street\nPort Example',
      unsubscribeUrl: 'https://clinic.example.com/u/abc?x="1"',
      preferencesUrl: 'https://clinic.example.com/p/abc',
      lang: 'en-GB',
    });
    assert.ok(html.includes('<html lang="en-GB">'));
    assert.ok(html.includes('>Harbour Clinic</p>'));
    assert.ok(html.includes('1 Quay Street<br>\nPort Example'));
    assert.ok(html.includes('<a href="https://clinic.example.com/u/abc?x=%221%22" style="color:#1a56b8;text-decoration:underline">Unsubscribe</a>'));
    assert.ok(html.includes('>Email preferences</a>'));
    assert.throws(() => emailHtml({ text: 'x', clinicName: 'c', unsubscribeUrl: 'javascript:alert(1)' }), /must be http\(s\)/);
  });

  test('one-click unsubscribe headers follow RFC 8058', () => {
    assert.deepEqual(listUnsubscribeHeaders('https://clinic.example.com/u/abc'), {
      'List-Unsubscribe': '<https://clinic.example.com/u/abc>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    assert.throws(() => listUnsubscribeHeaders('mailto:stop@example.com'), /must be http\(s\)/);
    assert.throws(() => listUnsubscribeHeaders('not a url'), /not a valid URL/);
  });
});
