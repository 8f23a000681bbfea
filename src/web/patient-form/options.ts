import { channelLabel, languageName, sexLabel } from '../patients/format.ts';

/** Choices offered by the patient form's selects. */

export const SEX_OPTIONS = ['female', 'male', 'other', 'unknown'].map((value) => ({ value, label: sexLabel(value) }));

export const CHANNEL_OPTIONS = ['sms', 'email', 'phone', 'portal', 'mail'].map((value) => ({ value, label: channelLabel(value) }));

export const CONTACT_USE_OPTIONS = [
  { value: 'mobile', label: 'Mobile' },
  { value: 'home', label: 'Home' },
  { value: 'work', label: 'Work' },
  { value: 'other', label: 'Other' },
];

export const STORED_LIFECYCLE_OPTIONS = [
  { value: 'lead', label: 'Lead' },
  { value: 'active', label: 'Active' },
  { value: 'inactive', label: 'Inactive' },
  { value: 'deceased', label: 'Deceased' },
];

/** Languages patients commonly ask for in US clinics; any other tag the record holds is added. */
const COMMON_LANGUAGES = [
  'en', 'es', 'zh', 'yue', 'vi', 'tl', 'ar', 'fr', 'ht', 'ko', 'ru', 'pt', 'de', 'it', 'pl', 'hi', 'ur', 'bn', 'pa',
  'fa', 'ja', 'so', 'am', 'uk', 'el', 'he', 'tr', 'nl', 'asl',
];

export function languageOptions(current: string): Array<{ value: string; label: string }> {
  const codes = current && !COMMON_LANGUAGES.includes(current) ? [current, ...COMMON_LANGUAGES] : COMMON_LANGUAGES;
  return codes.map((code) => ({ value: code, label: `${languageName(code)} (${code})` }));
}

let zones: string[] | null = null;

/** Every IANA time zone the browser knows, plus the record's own if the browser lacks it. */
export function timeZoneOptions(current: string): string[] {
  zones ??= Intl.supportedValuesOf('timeZone');
  return current && !zones.includes(current) ? [current, ...zones] : zones;
}
