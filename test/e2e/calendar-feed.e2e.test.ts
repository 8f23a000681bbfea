import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

type Practitioner = { id: string; name: string; userId: string | null };
type Feed = { id: string; label: string | null; revokedAt: string | null };

/** Reads a feed URL the way a calendar app does: no cookie, no account. */
async function poll(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

describe('calendar feeds in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('an admin makes a practitioner\'s feed in Clinic setup, a calendar app reads it, and revoking it stops it', async () => {
    const { page, errors } = await newPage(browser);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await signInAsAdmin(page, server);
    await page.goto(`${server.url}/setup`);
    await page.getByRole('heading', { name: 'Clinic setup' }).waitFor();
    await page.getByRole('tab', { name: 'Practitioners' }).click();
    const practitioner = (await api<{ items: Practitioner[] }>(page, server, 'GET', '/api/scheduling/practitioners')).items[0]!;
    await page.getByRole('button', { name: `Edit ${practitioner.name}` }).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByText('No calendar feeds yet.').waitFor();

    await drawer.getByLabel('Feed label').fill('Work phone');
    await drawer.getByRole('button', { name: 'New calendar feed' }).click();
    const field = drawer.getByRole('textbox', { name: 'Calendar feed URL' });
    await field.waitFor();
    assert.equal(await field.getAttribute('readonly'), '');
    const url = await field.inputValue();
    assert.match(url, /^http:\/\/.+\/calendar\/feeds\/[A-Za-z0-9_-]{43}\.ics$/);
    const webcal = await drawer.getByRole('link', { name: 'Subscribe in Apple Calendar / Outlook' }).getAttribute('href');
    assert.equal(webcal, url.replace(/^http:\/\//, 'webcal://'));
    await drawer.getByText(/This link is private/).waitFor();
    await drawer.getByRole('button', { name: 'Copy Calendar feed URL' }).click();
    await drawer.getByRole('button', { name: 'Copied Calendar feed URL' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    await drawer.getByText('Active', { exact: true }).waitFor();

    const read = await poll(url);
    assert.equal(read.status, 200);
    assert.match(read.type, /^text\/calendar/);
    assert.match(read.body, /BEGIN:VCALENDAR/);

    // The list never carries the URL; it shows the feed was used.
    const feeds = (await api<{ items: Feed[] }>(page, server, 'GET', `/api/scheduling/practitioners/${practitioner.id}/feeds`)).items;
    assert.deepEqual(feeds.map((f) => [f.label, f.revokedAt]), [['Work phone', null]]);

    await drawer.getByRole('button', { name: 'Revoke Work phone' }).click();
    await drawer.getByRole('button', { name: 'Revoke feed' }).click();
    await page.getByText('Revoked Work phone: its link no longer works.').waitFor();
    await drawer.getByText('Revoked', { exact: true }).waitFor();
    assert.equal(await drawer.getByRole('textbox', { name: 'Calendar feed URL' }).count(), 0, 'the revoked feed\'s URL is no longer shown');
    assert.equal(await drawer.getByRole('button', { name: 'Revoke Work phone' }).count(), 0);

    assert.equal((await poll(url)).status, 404);
    assert.deepEqual(errors, []);
  });

  test('a user linked to a practitioner subscribes to their own calendar from the schedule', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    const me = await api<{ user: { id: string } }>(page, server, 'GET', '/api/auth/me');
    const practitioners = (await api<{ items: Practitioner[] }>(page, server, 'GET', '/api/scheduling/practitioners')).items;
    // Not the practitioner the first test gave a (revoked) feed: this one starts with none.
    const own = practitioners.filter((p) => p.userId === null && p.id !== practitioners[0]!.id).at(-1)!;

    // Not linked yet: no button.
    await page.goto(`${server.url}/schedule`);
    await page.getByRole('button', { name: 'Book appointment' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Subscribe to my calendar' }).count(), 0);

    const linked = await page.request.fetch(`${server.url}/api/scheduling/practitioners/${own.id}`, { method: 'PATCH', data: { userId: me.user.id } });
    assert.equal(linked.status(), 200, await linked.text());
    await page.reload();
    await page.getByRole('button', { name: 'Subscribe to my calendar' }).click();
    const modal = page.getByRole('dialog', { name: /Subscribe to my calendar/ });
    await modal.getByText(own.name).waitFor();
    await modal.getByRole('button', { name: 'New calendar feed' }).click();
    const url = await modal.getByRole('textbox', { name: 'Calendar feed URL' }).inputValue();
    const read = await poll(url);
    assert.equal(read.status, 200);
    assert.match(read.body, /BEGIN:VCALENDAR/);
    await modal.getByRole('button', { name: 'Revoke Calendar feed' }).click();
    await modal.getByRole('button', { name: 'Revoke feed' }).click();
    await modal.getByText('Revoked', { exact: true }).waitFor();
    assert.equal((await poll(url)).status, 404);
    assert.deepEqual(errors, []);
  });
});
