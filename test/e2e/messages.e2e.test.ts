import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import { startFakeSmsProvider } from '../helpers/fake-sms-provider.ts';
import type { RunningServer } from '../helpers/server.ts';

type Summary = { id: string; givenName: string; familyName: string; phone: string | null };
type Consent = { history: Array<{ channel: string; purpose: string; status: string; source: string }> };

describe('Messages and consent in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test("staff record a marketing opt-in, send an SMS, and find it in the sandbox marked as not delivered", async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    const patients = (await api<{ items: Summary[] }>(page, server, 'GET', '/api/patients?limit=50&lifecycle=active')).items;
    const patient = patients.find((p) => p.phone);
    assert.ok(patient, 'the demo clinic has a patient with a phone');

    await page.goto(`${server.url}/patients/${patient.id}?tab=messages`);
    await page.getByRole('tab', { name: 'Messages', selected: true }).waitFor();

    // The consent matrix starts at "needs opt-in" for marketing; staff record the patient's yes.
    const form = page.getByRole('form', { name: 'Record consent' });
    await form.getByText('Marketing', { exact: true }).click();
    await form.getByText('SMS', { exact: true }).click();
    await form.getByRole('textbox', { name: 'Note' }).fill('Said yes at check-in');
    await form.getByRole('button', { name: 'Record consent' }).click();
    const ledger = page.getByRole('table', { name: 'Consent history' });
    const entry = ledger.getByRole('row').filter({ hasText: 'Marketing · SMS' });
    await entry.filter({ hasText: 'Granted' }).filter({ hasText: 'Told staff' }).filter({ hasText: 'Said yes at check-in' }).waitFor();
    await page.getByRole('table', { name: 'Consent by purpose and channel' }).locator('tr[data-purpose="marketing"] td[data-channel="sms"]').getByText('Granted').waitFor();
    const consent = await api<Consent>(page, server, 'GET', `/api/patients/${patient.id}/consent`);
    assert.deepEqual(consent.history.slice(0, 1).map((h) => [h.purpose, h.channel, h.status, h.source]), [['marketing', 'sms', 'granted', 'staff']]);

    // A marketing text. It cannot be urgent (only care can), so the clinic's quiet hours are switched
    // off first: the hour the test runs at must not hold it back until the morning.
    const settings = await page.request.patch(`${server.url}/api/settings/messaging`, { data: { quietHoursStart: '00:00', quietHoursEnd: '00:00' } });
    assert.equal(settings.status(), 200, await settings.text());
    const text = `Flu shots are in: book yours this week (${Date.now()})`;
    await page.getByRole('button', { name: 'Send message' }).click();
    const modal = page.getByRole('dialog', { name: 'Send a message' });
    const urgent = modal.getByText('Urgent: send even in quiet hours and past frequency caps');
    await urgent.waitFor();
    await modal.getByRole('combobox', { name: 'Purpose' }).click();
    await page.getByRole('option', { name: 'Marketing', exact: true }).click();
    await urgent.waitFor({ state: 'detached' });
    await modal.getByRole('textbox', { name: 'Message' }).fill(text);
    await modal.getByRole('button', { name: 'Send' }).click();
    await modal.waitFor({ state: 'detached' });
    // The outbox worker of the running server takes it; the tab reads the list again until it has.
    const messages = page.getByRole('table', { name: 'Messages' });
    await messages.getByRole('row').filter({ hasText: text.slice(0, 40) }).getByText('Sandbox (not delivered)').waitFor({ timeout: 30_000 });

    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.waitForURL('**/messages');
    await page.getByRole('tab', { name: 'Sandbox' }).click();
    await page.getByText('These messages were NOT delivered. No email or SMS provider is configured, so Rapport keeps them here to show what patients would receive.').waitFor();
    await page.getByText(text).waitFor();
    assert.deepEqual(errors, []);
  });

  test('a text the SMS gateway refused shows as failed with its reason; staff retry it from the drawer and it goes', async (t) => {
    // The clinic's SMS gateway: a loopback server that follows the generic webhook contract.
    const gateway = await startFakeSmsProvider({ accountSid: `AC${'0'.repeat(32)}`, authToken: 'unused-twilio-token', webhookSecret: 'gateway-secret-for-e2e-0001' });
    t.after(() => gateway.close());
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    const settings = await page.request.patch(`${server.url}/api/settings/messaging`, {
      data: { smsProvider: 'webhook', webhookUrl: gateway.webhookUrl, webhookSecret: 'gateway-secret-for-e2e-0001', quietHoursStart: '00:00', quietHoursEnd: '00:00' },
    });
    assert.equal(settings.status(), 200, await settings.text());
    const patients = (await api<{ items: Summary[] }>(page, server, 'GET', '/api/patients?limit=50&lifecycle=active')).items;
    const patient = patients.filter((p) => p.phone).at(-1)!;
    gateway.failNext(1, 400);
    const text = `Your results are ready: please call us (${Date.now()})`;
    const sent = await page.request.post(`${server.url}/api/patients/${patient.id}/messages`, { data: { channel: 'sms', purpose: 'care', body: text } });
    assert.equal(sent.status(), 201, await sent.text());

    await page.goto(`${server.url}/patients/${patient.id}?tab=messages`);
    const row = page.getByRole('table', { name: 'Messages' }).getByRole('row').filter({ hasText: text.slice(0, 40) });
    await row.getByText('Failed', { exact: true }).waitFor({ timeout: 30_000 });
    await row.click();
    const drawer = page.getByRole('dialog');
    await drawer.getByText(/failing on purpose with 400/).first().waitFor();
    await drawer.getByRole('button', { name: 'Retry' }).click();
    await page.getByText('Scheduled again: it goes as soon as the rules allow.').waitFor();
    await page.keyboard.press('Escape');
    await row.getByText('Sent', { exact: true }).waitFor({ timeout: 30_000 });
    const delivered = [...gateway.deliveries.values()].filter((d) => d.body === text);
    assert.equal(delivered.length, 1, 'the gateway accepted the retry once');
    // Two requests reached the gateway: the refused one and the retry, under different idempotency keys.
    const keys = gateway.attempts.filter((a) => a.body.includes(text.slice(0, 30))).map((a) => a.headers['idempotency-key']);
    assert.equal(keys.length, 2);
    assert.notEqual(keys[0], keys[1]);
    assert.deepEqual(errors, []);
  });
});
