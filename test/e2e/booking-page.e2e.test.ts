import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { browserSkip, newPage, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

type Catalog = {
  clinic: { name: string; slug: string; timeZone: string };
  services: Array<{ id: string; name: string; eligibility: string; mode: string; locationIds: string[] }>;
  locations: Array<{ id: string; name: string }>;
};
type Slots = { slots: Array<{ startsAt: string; practitionerId: string; locationId: string }> };
type Manage = {
  appointment: { status: string; startsAt: string; service: { id: string }; practitioner: { id: string }; location: { id: string }; timeZone: string };
};

const DEMO_SLUG = 'demo-clinic';

/** Calls the public API with no session at all, as a patient's browser would. */
async function publicApi<T>(page: Page, server: RunningServer, path: string): Promise<T> {
  const response = await page.request.get(`${server.url}${path}`);
  if (response.status() !== 200) throw new Error(`GET ${path} answered ${response.status()}: ${await response.text()}`);
  return (await response.json()) as T;
}

describe('Public self-booking in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('a patient books on the demo clinic\'s page, gets the confirmation, cancels through the link, and the slot is free again', async () => {
    const { page, errors } = await newPage(browser);
    const catalog = await publicApi<Catalog>(page, server, `/api/public/booking/${DEMO_SLUG}`);
    // Someone new to the clinic books an in-person visit open to new patients.
    const service = catalog.services.find((s) => s.eligibility !== 'established' && s.mode === 'in_person');
    assert.ok(service, `the demo clinic offers a service new patients can book online: ${JSON.stringify(catalog.services.map((s) => s.name))}`);

    await page.goto(`${server.url}/book/${DEMO_SLUG}?utm_source=e2e&utm_campaign=booking-page`);
    await page.getByRole('heading', { name: 'Book an appointment' }).waitFor();
    assert.ok(!page.url().includes('/login'), 'no sign-in asked of the patient');
    await page.getByRole('radio', { name: service.name, exact: true }).check();
    await page.getByRole('radio', { name: 'Any available practitioner' }).waitFor();
    if (service.locationIds.length > 1) {
      const first = catalog.locations.find((l) => l.id === service.locationIds[0])!;
      await page.getByRole('radio', { name: first.name, exact: true }).check();
    }

    const times = page.getByRole('group', { name: /^Free times on / });
    await times.getByRole('button').first().waitFor({ timeout: 30_000 });
    await times.getByRole('button').first().click();

    const form = page.getByRole('form', { name: 'Your details' });
    await form.getByLabel('First name').fill('Imogen');
    await form.getByLabel('Last name').fill('Vasquez-Lindqvist');
    await form.getByLabel('Date of birth').fill('1988-06-14');
    await form.getByLabel('Mobile phone').fill('(413) 555-0163');
    await form.getByLabel('Email').fill('imogen.vl@example.net');
    // The honeypot is off-screen and out of the tab order and the accessibility tree.
    const trap = form.locator('input[name="website"]');
    const box = await trap.boundingBox();
    assert.ok(box && box.x + box.width <= 0, 'the honeypot is off-screen');
    assert.equal(await trap.getAttribute('tabindex'), '-1');
    assert.equal(await form.getByRole('textbox', { name: 'Leave this empty' }).count(), 0);
    await form.getByRole('button', { name: 'Book appointment' }).click();

    await page.getByRole('heading', { name: 'You are booked' }).waitFor();
    const summary = page.getByRole('region', { name: 'Your appointment' });
    await summary.getByText(service.name).waitFor();
    const ics = page.getByRole('link', { name: 'Add to calendar (.ics)' });
    const icsResponse = await page.request.get(`${server.url}${await ics.getAttribute('href')}`);
    assert.equal(icsResponse.status(), 200);
    assert.match(icsResponse.headers()['content-type'] ?? '', /text\/calendar/);
    assert.match(await icsResponse.text(), /BEGIN:VEVENT/);

    // The link to manage the booking, and through it what was booked.
    const manage = page.getByRole('link', { name: 'Manage your booking' });
    const manageUrl = (await manage.getAttribute('href'))!;
    assert.match(manageUrl, /^\/book\/manage\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const booked = await publicApi<Manage>(page, server, `/api/public/booking/manage/${manageUrl.split('/').at(-1)}`);
    assert.equal(booked.appointment.status, 'booked');
    const a = booked.appointment;
    const day = DateTime.fromISO(a.startsAt, { zone: a.timeZone }).toISODate();
    const slotsUrl = `/api/public/booking/${DEMO_SLUG}/slots?serviceId=${a.service.id}&from=${day}&to=${day}&practitionerId=${a.practitioner.id}&locationId=${a.location.id}`;
    const isFree = async () => (await publicApi<Slots>(page, server, slotsUrl)).slots.some((s) => s.startsAt === a.startsAt);
    assert.equal(await isFree(), false, 'the booked time is taken');

    await manage.click();
    await page.waitForURL(/\/book\/manage\//);
    await page.getByRole('heading', { name: 'Your appointment' }).waitFor();
    await page.getByRole('region', { name: 'Your appointment' }).getByText('Booked', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Cancel appointment' }).click();
    await page.getByLabel('Reason (optional)').fill('Something came up at work');
    await page.getByRole('button', { name: 'Yes, cancel my appointment' }).click();
    await page.getByText('Your appointment is cancelled.').waitFor();
    await page.getByRole('region', { name: 'Your appointment' }).getByText('Cancelled', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel appointment' }).count(), 0);

    assert.equal(await isFree(), true, 'the slot is free again');
    assert.deepEqual(errors, []);
  });
});
