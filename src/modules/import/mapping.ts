import { validationFailed, type FieldProblem } from '../../server/errors.ts';
import { checkConsentTarget, type ConsentTarget } from './consent.ts';

/**
 * Where each CSV column goes in the patient record. A mapping is `{ "CSV column": target }`; a
 * column left out is ignored. `phone...`, `email...`, `tags` and `ignore` may take several columns;
 * every other target takes at most one.
 */

export const FIXED_TARGETS = {
  givenName: 'First (given) name',
  familyName: 'Last (family) name',
  preferredName: 'Preferred name',
  birthDate: 'Date of birth',
  sex: 'Sex',
  genderIdentity: 'Gender identity',
  pronouns: 'Pronouns',
  mrn: 'MRN',
  phone: 'Phone',
  'phone:mobile': 'Phone (mobile)',
  'phone:home': 'Phone (home)',
  'phone:work': 'Phone (work)',
  email: 'Email',
  'email:home': 'Email (home)',
  'email:work': 'Email (work)',
  'address.line': 'Street address',
  'address.city': 'City',
  'address.region': 'State / region',
  'address.postalCode': 'ZIP / postal code',
  'address.country': 'Country (two letters)',
  language: 'Language',
  timeZone: 'Time zone',
  preferredChannel: 'Preferred channel',
  tags: 'Tags (separated by ; or |)',
  'source.channel': 'Source channel',
  'source.campaign': 'Source campaign',
  ignore: 'Do not import',
} as const;

export type FixedTarget = keyof typeof FIXED_TARGETS;
/** A fixed target, `identifier:<system>`, `customField:<key>` or a consent target (consent.ts). */
export type ImportTarget = FixedTarget | `identifier:${string}` | `customField:${string}` | ConsentTarget;
export type ImportMapping = Record<string, ImportTarget>;
export type CustomFieldRef = { key: string; label: string };

const MULTI = (t: string) => t === 'ignore' || t === 'tags' || t.startsWith('phone') || t.startsWith('email');
const CUSTOM_KEY = /^[a-z][a-z0-9_]{0,62}$/;

/** Header spellings (folded: lower case, letters and digits only) and the field they mean. */
const SYNONYMS: Record<string, ImportTarget> = Object.fromEntries(
  (
    [
      ['givenName', 'firstname first given givenname forename fname'],
      ['familyName', 'lastname last surname familyname family lname'],
      ['preferredName', 'preferredname preferred nickname knownas'],
      ['birthDate', 'dob dateofbirth birthdate birthday born'],
      ['sex', 'sex gender sexatbirth'],
      ['genderIdentity', 'genderidentity'],
      ['pronouns', 'pronouns pronoun'],
      ['mrn', 'mrn medicalrecordnumber patientid patientnumber patientno chartnumber chartno recordnumber'],
      ['phone', 'phone phonenumber telephone tel'],
      ['phone:mobile', 'mobile cell cellphone mobilephone mobilenumber cellnumber'],
      ['phone:home', 'homephone home homenumber'],
      ['phone:work', 'workphone businessphone officephone worknumber'],
      ['email', 'email emailaddress mail'],
      ['email:home', 'homeemail personalemail'],
      ['email:work', 'workemail businessemail'],
      ['address.line', 'address street streetaddress address1 addressline addressline1'],
      ['address.city', 'city town'],
      ['address.region', 'state region province'],
      ['address.postalCode', 'zip zipcode postalcode postcode postal'],
      ['address.country', 'country countrycode'],
      ['language', 'language preferredlanguage lang'],
      ['timeZone', 'timezone tz'],
      ['preferredChannel', 'preferredchannel contactpreference preferredcontact contactmethod'],
      ['tags', 'tags tag labels'],
      ['source.channel', 'source leadsource referralsource channel'],
      ['source.campaign', 'campaign sourcecampaign'],
    ] as const
  ).flatMap(([target, words]) => words.split(' ').map((w) => [w, target] as const)),
);

/**
 * Consent headers, folded: a channel with a consent word ("SMS opt in", "OK to text"), optionally
 * with a purpose ("Email marketing opt-in", "Text reminders"), or marketing alone ("Marketing
 * consent"). A channel on its own ("SMS") may hold a number, and a purpose on its own other than
 * marketing may mean consent to treatment, research or billing itself, so neither is guessed.
 */
const CONSENT_WORDS = ['consent', 'optin', 'optedin', 'permission', 'ok', 'allowed'];
const CONSENT_PREFIXES = ['okto', 'consentto', 'optin', 'optinto', 'allow'];
const CHANNEL_WORDS = { sms: ['sms', 'text', 'texts', 'textmessage', 'textmessages', 'texting', 'smstext'], email: ['email', 'emails'] } as const;
const PURPOSE_WORDS = {
  care: ['reminder', 'reminders', 'appointmentreminders'],
  billing: ['billing'],
  education: ['education', 'educational'],
  marketing: ['marketing', 'promotional', 'promotions', 'newsletter'],
  research: ['research'],
} as const;
function consentSynonyms(): Record<string, ImportTarget> {
  const out: Record<string, ImportTarget> = {};
  const add = (target: ImportTarget, ...words: string[]) => words.forEach((w) => (out[w] ??= target));
  for (const [channel, channelWords] of Object.entries(CHANNEL_WORDS)) {
    for (const c of channelWords) {
      add(`consent:${channel}`, ...CONSENT_WORDS.map((w) => c + w), ...CONSENT_PREFIXES.map((p) => p + c));
      for (const [purpose, purposeWords] of Object.entries(PURPOSE_WORDS)) {
        for (const p of purposeWords) add(`consent:${channel}:${purpose}`, ...['', ...CONSENT_WORDS].flatMap((w) => [c + p + w, p + c + w]));
      }
    }
  }
  for (const p of PURPOSE_WORDS.marketing) add('consent:all:marketing', ...CONSENT_WORDS.map((w) => p + w), ...CONSENT_PREFIXES.map((x) => x + p));
  return out;
}
const CONSENT_SYNONYMS = consentSynonyms();

