import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestReceiver, type TestReceiver } from '../../src/modules/webhooks/test-receiver.ts';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('webhooks in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let receiver: TestReceiver;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });
  before(async () => {
    receiver = await startTestReceiver({ nowSeconds: () => Math.floor(Date.now() / 1000) });
  });
  after(async () => {
    await receiver.close();
  });

  test('an admin adds a webhook, a new patient is delivered signed, and the log shows it and sends it again', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    await page.goto(`${server.url}/setup?tab=webhooks`);
    await page.getByRole('tab', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();

    // A refused URL is shown beside its field, and nothing is added.
    const form = page.getByRole('form', { name: 'New webhook' });
    await form.getByLabel('Receiver URL').fill('http://hooks.example.org/plain');
    await form.getByLabel('patient.created').check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await form.getByText(/must be an https:\/\/ URL/i).waitFor();

    await form.getByLabel('Receiver URL').fill(receiver.url);
    await form.getByLabel('Description').fill('Practice dashboard');
    await form.getByLabel('patient.updated').check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await page.getByText('Webhook added').waitFor();
    const secret = await page.getByLabel('Signing secret').inputValue();
    assert.match(secret, /^whsec_/);
    receiver.secrets.push(secret);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    const card = page.getByRole('region', { name: 'Webhook Practice dashboard' });
    await card.getByText('patient.created', { exact: true }).waitFor();

    const patient = await api<{ id: string }>(page, server, 'POST', '/api/patients', { givenName: 'Webhook', familyName: 'Receiver', birthDate: '1979-03-14' });
    await waitFor(() => receiver.received.length === 1, 'the delivery');
    const delivered = receiver.received[0]!;
    assert.equal(delivered.verified, true);
    assert.deepEqual([delivered.event.type, delivered.event.data.patientId], ['patient.created', patient.id]);
    assert.ok(!delivered.body.includes('Receiver'), 'the name stays in Rapport');

    await card.getByRole('button', { name: 'Delivery log' }).click();
    const log = card.getByRole('table', { name: 'Delivery log' });
    await log.getByText('patient.created').waitFor();
    await log.getByText('delivered').first().waitFor();
    await log.getByRole('button', { name: 'Attempts' }).click();
    const attempts = card.getByRole('table', { name: 'Attempts of patient.created' });
    await attempts.getByRole('cell', { name: '200', exact: true }).waitFor();

    await log.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByText('patient.created will be sent again.').waitFor();
    await waitFor(() => receiver.received.length === 2, 'the redelivery');
    assert.equal(receiver.received[1]!.body, delivered.body);
    assert.equal(receiver.received[1]!.verified, true);

    // Turned off, it receives nothing more.
    await card.getByLabel('Enabled').click({ force: true });
    await page.getByText('Webhook turned off.').waitFor();
    await api(page, server, 'POST', '/api/patients', { givenName: 'Quiet', familyName: 'Period', birthDate: '1980-01-01' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(receiver.received.length, 2);
    assert.deepEqual(errors, []);
  });
});
