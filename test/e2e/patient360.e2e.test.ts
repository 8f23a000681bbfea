import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

type Summary = { id: string; givenName: string; familyName: string; mrn: string | null };
type Timeline = { items: Array<{ kind: string; summary: string; detail: { body?: string } }> };

/** "Adams" -> "Aadms": two neighbouring letters swapped, the commonest typing slip. */
function transposed(name: string): string {
  const i = Math.min(1, name.length - 2);
  return name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2);
}

describe('Patient 360 in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('a misspelled name in the search box finds the patient, and the result opens the patient page', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    const [patient] = (await api<{ items: Summary[] }>(page, server, 'GET', '/api/patients?limit=1')).items;
    assert.ok(patient, 'the demo clinic has patients');
    const typed = `${patient.givenName} ${transposed(patient.familyName)}`;
    assert.notEqual(typed, `${patient.givenName} ${patient.familyName}`);

    await page.getByRole('textbox', { name: 'Search patients' }).fill(typed);
    await page.waitForURL((url) => url.searchParams.get('q') === typed);
    // The summary names the search once its results are in (until then the previous rows show).
    await page.getByText(`for “${typed}”`).waitFor();
    const result = page
      .getByRole('table', { name: 'Patients' })
      .getByRole('link', { name: `${patient.familyName}, ${patient.givenName}` })
      .and(page.locator(`[href="/patients/${patient.id}"]`));
    await result.click();

    await page.waitForURL(`**/patients/${patient.id}`);
    const header = page.getByRole('region', { name: 'Patient', exact: true });
    await header.getByRole('heading', { level: 1, name: `${patient.givenName} ${patient.familyName}` }).waitFor();
    if (patient.mrn) await header.getByText(patient.mrn).waitFor();
    await page.getByRole('tab', { name: 'Timeline', selected: true }).waitFor();
    assert.deepEqual(errors, []);
  });

  test('a note added on the patient page appears on the timeline', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    const [patient] = (await api<{ items: Summary[] }>(page, server, 'GET', '/api/patients?limit=1&lifecycle=active')).items;
    assert.ok(patient);
    await page.goto(`${server.url}/patients/${patient.id}`);

    const note = `Asked to be called after 5 pm on weekdays (${Date.now()})`;
    await page.getByRole('textbox', { name: 'Note' }).fill(note);
    await page.getByRole('button', { name: 'Add note' }).click();
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await timeline.getByText(note).waitFor();

    // Only calls: the note is filtered out; only notes: it is back. A filter chip's checkbox is
    // visually hidden behind its label, so the label is what a person (and the test) clicks.
    const chip = (name: string) => page.getByRole('group', { name: 'Show kinds of events' }).getByText(name, { exact: true });
    await chip('Calls').click();
    await page.getByRole('checkbox', { name: 'Calls', exact: true, checked: true }).waitFor({ state: 'attached' });
    await timeline.getByText(note).waitFor({ state: 'detached' });
    await chip('Calls').click();
    await chip('Notes').click();
    await timeline.getByText(note).waitFor();

    const saved = await api<Timeline>(page, server, 'GET', `/api/patients/${patient.id}/timeline?kind=note`);
    assert.equal(saved.items[0]?.summary, note, 'the note is the newest event of its kind');
    assert.deepEqual(errors, []);
  });
});
