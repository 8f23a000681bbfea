import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../server/errors.ts';
import {
  clinicalDetailWarnings,
  parseTemplate,
  renderTemplate,
  sampleValues,
  smsSegments,
  TEMPLATE_VARIABLES,
  validateTemplate,
} from './templates.ts';

/** Asserts `fn` throws an AppError with this status and code, and returns it for more checks. */
function refused(fn: () => unknown, status: number, code: string): AppError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

const reminder = 'Hi {{ patient.firstName }}, your appointment with {{appointment.practitioner}} is on {{appointment.date}} at {{appointment.time}}. Manage it: {{links.manage}}';

describe('catalog', () => {
  test('holds exactly the agreed variables, each with a label, an example and a context', () => {
    const names = Object.keys(TEMPLATE_VARIABLES);
    assert.equal(names.length, 35);
    for (const name of ['patient.firstName', 'practitioner.name', 'appointment.careInstructions', 'links.offer', 'medication.time', 'survey.question']) {
      assert.ok(names.includes(name), name);
    }
    for (const [name, variable] of Object.entries(TEMPLATE_VARIABLES)) {
      assert.ok(variable.label && variable.example, name);
    }
    assert.equal(TEMPLATE_VARIABLES['links.unsubscribe']!.needs, 'patient');
    assert.equal(TEMPLATE_VARIABLES['invoice.balance']!.needs, 'invoice');
  });

  test('sampleValues gives every variable its example', () => {
    const samples = sampleValues();
    assert.deepEqual(Object.keys(samples), Object.keys(TEMPLATE_VARIABLES));
    assert.equal(samples['appointment.date'], 'Tuesday 3 March');
  });
});

