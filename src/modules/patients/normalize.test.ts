import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldName, isIanaTimeZone, normalizeEmail, phoneDigits, toE164 } from './normalize.ts';

test('phones in any common format become E.164; invalid ones are refused', () => {
  for (const raw of ['(413) 555-0123', '413.555.0123', '+1 413 555 0123', '4135550123', '1-413-555-0123']) {
    assert.equal(toE164(raw), '+14135550123', raw);
  }
  assert.equal(toE164('020 7946 0018', 'GB'), '+442079460018');
  assert.equal(toE164('+44 20 7946 0018'), '+442079460018');
  for (const bad of ['12', 'call me', '555-1234-5678-9999', '+1 000 000 0000']) assert.equal(toE164(bad), null, bad);
  assert.equal(phoneDigits('(413) 555-0123'), '4135550123');
});

test('emails are trimmed and lower-cased; non-emails are refused', () => {
  assert.equal(normalizeEmail('  Ada.Lovelace@Example.ORG '), 'ada.lovelace@example.org');
  assert.equal(normalizeEmail('ada@'), null);
  assert.equal(normalizeEmail('not an email'), null);
});

test('names fold accents, case and punctuation', () => {
  assert.equal(foldName("  Zoë  O'Núñez-Smith "), 'zoe o nunez smith');
});

test('IANA time zones are recognised; made-up ones are not', () => {
  assert.ok(isIanaTimeZone('America/New_York'));
  assert.ok(isIanaTimeZone('Europe/Berlin'));
  assert.ok(!isIanaTimeZone('Mars/Olympus'));
  assert.ok(!isIanaTimeZone(''));
});
