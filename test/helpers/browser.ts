import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer } from './server.ts';

/**
 * Shared set-up of the browser tests: Debian's Chromium (or CHROMIUM_PATH), skipped with a reason
 * when it is missing, unless RAPPORT_REQUIRE_BROWSER=1 makes a missing Chromium a failure.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.RAPPORT_REQUIRE_BROWSER === '1';
const available = existsSync(CHROMIUM);
if (!available && required) {
  throw new Error(`Browser tests are required (RAPPORT_REQUIRE_BROWSER=1) but ${CHROMIUM} is missing: apt-get install -y chromium`);
}

/** The `skip` option for a browser test's describe: false, or why it is skipped. */
export const browserSkip: false | string = available
  ? false
  : `Chromium not found at ${CHROMIUM}; install it with apt-get install -y chromium to run browser tests`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A suite's real server (`rapport start` on a fresh PGlite directory) and Chromium: started before
 * its tests and handed to `receive`, stopped after them.
 */
export function withServerAndBrowser(receive: (server: RunningServer, browser: Browser) => void): void {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    server = await startServer();
    browser = await launchChromium();
    receive(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

/** A page whose uncaught errors are collected (a test ends by asserting there were none). */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, errors };
}

/** Signs in as the demo administrator through the sign-in page and waits for the patient list. */
export async function signInAsAdmin(page: Page, server: RunningServer): Promise<void> {
  await page.goto(`${server.url}/login`);
  await page.getByLabel('Email').fill(server.adminEmail);
  await page.getByLabel('Password').fill(server.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/patients/);
}

/** Calls the JSON API with the page's session cookie; fails the test on an unexpected status. */
export async function api<T>(page: Page, server: RunningServer, method: 'GET' | 'POST', path: string, body?: unknown, expected = [200, 201]): Promise<T> {
  const response = await page.request.fetch(`${server.url}${path}`, {
    method,
    ...(body !== undefined ? { data: body as object } : {}),
  });
  if (!expected.includes(response.status())) {
    throw new Error(`${method} ${path} answered ${response.status()}: ${await response.text()}`);
  }
  return (await response.json()) as T;
}
