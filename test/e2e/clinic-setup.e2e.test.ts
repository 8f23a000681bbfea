import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

type Service = { id: string; name: string; bufferAfterMinutes: number; careInstructions: string | null };
type Practitioner = { id: string; name: string };
type Availability = { rules: Array<{ weekday: number; startTime: string; endTime: string }> };

describe('clinic setup in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('an admin changes a service\'s buffer and care instructions, and a practitioner\'s weekly hours', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    await page.getByRole('link', { name: 'Clinic setup' }).click();
    await page.waitForURL(/\/setup/);
    await page.getByRole('heading', { name: 'Clinic setup' }).waitFor();
    await page.getByRole('button', { name: 'Edit Telehealth follow-up' }).waitFor();

    await page.getByRole('button', { name: 'Edit New patient consultation' }).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByLabel('Buffer after').fill('15');
    await drawer.getByLabel('Care instructions after the visit').fill('Drink plenty of water today.\nCall us if anything worries you.');
    await drawer.getByRole('button', { name: 'Save service' }).click();
    await page.getByText('Saved “New patient consultation”.').waitFor();
    const services = (await api<{ items: Service[] }>(page, server, 'GET', '/api/scheduling/services')).items;
    const consultation = services.find((s) => s.name === 'New patient consultation');
    assert.equal(consultation?.bufferAfterMinutes, 15);
    assert.equal(consultation?.careInstructions, 'Drink plenty of water today.\nCall us if anything worries you.');

    await page.getByRole('tab', { name: 'Practitioners' }).click();
    const practitioner = (await api<{ items: Practitioner[] }>(page, server, 'GET', '/api/scheduling/practitioners')).items[0]!;
    await page.getByRole('button', { name: `Edit ${practitioner.name}` }).click();
    await page.getByRole('button', { name: 'Add hours on Sunday' }).click();
    await page.getByRole('button', { name: 'Save weekly hours' }).click();
    await page.getByText(`Saved weekly hours for ${practitioner.name}.`).waitFor();
    const hours = await api<Availability>(page, server, 'GET', `/api/scheduling/practitioners/${practitioner.id}/availability`);
    assert.deepEqual(hours.rules.filter((r) => r.weekday === 7).map((r) => [r.startTime, r.endTime]), [['09:00', '17:00']]);
    assert.ok(hours.rules.filter((r) => r.weekday === 1).length >= 2, 'the demo hours were kept');

    // Overlapping hours are refused, shown beside the rows, and nothing changes.
    await page.getByRole('button', { name: 'Add hours on Sunday' }).click();
    await page.getByLabel('Sunday start').last().fill('10:00');
    await page.getByRole('button', { name: 'Save weekly hours' }).click();
    await page.getByText(/overlaps other hours on Sunday/i).first().waitFor();
    await page.keyboard.press('Escape');

    await page.getByRole('tab', { name: 'Holidays' }).click();
    await page.getByText('Christmas Day').waitFor();
    await page.getByRole('tab', { name: 'Locations & rooms' }).click();
    await page.getByText('Procedure room').waitFor();
    assert.deepEqual(errors, []);
  });
});
