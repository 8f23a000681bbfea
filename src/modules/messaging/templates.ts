/**
 * The message template language: `{{ variable.name }}` and nothing else (no logic, no HTML; email
 * HTML is made from the rendered text elsewhere), `\{{` for a literal `{{`. Pure functions: the
 * catalog of variables, parsing, validation with readable refusals, rendering, SMS segment counts
 * and warnings about clinical detail in channels that are not confidential.
 */
import { AppError, validationFailed } from '../../server/errors.ts';
import { editDistance } from '../../shared/text-similarity.ts';
import type { Channel } from './types.ts';

/** What a message must be about for a variable to have a value; patient and clinic always do. */
export type VariableContext = 'patient' | 'clinic' | 'appointment' | 'offer' | 'medication' | 'invoice' | 'survey';
export type TemplateVariable = { label: string; example: string; needs: VariableContext };

const ALWAYS: readonly VariableContext[] = ['patient', 'clinic'];
/** How a refusal names each context ("it needs an invoice"). */
const CONTEXT_NOUN: Record<VariableContext, string> = {
  patient: 'patient',
  clinic: 'clinic',
  appointment: 'appointment',
  offer: 'waitlist offer',
  medication: 'medication reminder',
  invoice: 'invoice',
  survey: 'survey',
};
const aNoun = (c: VariableContext) => `${/^[aeiou]/.test(CONTEXT_NOUN[c]) ? 'an' : 'a'} ${CONTEXT_NOUN[c]}`;

const v = (needs: VariableContext, label: string, example: string): TemplateVariable => ({ label, example, needs });
const LINK = 'https://rapport.example';

/** Every variable a template may use; the examples fill previews and the SMS length estimate. */
export const TEMPLATE_VARIABLES: Readonly<Record<string, TemplateVariable>> = Object.freeze({
  'patient.firstName': v('patient', 'First name (the preferred name when set)', 'Sam'),
  'patient.lastName': v('patient', 'Last name', 'Rivera'),
  'patient.fullName': v('patient', 'Full name', 'Sam Rivera'),
  'clinic.name': v('clinic', 'Clinic name', 'Northside Family Clinic'),
  'clinic.phone': v('clinic', 'Clinic phone number', '(555) 010-0123'),
  'appointment.date': v('appointment', 'Appointment date', 'Tuesday 3 March'),
  'appointment.time': v('appointment', 'Appointment time', '9:30 AM'),
  'appointment.dateTime': v('appointment', 'Appointment date and time', 'Tuesday 3 March at 9:30 AM'),
  'appointment.service': v('appointment', 'Service booked', 'Initial consultation'),
  'appointment.practitioner': v('appointment', 'Practitioner', 'Dr Lee'),
  'appointment.location': v('appointment', 'Location name', 'Main Street'),
  'appointment.address': v('appointment', 'Location address', '12 Main Street, Springfield'),
  'appointment.timeZone': v('appointment', 'Time zone of the appointment', 'Eastern Time'),
  'appointment.careInstructions': v(
    'appointment',
    "Care instructions after the visit: the visit's own, else the service's, else a general line",
    'Avoid hot drinks for an hour, and brush gently tonight.',
  ),
  'practitioner.name': v('appointment', 'Practitioner (same as appointment.practitioner)', 'Dr Lee'),
  'location.name': v('appointment', 'Location name', 'Main Street'),
  'location.address': v('appointment', 'Location address', '12 Main Street, Springfield'),
  'location.phone': v('appointment', 'Location phone number', '(555) 010-0456'),
  'links.manage': v('appointment', 'Link to confirm, cancel or reschedule', `${LINK}/a/7Kq2mXw`),
  'links.calendar': v('appointment', 'Link to add the appointment to a calendar (.ics)', `${LINK}/a/7Kq2mXw.ics`),
  'links.book': v('clinic', 'Online booking page', `${LINK}/book/northside`),
  'links.preferences': v('patient', 'Communication preferences page', `${LINK}/p/Q8vL3dZ`),
  'links.unsubscribe': v('patient', 'One-click unsubscribe link', `${LINK}/u/Q8vL3dZ`),
  'links.survey': v('survey', 'Link to the survey', `${LINK}/s/Zp4rT1k`),
  'links.offer': v('offer', 'Link to accept the waitlist offer', `${LINK}/o/Hn6wB2c`),
  'offer.dateTime': v('offer', 'Date and time offered', 'Thursday 5 March at 2:00 PM'),
  'offer.service': v('offer', 'Service offered', 'Follow-up visit'),
  'offer.expiresAt': v('offer', 'When the offer lapses', 'Wednesday 4 March at 6:00 PM'),
  'medication.name': v('medication', 'Medication name', 'Amoxicillin'),
  'medication.instructions': v('medication', 'How to take it', 'One capsule with food'),
  'medication.time': v('medication', 'Time to take it', '8:00 AM'),
  'invoice.number': v('invoice', 'Invoice number', 'INV-1042'),
  'invoice.balance': v('invoice', 'Balance due', '$85.00'),
  'invoice.dueDate': v('invoice', 'Due date', '31 March'),
  'survey.question': v('survey', 'Survey question', 'How likely are you to recommend us to a friend?'),
});

