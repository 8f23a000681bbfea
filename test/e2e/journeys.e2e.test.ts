import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

type Journey = { id: string; key: string | null; name: string; enabled: boolean };
type TemplateGroup = { key: string; templates: Array<{ id: string; channel: string; language: string; body: string }> };
type Appointment = { id: string; patient: { id: string; givenName: string; familyName: string } };

const TWO_HOURS = 'Reminder two hours before (SMS)';

describe('journeys and templates in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('an admin switches a shipped journey off and on, has a misspelt variable refused, fixes it and previews it for a patient', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    await page.getByRole('link', { name: 'Journeys' }).click();
    await page.waitForURL(/\/journeys/);
    await page.getByRole('heading', { name: 'Journeys', level: 1 }).waitFor();

    const journeys = async () => (await api<{ items: Journey[] }>(page, server, 'GET', '/api/journeys')).items;
    const shipped = (await journeys()).filter((j) => j.key?.startsWith('default.'));
    assert.ok(shipped.length >= 8, 'the shipped journeys are installed');
    for (const j of shipped) {
      assert.equal(await page.getByRole('switch', { name: j.name, exact: true }).isChecked(), true, `${j.name} is on`);
    }
    await page.getByText('2 hours before an appointment').waitFor();

    const toggle = page.getByRole('switch', { name: TWO_HOURS, exact: true });
    // Mantine's switch input sits under its track: click the label element that holds both.
    await toggle.click({ force: true });
    await page.getByText(`“${TWO_HOURS}” is off.`).waitFor();
    assert.equal((await journeys()).find((j) => j.name === TWO_HOURS)?.enabled, false);
    assert.equal(await toggle.isChecked(), false);
    await toggle.click({ force: true });
    await page.getByText(`“${TWO_HOURS}” is on.`).waitFor();
    assert.equal((await journeys()).find((j) => j.name === TWO_HOURS)?.enabled, true);

    await page.getByRole('tab', { name: 'Templates' }).click();
    await page.getByRole('button', { name: 'Edit SMS en Appointment reminder' }).click();
    const drawer = page.getByRole('dialog');
    const message = drawer.getByRole('textbox', { name: 'Message' });
    const original = await message.inputValue();
    assert.match(original, /\{\{appointment\.dateTime\}\}/);

    await message.fill(`${original} See you at {{appointment.tme}}.`);
    const refused = page.waitForResponse((r) => r.url().includes('/api/templates/') && r.request().method() === 'PATCH');
    await drawer.getByRole('button', { name: 'Save template' }).click();
    assert.equal((await refused).status(), 400);
    await drawer.getByText('Unknown variable {{appointment.tme}} in body; did you mean {{appointment.time}}?').waitFor();

    await message.fill(`${original} See you at {{appointment.time}}.`);
    await drawer.getByRole('button', { name: 'Save template' }).click();
    await page.getByText('Saved the SMS template “Appointment reminder” (en).').waitFor();
    const groups = (await api<{ items: TemplateGroup[] }>(page, server, 'GET', '/api/templates')).items;
    const saved = groups.find((g) => g.key === 'appointment.reminder')?.templates.find((t) => t.channel === 'sms' && t.language === 'en');
    assert.ok(saved?.body.endsWith('See you at {{appointment.time}}.'));

    // A patient with a visit coming up: the preview fills in their appointment.
    const now = new Date();
    const soon = new Date(now.getTime() + 14 * 86_400_000);
    const upcoming = await api<{ items: Appointment[] }>(page, server, 'GET', `/api/appointments?from=${now.toISOString()}&to=${soon.toISOString()}&status=booked`);
    // One the search ranks first for their name (the demo has look-alikes for the duplicate queue).
    let patient: Appointment['patient'] | undefined;
    for (const { patient: candidate } of upcoming.items.slice(0, 10)) {
      const q = encodeURIComponent(`${candidate.givenName} ${candidate.familyName}`);
      const hits = await api<{ items: Array<{ id: string }> }>(page, server, 'GET', `/api/patients/search?q=${q}&limit=10`);
      if (hits.items[0]?.id === candidate.id) {
        patient = candidate;
        break;
      }
    }
    assert.ok(patient, 'the demo clinic has upcoming visits for patients the search finds first');
    await page.getByRole('button', { name: 'Edit SMS en Appointment reminder' }).click();
    await drawer.getByRole('textbox', { name: 'Preview with a patient (optional)' }).fill(`${patient.givenName} ${patient.familyName}`);
    await drawer.getByRole('radio').first().click();
    await drawer.getByRole('button', { name: `Preview for ${patient.givenName} ${patient.familyName}` }).click();
    const preview = drawer.getByRole('region', { name: 'Preview' });
    await preview.getByText(`For ${patient.givenName} ${patient.familyName}.`, { exact: false }).waitFor();
    const text = await preview.getByTestId('sms-preview').textContent();
    assert.match(text ?? '', /See you at \d{1,2}:\d{2}\s?[AP]M\./);
    assert.doesNotMatch(text ?? '', /3 March at 9:30 AM/, 'the real appointment, not the sample');
    await preview.getByText(/^\d+ SMS segments?$/).waitFor();
    assert.deepEqual(errors, []);
  });
});