const fold = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Whether `value` names a target, and the problem with it when it does not. */
export function checkTarget(value: string): string | null {
  if (value in FIXED_TARGETS) return null;
  if (value.startsWith('identifier:')) {
    const system = value.slice('identifier:'.length).trim();
    return system && system.length <= 200 ? null : 'needs an identifier system after "identifier:" (at most 200 characters)';
  }
  if (value.startsWith('customField:')) {
    return CUSTOM_KEY.test(value.slice('customField:'.length)) ? null : 'needs a custom field key after "customField:" (lower case letters, digits, _)';
  }
  if (value.startsWith('consent:')) return checkConsentTarget(value);
  return `is not an import field; use one of ${Object.keys(FIXED_TARGETS).join(', ')}, identifier:<system>, customField:<key> or consent:<channel>:<purpose>`;
}

/**
 * The target each header most likely means: "First Name", "Surname", "DOB", "Mobile", "Zip" ...;
 * a header that is a target's own name ("birthDate", "identifier:urn:example:ehr") or a custom
 * field's key or label maps to it. Headers nothing matches are ignored. A target that takes one
 * column goes to the first header that asks for it.
 */
export function guessMapping(headers: readonly string[], customFields: readonly CustomFieldRef[] = []): ImportMapping {
  const mapping: ImportMapping = {};
  const taken = new Set<string>();
  for (const header of headers) {
    const folded = fold(header);
    const field = customFields.find((f) => fold(f.key) === folded || fold(f.label) === folded);
    const exact = checkTarget(header.trim()) === null ? (header.trim() as ImportTarget) : undefined;
    const target: ImportTarget = exact ?? (field ? `customField:${field.key}` : (SYNONYMS[folded] ?? CONSENT_SYNONYMS[folded] ?? 'ignore'));
    if (!MULTI(target) && taken.has(target)) {
      mapping[header] = 'ignore';
      continue;
    }
    taken.add(target);
    mapping[header] = target;
  }
  return mapping;
}

/**
 * The mapping an import uses: the guess, with `explicit` entries (matched to headers regardless of
 * case) taking precedence. Throws a 400 naming every explicit entry that names no column or no
 * field, and every target given to more columns than it takes.
 */
export function resolveMapping(
  headers: readonly string[],
  explicit: Record<string, string> | undefined,
  customFields: readonly CustomFieldRef[] = [],
): ImportMapping {
  const mapping = guessMapping(headers, customFields);
  const problems: FieldProblem[] = [];
  const overridden = new Set<string>();
  for (const [column, rawTarget] of Object.entries(explicit ?? {})) {
    const header = headers.find((h) => h === column.trim()) ?? headers.find((h) => h.toLowerCase() === column.trim().toLowerCase());
    const target = rawTarget.trim();
    const problem = checkTarget(target);
    if (!header) problems.push({ path: `mapping.${column}`, message: `is not a column of the file (its columns are ${headers.join(', ')})` });
    else if (problem) problems.push({ path: `mapping.${column}`, message: `"${target}" ${problem}` });
    else {
      mapping[header] = target as ImportTarget;
      overridden.add(header);
    }
  }
  // A guess gives way to an explicit choice of the same single-column target.
  const byTarget = new Map<string, string[]>();
  for (const [header, target] of Object.entries(mapping)) {
    if (!MULTI(target)) byTarget.set(target, [...(byTarget.get(target) ?? []), header]);
  }
  for (const [target, columns] of byTarget) {
    if (columns.length < 2) continue;
    const chosen = columns.filter((c) => overridden.has(c));
    for (const c of columns) if (chosen.length && !overridden.has(c)) mapping[c] = 'ignore';
    if (chosen.length > 1) {
      problems.push({ path: `mapping.${chosen[1]}`, message: `maps to ${target}, which column "${chosen[0]}" already fills; a patient has one ${target}` });
    }
  }
  if (problems.length) throw validationFailed(problems);
  return mapping;
}

/** Things worth knowing before running an import with this mapping. */
export function mappingWarnings(mapping: ImportMapping): string[] {
  const targets = Object.values(mapping);
  const warnings: string[] = [];
  if (!targets.some((t) => t === 'mrn' || t.startsWith('identifier:'))) {
    warnings.push(
      'No column is mapped to the MRN or an identifier, so rows cannot be matched to patients already in Rapport: importing this file again creates every patient again (each then waits in duplicate review). Map an MRN or identifier column to make re-imports update instead.',
    );
  }
  for (const field of ['givenName', 'familyName'] as const) {
    if (!targets.includes(field)) warnings.push(`No column is mapped to ${field}: rows that do not match an existing patient will fail.`);
  }
  const ignored = Object.entries(mapping).filter(([, t]) => t === 'ignore').map(([c]) => c);
  if (ignored.length) warnings.push(`Not imported: ${ignored.map((c) => `"${c}"`).join(', ')}.`);
  return warnings;
}

/**
 * Reads `--map "CSV Column=field,Other Column=field"` (several --map options add up). A column
 * name holding a comma cannot be given here; rename it in the file or use the upload page.
 */
export function parseMappingSpec(specs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of specs.flatMap((s) => s.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const at = part.lastIndexOf('=');
    if (at <= 0 || at === part.length - 1) throw new Error(`"${part}" is not COLUMN=field`);
    out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}
