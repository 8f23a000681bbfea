import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, newPage, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

describe('web UI in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('the demo administrator signs in, sees the patients list, and signs out', async () => {
    const { page, errors } = await newPage(browser);
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
