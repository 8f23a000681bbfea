import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';

/**
 * Canonical forms of what people type: phones as E.164, emails lower-cased, names folded for
 * comparison. Shared by the patient record, search, duplicate detection and import.
 */

/** A phone number in E.164 (+14135550123), or null when it is not a valid number. */
export function toE164(raw: string, defaultCountry: CountryCode = 'US'): string | null {
  const parsed = parsePhoneNumberFromString(raw.trim(), defaultCountry);
  if (!parsed || !parsed.isValid()) return null;
  return parsed.number;
}

/** Digits of a phone as typed, for matching partial numbers in search ("555-0123" -> "5550123"). */
export function phoneDigits(raw: string): string {
  return raw.replace(/\D/g, '');
}

const emailSchema = z.email();

/** A lower-cased, trimmed email, or null when it is not an email address. */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return emailSchema.safeParse(email).success ? email : null;
}

/** A name folded for comparison: no accents, lower case, letters and digits only, single spaces. */
export function foldName(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isIanaTimeZone(zone: string): boolean {
  if (!zone || zone !== zone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