/** Own properties only, so `{{ constructor }}` is unknown rather than Object.prototype's. */
const lookup = <T>(record: Readonly<Partial<Record<string, T>>>, name: string): T | undefined =>
  Object.hasOwn(record, name) ? record[name] : undefined;

/** Values for every variable from the catalog's examples, for previews without a patient. */
export function sampleValues(): Record<string, string> {
  return Object.fromEntries(Object.entries(TEMPLATE_VARIABLES).map(([name, variable]) => [name, variable.example]));
}

type Part = string | { name: string };
type Where = 'subject' | 'body';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function syntaxError(text: string, index: number, where: Where | undefined, problem: (at: string) => string): AppError {
  const before = text.slice(0, index).split('\n');
  const line = before.length;
  const column = before.at(-1)!.length + 1;
  const message = problem(`at line ${line}, column ${column}${where ? ` of the ${where}` : ''}`);
  const error = new AppError(400, 'template_invalid', message, where ? [{ path: where, message }] : undefined);
  error.details = { index, line, column };
  return error;
}

/** Splits a template into literal text and variables; throws 400 template_invalid at the first mistake. */
function split(text: string, where?: Where): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('\\{{', i)) {
      literal += '{{';
      i += 3;
    } else if (text.startsWith('{{', i)) {
      if (text[i + 2] === '{') {
        throw syntaxError(text, i, where, (at) => `{{{ ${at} is not supported: write {{ name }} for a variable, or \\{{ for a literal {{.`);
      }
      const close = text.indexOf('}}', i + 2);
      const inside = close < 0 ? '' : text.slice(i + 2, close);
      // A line break or another {{ before the }} means this one was never closed.
      if (close < 0 || inside.includes('\n') || inside.includes('{{')) {
        throw syntaxError(text, i, where, (at) => `Unclosed {{ ${at}: end the variable with }}, or write \\{{ for a literal {{.`);
      }
      const name = inside.trim();
      if (!name) throw syntaxError(text, i, where, (at) => `Empty {{ }} ${at}: put a variable name inside, like {{patient.firstName}}.`);
      if (!NAME.test(name)) {
        const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
        throw syntaxError(text, i, where, (at) =>
          `"{{${shown}}}" ${at} is not a variable name: use letters, digits and dots, like {{patient.firstName}} (templates have no logic or filters).`,
        );
      }
      if (literal) parts.push(literal);
      literal = '';
      parts.push({ name });
      i = close + 2;
    } else {
      literal += text[i];
      i++;
    }
  }
  if (literal) parts.push(literal);
  return parts;
}

const namesIn = (parts: Part[]): string[] => [...new Set(parts.flatMap((p) => (typeof p === 'string' ? [] : [p.name])))];

/** The distinct variable names a template uses, in order of first use; throws 400 template_invalid on bad syntax. */
export function parseTemplate(text: string): { variables: string[] } {
  return { variables: namesIn(split(text)) };
}

/**
 * Fills a template. A variable without a value renders as nothing, taking with it the space it
 * would leave doubled ("with  on" becomes "with on", "Hi ," becomes "Hi,").
 */