describe('parseTemplate', () => {
  test('lists distinct variables in order of first use, with or without spaces inside the braces', () => {
    assert.deepEqual(parseTemplate('{{b.x}} {{ a.y }} {{b.x}}{{	c }}').variables, ['b.x', 'a.y', 'c']);
    assert.deepEqual(parseTemplate('No variables, only text } and }}.').variables, []);
  });

  test('an escaped \\{{ is text, not a variable', () => {
    assert.deepEqual(parseTemplate('Write \\{{ patient.firstName }} to greet').variables, []);
  });

  test('refuses unclosed, empty, triple and malformed braces, naming the position', () => {
    let error = refused(() => parseTemplate('Hello\n  {{ patient.firstName, see you'), 400, 'template_invalid');
    assert.match(error.message, /^Unclosed \{\{ at line 2, column 3/);
    assert.deepEqual(error.details, { index: 8, line: 2, column: 3 });
    error = refused(() => parseTemplate('{{ a {{ b }}'), 400, 'template_invalid');
    assert.match(error.message, /Unclosed \{\{ at line 1, column 1/);
    error = refused(() => parseTemplate('Hi {{  }}'), 400, 'template_invalid');
    assert.match(error.message, /^Empty \{\{ \}\} at line 1, column 4/);
    error = refused(() => parseTemplate('{{{ patient.firstName }}}'), 400, 'template_invalid');
    assert.match(error.message, /\{\{\{ at line 1, column 1 is not supported/);
    for (const bad of ['{{ patient first }}', '{{ patient. }}', '{{ a-b }}', '{{ name | upper }}', '{{ 1st }}']) {
      error = refused(() => parseTemplate(bad), 400, 'template_invalid');
      assert.match(error.message, /is not a variable name/, bad);
    }
  });
});

describe('renderTemplate', () => {
  test('substitutes values', () => {
    assert.equal(
      renderTemplate(reminder, sampleValues()),
      'Hi Sam, your appointment with Dr Lee is on Tuesday 3 March at 9:30 AM. Manage it: https://rapport.example/a/7Kq2mXw',
    );
  });

  test('a missing value renders as nothing and leaves no doubled space', () => {
    const values = { 'appointment.date': 'Tuesday 3 March' };
    assert.equal(renderTemplate('With {{appointment.practitioner}} on {{appointment.date}}.', values), 'With on Tuesday 3 March.');
    assert.equal(renderTemplate('Hi {{patient.firstName}}, see you soon', {}), 'Hi, see you soon');
    assert.equal(renderTemplate('See you soon {{patient.firstName}}', {}), 'See you soon');
    assert.equal(renderTemplate('Dear {{a}} {{b}}, hello', {}), 'Dear, hello');
    assert.equal(renderTemplate('{{patient.firstName}} hello\n{{x}} there', {}), 'hello\nthere');
    assert.equal(renderTemplate('Hi {{a}}', { a: '' }), 'Hi');
    assert.equal(renderTemplate('A  B {{a}}C', {}), 'A  B C', 'doubled spaces in the text itself are left alone');
  });

  test('unescapes \\{{ and never treats Object.prototype as values', () => {
    assert.equal(renderTemplate('Type \\{{ name }} for {{a}}', { a: 'x' }), 'Type {{ name }} for x');
    assert.equal(renderTemplate('[{{constructor}}]', {}), '[]');
  });

  test('values are not parsed again', () => {
    assert.equal(renderTemplate('{{a}}', { a: '{{b}}' }), '{{b}}');
  });
});

describe('smsSegments', () => {
  test('GSM-7 up to 160 characters is one segment; longer ones go in parts of 153', () => {
    assert.deepEqual(smsSegments(''), { encoding: 'GSM-7', segments: 0, characters: 0 });
    assert.deepEqual(smsSegments('a'.repeat(160)), { encoding: 'GSM-7', segments: 1, characters: 160 });
    assert.deepEqual(smsSegments('a'.repeat(161)), { encoding: 'GSM-7', segments: 2, characters: 161 });
    assert.deepEqual(smsSegments('a'.repeat(306)), { encoding: 'GSM-7', segments: 2, characters: 306 });
    assert.deepEqual(smsSegments('a'.repeat(307)), { encoding: 'GSM-7', segments: 3, characters: 307 });
    assert.equal(smsSegments('Ça coûte £5 à Zürich').encoding, 'UCS-2', "'û' is not GSM-7");
    assert.equal(smsSegments('£5 à Zürich, Ñ ¿ § Δ').encoding, 'GSM-7');
  });

  test('extension characters count two, and are not split across parts', () => {
    assert.deepEqual(smsSegments('€'), { encoding: 'GSM-7', segments: 1, characters: 2 });
    assert.deepEqual(smsSegments('{}[]~^|\\'), { encoding: 'GSM-7', segments: 1, characters: 16 });
    assert.equal(smsSegments(`${'a'.repeat(159)}€`).segments, 2, '161 septets');
    // 152 + € would straddle the 153 boundary, so the € starts the second part.
    assert.deepEqual(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`), { encoding: 'GSM-7', segments: 3, characters: 306 });
  });

  test("one emoji, 'ł' or a curly quote makes the whole message UCS-2: 70, then parts of 67", () => {
    assert.deepEqual(smsSegments('Dzień dobry, Łukasz'), { encoding: 'UCS-2', segments: 1, characters: 19 });
    assert.deepEqual(smsSegments('See you soon 😀'), { encoding: 'UCS-2', segments: 1, characters: 15 });
    assert.equal(smsSegments('It’s today').encoding, 'UCS-2');
    assert.deepEqual(smsSegments('ł'.repeat(70)), { encoding: 'UCS-2', segments: 1, characters: 70 });
    assert.deepEqual(smsSegments('ł'.repeat(71)), { encoding: 'UCS-2', segments: 2, characters: 71 });
    assert.deepEqual(smsSegments('ł'.repeat(134)), { encoding: 'UCS-2', segments: 2, characters: 134 });
    assert.deepEqual(smsSegments('ł'.repeat(135)), { encoding: 'UCS-2', segments: 3, characters: 135 });
    assert.equal(smsSegments(`${'ł'.repeat(66)}😀${'ł'.repeat(66)}`).segments, 3, '134 units, but the emoji is not split');
  });
});

describe('clinicalDetailWarnings', () => {
  test('ordinary reminder text does not warn', () => {
    for (const text of [
      reminder,
      'Your appointment with Dr Lee on Tuesday 3 March at 9:30 AM at Northside Family Clinic. Reply C to confirm or call us to reschedule.',
      'Please arrive 10 minutes early and bring your insurance card, a list of your medications and your hearing aids.',
      'Thank you for your visit. Your results are ready: please sign in to the portal or call us. Your feedback was positive!',
      'Your physical therapy session is tomorrow. Your invoice {{invoice.number}} of {{invoice.balance}} is due {{invoice.dueDate}}.',
      'Bowel prep instructions are in the portal. Your second dose of the flu vaccine is due.',
    ]) {
      assert.deepEqual(clinicalDetailWarnings(text), [], text);
    }
  });

  test('warns, case-insensitively and once per term, about clinical detail in the text', () => {
    const warnings = clinicalDetailWarnings('Your TEST RESULTS are back: you tested positive for Chlamydia. Test results are in the portal.');
    assert.deepEqual(warnings, [
      'Mentions "Test results": SMS and email are not confidential; keep clinical detail to the portal or a phone call.',
      'Mentions "tested positive": SMS and email are not confidential; keep clinical detail to the portal or a phone call.',
      'Mentions "Chlamydia": SMS and email are not confidential; keep clinical detail to the portal or a phone call.',
    ]);
    const found = (text: string) => clinicalDetailWarnings(text).map((w) => /^Mentions "([^"]+)"/.exec(w)?.[1]);
    assert.deepEqual(found('Your biopsy and lab results'), ['biopsy', 'lab results']);
    assert.deepEqual(found('Take 20 mg of sertraline'), ['20 mg', 'sertraline']);
    assert.deepEqual(found('Your lisinopril prescription is ready'), ['lisinopril', 'prescription']);
    assert.deepEqual(found('Pregnancy check, HIV clinic, mental-health team'), ['Pregnancy', 'HIV', 'mental-health']);
    assert.deepEqual(found('AIDS support, PrEP refill'), ['AIDS', 'PrEP']);
    assert.deepEqual(found('Your diagnosis of diabetes'), ['diagnosis', 'diabetes']);
  });

  test('only the text counts, but medication variables warn by themselves', () => {
    assert.deepEqual(clinicalDetailWarnings('{{ diabetes }} at {{appointment.time}}'), []);
    const warnings = clinicalDetailWarnings('Time for {{ medication.name }}: {{medication.instructions}}');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /^\{\{medication\.name\}\} names the medication: SMS and email are not confidential/);
  });
});

describe('validateTemplate', () => {
  test('accepts a good template and returns its variables', () => {
    assert.deepEqual(validateTemplate({ channel: 'sms', body: reminder }), {
      variables: ['patient.firstName', 'appointment.practitioner', 'appointment.date', 'appointment.time', 'links.manage'],
      warnings: [],
    });
    const email = validateTemplate({
      channel: 'email',
      subject: 'Your visit on {{appointment.date}}',
      body: 'Hi {{patient.firstName}}, see you on {{appointment.date}}. {{links.unsubscribe}}',
      allowed: ['appointment'],
    });
    assert.deepEqual(email.variables, ['appointment.date', 'patient.firstName', 'links.unsubscribe']);
  });

  test('names every unknown variable, where it is, with a did-you-mean', () => {
    const error = refused(
      () => validateTemplate({ channel: 'email', subject: 'Hi {{ firstName }}', body: 'At {{appointment.tme}} {{whatever}}' }),
      400,
      'unknown_variable',
    );
    assert.deepEqual(error.fields, [
      { path: 'subject', message: 'Unknown variable {{firstName}} in subject; did you mean {{patient.firstName}}?' },
      { path: 'body', message: 'Unknown variable {{appointment.tme}} in body; did you mean {{appointment.time}}?' },
      { path: 'body', message: 'Unknown variable {{whatever}} in body.' },
    ]);
    assert.match(error.message, /\{\{firstName\}\} in subject.*\{\{appointment\.tme\}\} in body.*\{\{whatever\}\}/);
    const single = refused(() => validateTemplate({ channel: 'sms', body: '{{appointment.tme}}' }), 400, 'unknown_variable');
    assert.equal(single.message, 'Unknown variable {{appointment.tme}} in body; did you mean {{appointment.time}}?');
    for (const [typo, meant] of [
      ['patient.firstname', 'patient.firstName'],
      ['patient.first_name', 'patient.firstName'],
      ['apointment.dateTime', 'appointment.dateTime'],
      ['links.unsubcribe', 'links.unsubscribe'],
      ['appt.time', 'appointment.time'],
    ]) {
      const e = refused(() => validateTemplate({ channel: 'in_app', body: `{{${typo}}}` }), 400, 'unknown_variable');
      assert.match(e.message, new RegExp(`did you mean \\{\\{${meant!.replace('.', '\\.')}\\}\\}`), typo);
    }
  });

  test('refuses syntax errors as template_invalid, naming the field and position', () => {
    const error = refused(() => validateTemplate({ channel: 'sms', body: 'Hi {{ patient.firstName' }), 400, 'template_invalid');
    assert.equal(error.fields?.[0]?.path, 'body');
    assert.match(error.message, /Unclosed \{\{ at line 1, column 4 of the body/);
    const inSubject = refused(
      () => validateTemplate({ channel: 'email', subject: 'Hi {{}}', body: 'Hello' }),
      400,
      'template_invalid',
    );
    assert.equal(inSubject.fields?.[0]?.path, 'subject');
  });

  test('email needs a subject; SMS and in-app refuse one; the body is required', () => {
    let error = refused(() => validateTemplate({ channel: 'email', body: 'Hello' }), 400, 'validation_failed');
    assert.deepEqual(error.fields, [{ path: 'subject', message: 'is required for email' }]);
    refused(() => validateTemplate({ channel: 'email', subject: '  ', body: 'Hello' }), 400, 'validation_failed');
    error = refused(() => validateTemplate({ channel: 'sms', subject: 'Reminder', body: 'Hello' }), 400, 'validation_failed');
    assert.deepEqual(error.fields, [{ path: 'subject', message: 'must be empty: a text message has no subject' }]);
    refused(() => validateTemplate({ channel: 'in_app', subject: 'Reminder', body: 'Hello' }), 400, 'validation_failed');
    refused(() => validateTemplate({ channel: 'email', subject: 'Two\nlines', body: 'Hello' }), 400, 'validation_failed');
    error = refused(() => validateTemplate({ channel: 'sms', subject: null, body: ' ' }), 400, 'validation_failed');
    assert.equal(error.fields?.[0]?.path, 'body');
  });

  test('refuses a variable the template will not have a value for', () => {
    const error = refused(
      () => validateTemplate({ channel: 'sms', body: 'You owe {{invoice.balance}}. {{links.preferences}}', allowed: ['appointment'] }),
      400,
      'variable_unavailable',
    );
    assert.deepEqual(error.fields, [
      {
        path: 'body',
        message:
          "{{invoice.balance}} in body is not available to this template: it needs an invoice, and this template's messages only know the patient, the clinic and the appointment.",
      },
    ]);
    refused(() => validateTemplate({ channel: 'sms', body: '{{links.offer}}', allowed: [] }), 400, 'variable_unavailable');
    assert.deepEqual(validateTemplate({ channel: 'sms', body: '{{patient.fullName}} {{clinic.phone}}', allowed: [] }).warnings, []);
  });

  test('warns about SMS length with sample values, and why a message became UCS-2', () => {
    const long = validateTemplate({ channel: 'sms', body: `${reminder} Reply C to confirm, or call {{clinic.phone}} to change it.` });
    assert.equal(long.warnings.length, 1);
    assert.match(long.warnings[0]!, /^About 2 SMS segments with sample values \(\d+ GSM-7 characters\)/);
    const polish = validateTemplate({ channel: 'sms', body: 'Dzień dobry {{patient.firstName}}, wizyta {{appointment.date}} o {{appointment.time}} w {{clinic.name}}.' });
    assert.match(polish.warnings[0]!, /^About 2 SMS segments .* UCS-2 characters.*"ń" is not in the GSM-7 alphabet/);
    assert.deepEqual(validateTemplate({ channel: 'in_app', body: 'x'.repeat(500) }).warnings, []);
  });

  test('warns about clinical detail in email and SMS, not in the in-app inbox', () => {
    const sms = validateTemplate({ channel: 'sms', body: 'Your test results are ready, {{patient.firstName}}.' });
    assert.deepEqual(sms.warnings, [
      'Mentions "test results": SMS and email are not confidential; keep clinical detail to the portal or a phone call.',
    ]);
    const email = validateTemplate({ channel: 'email', subject: 'About your prescription', body: 'Take {{medication.name}}' });
    assert.equal(email.warnings.length, 2);
    assert.deepEqual(validateTemplate({ channel: 'in_app', body: 'Your test results are ready.' }).warnings, []);
  });
});
