import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import { postTwilioSigned, startFakeSmsProvider, twilioInboundParams, type Delivered, type FakeSmsProvider } from '../helpers/fake-sms-provider.ts';
import type { RunningServer } from '../helpers/server.ts';

const ACCOUNT = `AC${'fedcba9876543210'.repeat(2)}`;
const AUTH_TOKEN = 'e2e-twilio-auth-token-000001';
const CLINIC_NUMBER = '+14135550100';
// An area code the demo patients do not use, so the number is this patient's alone.
const MOBILE = '+19785550142';

/** Waits, a bounded time, for the real outbox worker to hand a text to the fake provider. */
async function deliveredTo(fake: FakeSmsProvider, to: string, body: string, timeoutMs = 30_000): Promise<Delivered> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = [...fake.deliveries.values()].find((d) => d.to === to && d.body === body);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no text "${body}" to ${to} within ${timeoutMs} ms; got ${JSON.stringify([...fake.deliveries.values()])}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function patchJson(page: Page, url: string, body: unknown): Promise<void> {
  const response = await page.request.fetch(url, { method: 'PATCH', data: body as object });
  if (response.status() !== 200) throw new Error(`PATCH ${url} answered ${response.status()}: ${await response.text()}`);
}

describe('Shared inbox in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let fake: FakeSmsProvider;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });
  before(async () => {
    fake = await startFakeSmsProvider({ accountSid: ACCOUNT, authToken: AUTH_TOKEN, webhookSecret: 'unused-webhook-secret-0001' });
  });
  after(async () => {
    await fake?.close();
  });

  test('a patient texts the clinic through Twilio; staff open the unread conversation, answer it, and the answer reaches Twilio and is delivered', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    // The clinic texts through (a fake) Twilio from now on.
    await patchJson(page, `${server.url}/api/settings/messaging`, {
      smsProvider: 'twilio',
      smsFrom: CLINIC_NUMBER,
      twilioAccountSid: ACCOUNT,
      twilioAuthToken: AUTH_TOKEN,
      twilioBaseUrl: fake.baseUrl,
    });
    const patient = await api<{ id: string }>(page, server, 'POST', '/api/patients', {
      givenName: 'Odalys',
      familyName: 'Fennimore-Quist',
      birthDate: '1979-03-08',
      phones: [{ value: MOBILE, use: 'mobile' }],
      confirmNotDuplicate: true,
    });

    const text = 'Hi, can I come 15 minutes later on Tuesday?';
    const webhook = await postTwilioSigned(`${server.url}/api/webhooks/sms/twilio/demo-clinic/inbound`, twilioInboundParams(ACCOUNT, { from: MOBILE, to: CLINIC_NUMBER, body: text }), AUTH_TOKEN);
    assert.equal(webhook.status, 200, webhook.text);

    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.waitForURL(/\/inbox/);
    const list = page.getByRole('list', { name: 'Conversations' });
    const row = list.getByRole('button', { name: 'Odalys Fennimore-Quist, 1 unread' });
    await row.waitFor();
    await row.click();

    const thread = page.getByRole('region', { name: 'Conversation with Odalys Fennimore-Quist' });
    await thread.getByRole('link', { name: 'Odalys Fennimore-Quist' }).and(page.locator(`[href="/patients/${patient.id}"]`)).waitFor();
    await thread.getByRole('listitem', { name: 'Received' }).getByText(text).waitFor();
    // Opening it marked it read.
    await list.getByRole('button', { name: 'Odalys Fennimore-Quist', exact: true }).waitFor();
    await thread.getByRole('button', { name: 'Assign to me' }).click();
    await thread.getByRole('button', { name: 'Unassign' }).waitFor();

    const reply = 'Of course, 10:15 is fine. See you then!';
    const box = thread.getByRole('textbox', { name: 'Reply by text message' });
    await box.fill(reply);
    await box.press('Enter');
    const sent = thread.getByRole('listitem', { name: 'Sent' }).filter({ hasText: reply });
    await sent.waitFor();
    assert.equal(await box.inputValue(), '', 'the box is cleared once sent');

    const delivery = await deliveredTo(fake, MOBILE, reply);
    assert.equal(delivery.from, CLINIC_NUMBER);
    assert.equal(delivery.statusCallback, `${server.url}/api/webhooks/sms/twilio/demo-clinic/status`);
    const callback = await fake.twilioStatusCallback(delivery.idempotencyKey!, 'delivered');
    assert.equal(callback.status, 204, callback.text);
    await sent.getByText('Delivered').waitFor({ timeout: 20_000 });
    assert.deepEqual(errors, []);
  });
});