export function renderTemplate(text: string, values: Partial<Record<string, string>>): string {
  let out = '';
  let gap = false;
  for (const part of split(text)) {
    if (typeof part !== 'string') {
      const value = lookup(values, part.name) ?? '';
      out += value;
      gap = value === '';
      continue;
    }
    let literal = part;
    if (gap && /[ \t]$/.test(out) && /^([ \t\r\n,.;:!?)]|$)/.test(literal)) out = out.replace(/[ \t]+$/, '');
    else if (gap && (out === '' || out.endsWith('\n'))) literal = literal.replace(/^[ \t]+/, '');
    out += literal;
    gap = false;
  }
  return gap ? out.replace(/[ \t]+$/, '') : out;
}

// GSM 03.38: the basic table (without ESC) costs one septet a character, the extension table two.
const GSM_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM_EXTENSION = new Set('\f^{}\\[~]|€');
const isGsm = (c: string) => GSM_BASIC.has(c) || GSM_EXTENSION.has(c);

/**
 * How an SMS would be sent: GSM-7 when every character is in the GSM 03.38 tables, else UCS-2 (one
 * character such as 'ł', '’' or an emoji switches the whole message). `characters` counts septets
 * for GSM-7 (extension characters such as '€' take two) and UTF-16 units for UCS-2. Long messages
 * go in parts of 153 septets or 67 units, and a two-unit character is never split across parts.
 */
export function smsSegments(text: string): { encoding: 'GSM-7' | 'UCS-2'; segments: number; characters: number } {
  const chars = [...text];
  const gsm = chars.every(isGsm);
  const widths = chars.map((c) => (gsm ? (GSM_EXTENSION.has(c) ? 2 : 1) : c.length));
  const characters = widths.reduce((a, b) => a + b, 0);
  const encoding = gsm ? 'GSM-7' : 'UCS-2';
  if (characters <= (gsm ? 160 : 70)) return { encoding, segments: characters ? 1 : 0, characters };
  const perPart = gsm ? 153 : 67;
  let segments = 1;
  let used = 0;
  for (const width of widths) {
    if (used + width > perPart) {
      segments++;
      used = 0;
    }
    used += width;
  }
  return { encoding, segments, characters };
}

