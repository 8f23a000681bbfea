import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DateTime } from 'luxon';
import type { Browser } from 'playwright-core';
import { api, browserSkip, newPage, signInAsAdmin, withServerAndBrowser } from '../helpers/browser.ts';
import type { RunningServer } from '../helpers/server.ts';

type Summary = { id: string; givenName: string; familyName: string };
type Service = { id: string; name: string; durationMinutes: number; eligibility: string; requiresRoom: boolean; mode: string; maxFutureBookings: number | null; practitionerIds: string[] };
type Appointment = {
  id: string;
  status: string;
  startsAt: string;
  careInstructions: string | null;
  service: { id: string; name: string };
  location: { id: string; timeZone: string };
};

describe('Staff scheduling in Chromium', { skip: browserSkip }, () => {
  let server: RunningServer;
  let browser: Browser;
  withServerAndBrowser((s, b) => {
    server = s;
    browser = b;
  });

  test('a visit booked from the patient page through the slot finder shows on the calendar, is checked in from it, and completed with care instructions', async () => {
    const { page, errors } = await newPage(browser);
    await signInAsAdmin(page, server);
    const [patient] = (await api<{ items: Summary[] }>(page, server, 'GET', '/api/patients?limit=1&lifecycle=active')).items;
    assert.ok(patient, 'the demo clinic has active patients');
    // A service any patient may book, at a location, without a room or a cap on future bookings.
    const services = (await api<{ items: Service[] }>(page, server, 'GET', '/api/scheduling/services?active=true')).items;
    const service = services.find((s) => s.eligibility === 'any' && !s.requiresRoom && s.mode === 'in_person' && s.maxFutureBookings === null && s.practitionerIds.length > 0);
    assert.ok(service, 'the demo clinic has a service any patient can book');
    const label = `${service.name} (${service.durationMinutes} min)`;

    // Book from the patient page: service, any practitioner, the first free time.
    await page.goto(`${server.url}/patients/${patient.id}`);
    await page.getByRole('region', { name: 'Patient', exact: true }).getByRole('button', { name: 'Book appointment' }).click();
    const dialog = page.getByRole('dialog', { name: `Book an appointment for ${patient.givenName} ${patient.familyName}` });
    await dialog.getByRole('combobox', { name: 'Service' }).click();
    await page.getByRole('option', { name: label, exact: true }).click();
    await dialog.getByRole('button', { name: 'Find free times' }).click();
    const firstFree = dialog.getByRole('list', { name: 'Free times' }).getByRole('button').first();
    await firstFree.click();
    await dialog.getByRole('button', { name: 'Book appointment', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });

    // The patient's appointments tab lists it as upcoming.
    await page.getByRole('tab', { name: 'Appointments', selected: true }).waitFor();
    const upcoming = page.getByRole('region', { name: 'Upcoming' });
    await upcoming.getByText(service.name, { exact: true }).first().waitFor();

    const booked = (await api<{ items: Appointment[] }>(page, server, 'GET', `/api/appointments?patientId=${patient.id}&status=booked`)).items.filter(
      (a) => a.service.id === service.id,
    );
    assert.equal(booked.length, 1, 'one booked appointment of that service');
    const appointment = booked[0]!;

    // The schedule shows it on its day at its location; its drawer confirms it.
    const day = DateTime.fromISO(appointment.startsAt, { zone: appointment.location.timeZone }).toISODate();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedule' }).click();
    await page.waitForURL(/\/schedule/);
    await page.goto(`${server.url}/schedule?location=${appointment.location.id}&date=${day}&view=day`);
    const calendar = page.getByRole('region', { name: 'Calendar' });
    const event = calendar.getByLabel(`${patient.givenName} ${patient.familyName}, ${service.name}`, { exact: false });
    await event.first().click();
    const drawer = page.getByRole('dialog', { name: 'Appointment' });
    const name = `${patient.givenName} ${patient.familyName}`;
    await drawer.getByRole('heading', { name }).waitFor();
    await drawer.getByText(service.name, { exact: false }).first().waitFor();
    await drawer.getByRole('button', { name: 'Confirm', exact: true }).click();
    // The badge says so, and the history records it.
    await drawer.getByRole('region', { name: 'History' }).getByText('Confirmed', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'hidden' });

    // The day list of that day (today's, unless the first free time was later) checks the patient in.
    await page.getByRole('tab', { name: 'Day list' }).click();
    await page.waitForURL(/\/schedule\/today/);
    const row = page.getByRole('table', { name: 'Appointments of the day' }).getByRole('row').filter({ hasText: name });
    await row.getByRole('button', { name: `Check in ${name}` }).click();
    await row.getByText('Checked in', { exact: true }).waitFor();

    const checkedIn = await api<Appointment & { confirmedAt: string | null; history: Array<{ action: string; toStatus: string }> }>(
      page,
      server,
      'GET',
      `/api/appointments/${appointment.id}`,
    );
    assert.equal(checkedIn.status, 'arrived');
    assert.ok(checkedIn.confirmedAt, 'confirmed from the drawer');
    assert.ok(checkedIn.history.some((h) => h.toStatus === 'arrived'), 'the check-in is in the history');

    // Back on the calendar, the clinician's care instructions go with the completion.
    await page.goto(`${server.url}/schedule?location=${appointment.location.id}&date=${day}&view=day`);
    await event.first().click();
    await drawer.getByLabel('Care instructions for this visit').fill('Keep the dressing dry until tomorrow.');
    await drawer.getByRole('button', { name: 'Complete', exact: true }).click();
    await drawer.getByRole('region', { name: 'History' }).getByText('Completed', { exact: false }).first().waitFor();
    const completed = await api<Appointment>(page, server, 'GET', `/api/appointments/${appointment.id}`);
    assert.deepEqual([completed.status, completed.careInstructions], ['fulfilled', 'Keep the dressing dry until tomorrow.']);
    assert.deepEqual(errors, []);
  });
});
