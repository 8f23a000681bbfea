import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

type Patient = {
  id: string;
  version: number;
  phones: Array<{ value: string }>;
  emails: Array<{ value: string }>;
  archivedAt: string | null;
  mergedIntoId: string | null;
};
type Candidate = { id: string; status: string; patients: Array<{ id: string }> };

/** Two records of one (made-up) person, as a front desk might register her twice. */
const FIRST = {
  givenName: 'Zephyrine',
  familyName: 'Quillfeather',
  birthDate: '1979-04-12',
  sex: 'female',
  phones: [{ value: '(413) 555-0171' }],
  emails: [{ value: 'zephyrine.q@example.org' }],
  address: { line: '8 Orchard Lane', city: 'Northampton', postalCode: '01060', country: 'US' },
};
const SECOND = {
  givenName: 'Zephyrine',
  familyName: 'Quillfeather',
  birthDate: '1979-04-12',
  sex: 'female',
  phones: [{ value: '(413) 555-0177' }],
  address: { line: '8 Orchard Ln', city: 'Northampton', postalCode: '01060' },
  preferredChannel: 'sms',
  confirmNotDuplicate: true,
};

/** Puts the pair in the review queue: detection on create when it ran, else a scan (the demo admin may scan). */
async function queuedPair(page: Page, server: RunningServer, a: string, b: string): Promise<Candidate> {
  const find = async () =>
    (await api<{ items: Candidate[] }>(page, server, 'GET', `/api/patients/${b}/duplicates`)).items.find((c) =>
      c.patients.some((p) => p.id === a),
    );
  let candidate = await find();
  if (!candidate) {
    await api(page, server, 'POST', '/api/duplicates/scan');
    candidate = await find();
  }
  assert.ok(candidate, 'the two records are paired in the review queue');
  return candidate;
}

describe('Duplicate review in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('staff merge two records of one person, choosing values, and undo the merge', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    const first = await api<Patient>(page, server, 'POST', '/api/patients', FIRST);
    const second = await api<Patient>(page, server, 'POST', '/api/patients', SECOND);
    const candidate = await queuedPair(page, server, first.id, second.id);

    await page.getByRole('link', { name: 'Duplicates' }).click();
    await page.waitForURL('**/duplicates');
    await page.getByRole('list', { name: 'Review queue' }).getByRole('button', { name: /Zephyrine Quillfeather and Zephyrine Quillfeather/ }).click();
    const compare = page.getByRole('region', { name: 'Compare records' });
    await compare.getByText('same date of birth 1979-04-12').waitFor();

    // Keep the first record, but take the second one's phone; the email (only the first has one) stays by default.
    const firstIndex = candidate.patients.findIndex((p) => p.id === first.id) + 1;
    await compare.getByRole('radio', { name: new RegExp(`^Keep record ${firstIndex} `) }).check();
    await compare.getByRole('radio', { name: /^Phone: \+1 413-555-0177/ }).check();
    assert.ok(await compare.getByRole('radio', { name: /^Email: zephyrine\.q@example\.org/ }).isChecked(), 'a filled value beats an empty one');
    await compare.getByRole('button', { name: `Merge into record ${firstIndex} (Zephyrine Quillfeather)` }).click();

    const notice = page.getByRole('status').filter({ hasText: 'Records merged' });
    await notice.getByText('Zephyrine Quillfeather was merged into Zephyrine Quillfeather').waitFor();
    const survivor = await api<Patient>(page, server, 'GET', `/api/patients/${first.id}`);
    const merged = await api<Patient>(page, server, 'GET', `/api/patients/${second.id}`);
    assert.equal(merged.mergedIntoId, first.id, 'the second record now points at the first');
    assert.equal(survivor.phones[0]?.value, '+14135550177', 'the chosen phone is the survivor’s main phone');
    assert.equal(survivor.emails[0]?.value, 'zephyrine.q@example.org');

    await notice.getByRole('button', { name: 'Undo' }).click();
    await page.getByRole('status').filter({ hasText: 'Merge undone' }).waitFor();
    const restoredFirst = await api<Patient>(page, server, 'GET', `/api/patients/${first.id}`);
    const restoredSecond = await api<Patient>(page, server, 'GET', `/api/patients/${second.id}`);
    assert.equal(restoredSecond.mergedIntoId, null, 'the second record stands on its own again');
    assert.equal(restoredSecond.archivedAt, null);
    assert.equal(restoredSecond.phones[0]?.value, '+14135550177');
    assert.equal(restoredFirst.mergedIntoId, null);
    assert.equal(restoredFirst.phones[0]?.value, '+14135550171', 'the first record has its own phone back');
    const queue = await api<{ items: Candidate[] }>(page, server, 'GET', `/api/patients/${first.id}/duplicates`);
    assert.ok(queue.items.some((c) => c.id === candidate.id && c.status === 'open'), 'the pair is back in the review queue');
    assert.deepEqual(errors, []);
  });
});