// Words and phrases that put clinical detail in a message, matched as whole words regardless of
// case; a space matches spaces or hyphens. Deliberately specific ("results" alone, "therapy",
// "medication" or "dose" are ordinary reminder words) so that routine reminders stay quiet.
const CLINICAL_TERMS = [
  // tests and results
  '(?:test|lab|laboratory|blood|pathology|biopsy|scan|screening|smear) results?', 'biops(?:y|ies)', 'pathology',
  'smear test', 'pap (?:smear|test)', 'mammograms?', 'colonoscopy', 'abnormal',
  '(?:tested|came back|(?:results?|tests?) (?:is|are|was|were)) (?:positive|negative)',
  '(?:positive|negative|normal|inconclusive) (?:results?|tests?|findings?|screen)',
  // diagnoses and conditions
  'diagnos[ie]s', 'diagnosed', 'cancers?', 'tumou?rs?', 'malignant', 'benign', 'oncology', 'oncologist', 'chemo(?:therapy)?',
  'radiotherapy', 'diabetes', 'diabetic', 'hypertension', 'asthma', 'epilepsy', 'dementia', "alzheimer['’]?s", 'hepatitis',
  'tuberculosis', 'dialysis', 'heart failure', 'cholesterol', 'hba1c', 'blood sugar', 'obesity', 'palliative', 'hospice',
  // sexual health, pregnancy and fertility
  'hiv', 'stis?', 'stds?', 'sexually transmitted', 'sexual health', 'chlamydia', 'gonorrh?o?ea', 'syphilis', 'herpes', 'hpv',
  'pregnant', 'pregnanc(?:y|ies)', 'prenatal', 'antenatal', 'miscarriage', 'abortion', 'termination of pregnancy', 'ivf',
  'fertility', 'infertility', 'contracepti(?:on|ve)', 'morning after pill', 'birth control',
  // mental health and addiction
  'mental health', 'depression', 'depressive', 'anxiety', 'bipolar', 'schizophrenia', 'psychosis', 'psychotic',
  'psychiatr(?:y|ic|ist)', 'psycholog(?:ist|ical)', 'psychotherapy', 'eating disorders?', 'anorexia', 'bulimia',
  'suicid(?:e|al)', 'self harm', 'ptsd', 'adhd', 'ocd', 'addiction', 'substance (?:use|abuse)', 'overdose',
  // prescriptions and medicines
  'prescriptions?', 'prescribed', 'dosage', 'anti(?:depressant|psychotic|retroviral)s?', 'statins?',
  ...`insulin metformin warfarin methadone buprenorphine suboxone naloxone sertraline fluoxetine citalopram escitalopram
    lithium quetiapine olanzapine risperidone aripiprazole diazepam lorazepam alprazolam zolpidem oxycodone morphine
    fentanyl tramadol codeine truvada levothyroxine prednisone prednisolone methotrexate adderall ritalin
    methylphenidate semaglutide ozempic wegovy sildenafil viagra tadalafil isotretinoin accutane`.split(/\s+/),
];
const CLINICAL_PATTERNS = [
  new RegExp(`(?<![\\p{L}\\p{N}])(?:${CLINICAL_TERMS.join('|').replaceAll(' ', '[\\s-]+')})(?![\\p{L}\\p{N}])`, 'giu'),
  // Medicine names by their family endings (lisinopril, losartan, amoxicillin, omeprazole ...).
  /(?<![\p{L}\p{N}])\p{L}{2,}(?:pril|sartan|vastatin|olol|cillin|mycin|floxacin|oxetine|azepam|azolam|prazole|tinib|zumab|ximab)(?![\p{L}\p{N}])/giu,
  // Dosages: "20 mg", "2.5mcg", "10 ml", "2 tablets".
  /(?<![\p{L}\p{N}])\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|μg|ml|mmol|iu|tablets?|capsules?|pills?)(?![\p{L}\p{N}])/giu,
  // Upper case only, so "hearing aids" and "bowel prep" stay quiet.
  /(?<![\p{L}\p{N}])(?:AIDS|PrEP)(?![\p{L}\p{N}])/gu,
];
const NOT_CONFIDENTIAL = 'SMS and email are not confidential; keep clinical detail to the portal or a phone call.';
const CLINICAL_VARIABLES = { 'medication.name': 'names the medication', 'medication.instructions': 'carries dosage instructions' };
/**
 * Variables that carry clinical detail the clinic wrote for the patient to read after a visit. By
 * email that is what the follow-up is for (the clinician writes them knowing they go by email, and
 * the service and visit forms say so), so no warning there; a text shows on a lock screen and is
 * billed by the segment, so in SMS it is warned about.
 */
const SMS_ONLY_CLINICAL_VARIABLES = { 'appointment.careInstructions': "carries the clinic's care instructions for the visit (up to 2000 characters)" };
const NOT_FOR_SMS = 'a text message is not confidential and may show on a lock screen; send care instructions by email.';
const usesVariable = (text: string, name: string) => new RegExp(`\\{\\{\\s*${name.replace('.', '\\.')}\\s*\\}\\}`).test(text);

/**
 * Warnings when a template's own text (not its variables' values) seems to carry clinical detail,
 * plus one for each variable that always does. Never throws: it also runs on drafts.
 */
export function clinicalDetailWarnings(text: string): string[] {
  const literal = text.replace(/\{\{[^{}\n]*\}\}/g, ' ');
  const found = CLINICAL_PATTERNS.flatMap((pattern) => [...literal.matchAll(pattern)]).sort((a, b) => a.index - b.index);
  const mentions = [...new Map(found.map((m) => [m[0].toLowerCase().replace(/[\s-]+/g, ' '), m[0]])).values()];
  const warnings = mentions.map((m) => `Mentions "${m}": ${NOT_CONFIDENTIAL}`);
  for (const [name, why] of Object.entries(CLINICAL_VARIABLES)) {
    if (usesVariable(text, name)) warnings.push(`{{${name}}} ${why}: ${NOT_CONFIDENTIAL}`);
  }
  return warnings;
}

/** The catalog variable an unknown name was most likely meant to be. */
function didYouMean(name: string): string | undefined {
  const lower = name.toLowerCase();
  const last = lower.split('.').at(-1);
  let best: string | undefined;
  let bestScore = Infinity;
  for (const known of Object.keys(TEMPLATE_VARIABLES)) {
    const distance = editDistance(lower, known.toLowerCase(), 3);
    // A near spelling wins; failing that, the same last part ("{{firstName}}", "{{appt.time}}").
    const score = distance <= (name.length >= 15 ? 3 : 2) ? distance : known.toLowerCase().endsWith(`.${last}`) ? 10 + distance : Infinity;
    if (score < bestScore) [best, bestScore] = [known, score];
  }
  return best;
}

