import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../helpers/server.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.RAPPORT_REQUIRE_BROWSER === '1';
const available = existsSync(CHROMIUM);
if (!available && required) {
  throw new Error(`Browser tests are required (RAPPORT_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install -y chromium`);
}
const skip = available ? false : `Chromium not found at ${CHROMIUM}; install it with apt-get install -y chromium to run browser tests`;

describe('web UI in Chromium', { skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  before(async () => {
    server = await startServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the demo administrator signs in, sees the patients list, and signs out', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/patients`);
    await page.waitForURL(/\/login/);

    await page.getByLabel('Email').fill(server.adminEmail);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /not correct/ }).waitFor();

    await page.getByLabel('Password').fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/patients/);
    await page.getByRole('heading', { name: 'Patients' }).waitFor();
    const table = page.getByRole('table', { name: 'Patients' });
    await table.locator('tbody tr').first().waitFor();
    const rows = await table.locator('tbody tr').count();
    assert.ok(rows >= 20, `the demo clinic's patients are listed (saw ${rows})`);
    await page.getByText('Demo Clinic').first().waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    const me = await page.request.get(`${server.url}/api/auth/me`);
    assert.equal(me.status(), 401, 'the session is gone after signing out');
    assert.deepEqual(errors, []);
  });
});