type TemplateInput = { channel: Channel; subject?: string | null; body: string; allowed?: VariableContext[] };

/**
 * Checks a template before it is saved: the subject the channel needs (email) or cannot have
 * (SMS, in-app), syntax, unknown variables (with a did-you-mean), and variables that need
 * something this template is not sent with. Returns the variables used and warnings: SMS length
 * with sample values, and clinical detail in email and SMS.
 */
export function validateTemplate(input: TemplateInput): { variables: string[]; warnings: string[] } {
  const subject = input.subject ?? '';
  if (input.channel === 'email' && !subject.trim()) throw validationFailed([{ path: 'subject', message: 'is required for email' }]);
  if (input.channel !== 'email' && subject !== '') {
    const what = input.channel === 'sms' ? 'a text message' : 'an in-app message';
    throw validationFailed([{ path: 'subject', message: `must be empty: ${what} has no subject` }]);
  }
  if (/[\r\n]/.test(subject)) throw validationFailed([{ path: 'subject', message: 'must be one line' }]);
  if (!input.body.trim()) throw validationFailed([{ path: 'body', message: 'is required' }]);

  const used: { where: Where; names: string[] }[] = [
    { where: 'subject', names: namesIn(split(subject, 'subject')) },
    { where: 'body', names: namesIn(split(input.body, 'body')) },
  ];
  const unknown = used.flatMap(({ where, names }) =>
    names.filter((n) => !lookup(TEMPLATE_VARIABLES, n)).map((n) => {
      const suggestion = didYouMean(n);
      return { path: where, message: `Unknown variable {{${n}}} in ${where}${suggestion ? `; did you mean {{${suggestion}}}?` : '.'}` };
    }),
  );
  if (unknown.length) throw new AppError(400, 'unknown_variable', unknown.map((f) => f.message).join(' '), unknown);

  if (input.allowed) {
    const allowed = new Set([...ALWAYS, ...input.allowed]);
    const known = [...allowed].map((c) => `the ${CONTEXT_NOUN[c]}`);
    const listed = `${known.slice(0, -1).join(', ')} and ${known.at(-1)}`;
    const unavailable = used.flatMap(({ where, names }) =>
      names
        .map((n) => ({ n, needs: TEMPLATE_VARIABLES[n]!.needs }))
        .filter(({ needs }) => !allowed.has(needs))
        .map(({ n, needs }) => ({
          path: where,
          message:
            `{{${n}}} in ${where} is not available to this template: it needs ${aNoun(needs)}, ` +
            `and this template's messages only know ${listed}.`,
        })),
    );
    if (unavailable.length) throw new AppError(400, 'variable_unavailable', unavailable.map((f) => f.message).join(' '), unavailable);
  }

  const warnings: string[] = [];
  if (input.channel === 'sms') warnings.push(...smsLengthWarnings(input.body));
  if (input.channel !== 'in_app') warnings.push(...clinicalDetailWarnings(`${subject}\n${input.body}`));
  if (input.channel === 'sms') {
    for (const [name, why] of Object.entries(SMS_ONLY_CLINICAL_VARIABLES)) if (usesVariable(input.body, name)) warnings.push(`{{${name}}} ${why}: ${NOT_FOR_SMS}`);
  }
  return { variables: [...new Set(used.flatMap((u) => u.names))], warnings };
}

function smsLengthWarnings(body: string): string[] {
  const rendered = renderTemplate(body, sampleValues());
  const { encoding, segments, characters } = smsSegments(rendered);
  if (segments <= 1) return [];
  const switched = [...rendered].find((c) => !isGsm(c));
  const why = switched ? ` "${switched}" is not in the GSM-7 alphabet, so the whole message is sent as UCS-2 (70 characters fit in one SMS).` : '';
  return [`About ${segments} SMS segments with sample values (${characters} ${encoding} characters); each segment is charged as one SMS.${why}`];
}
