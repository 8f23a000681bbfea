import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConsentAnswer } from '../messaging/consent.ts';
import { consentAnswers, consentTargetOptions, planConsent, type ConsentCell } from './consent.ts';
import { checkTarget, guessMapping, resolveMapping } from './mapping.ts';
import { readRow } from './row.ts';
import { convertConsent } from './values.ts';

describe('consent columns', () => {
  test('common consent headers are recognised; opt-out columns, bare channels and ambiguous purposes are not', () => {
    const one = (header: string) => guessMapping([header])[header];
    assert.equal(one('SMS opt in'), 'consent:sms');
    assert.equal(one('Text consent'), 'consent:sms');
    assert.equal(one('OK to text'), 'consent:sms');
    assert.equal(one('Email Opt-In'), 'consent:email');
    assert.equal(one('Email marketing opt-in'), 'consent:email:marketing');
    assert.equal(one('Promotional texts'), 'consent:sms:marketing');
    assert.equal(one('Text reminders'), 'consent:sms:care');
    assert.equal(one('Marketing consent'), 'consent:all:marketing');
    assert.equal(one('consent:in_app:education'), 'consent:in_app:education');
    for (const header of ['SMS', 'Email opt out', 'Research consent', 'Billing consent', 'Marketing', 'Consent']) assert.equal(one(header), 'ignore', header);
  });

  test('targets are checked; the upload page offers them', () => {
    for (const ok of ['consent:sms', 'consent:email:marketing', 'consent:all:research', 'consent:in_app:care']) assert.equal(checkTarget(ok), null, ok);
    for (const bad of ['consent:', 'consent:fax', 'consent:sms:spam', 'consent:all', 'consent:sms:care:x']) assert.match(checkTarget(bad)!, /is not a consent field; use consent:<channel>:<purpose>/, bad);
    assert.deepEqual(resolveMapping(['Texts?'], { 'Texts?': 'consent:sms:billing' }), { 'Texts?': 'consent:sms:billing' });
    assert.throws(() => resolveMapping(['Texts?'], { 'Texts?': 'consent:pager' }), /Invalid request/);
    const options = consentTargetOptions().map((o) => o.value);
    assert.equal(options.length, 17);
    assert.ok(options.includes('consent:sms') && options.includes('consent:email:marketing') && options.includes('consent:all:marketing'));
  });

  test('cell values', () => {
    for (const yes of ['yes', 'Y', 'TRUE', '1', 'x', 'Opt-in', 'opted in', 'granted']) assert.deepEqual(convertConsent(yes), { value: 'granted' }, yes);
    for (const no of ['No', 'n', 'false', '0', 'OPT-OUT', 'opted out', 'withdrawn']) assert.deepEqual(convertConsent(no), { value: 'withdrawn' }, no);
    for (const bad of ['maybe', 'unknown', '2']) assert.ok('problem' in convertConsent(bad), bad);
  });

  test('a bad value is a problem naming the column and value; a blank cell answers nothing', () => {
    const headers = ['MRN', 'SMS opt in', 'Marketing consent'];
    const ctx = { headers, mapping: guessMapping(headers), dateFormat: 'YYYY-MM-DD' as const, customFields: new Map() };
    const bad = readRow({ line: 4, values: ['M-1', 'maybe', ''] }, ctx);
    assert.deepEqual(bad.problems, [{ line: 4, field: 'SMS opt in', value: 'maybe', message: 'must be yes or no (also Y/N, true/false, 1/0, X, opt-in/opt-out, granted/withdrawn)' }]);
    assert.deepEqual(bad.consent, []);
    const good = readRow({ line: 5, values: ['M-2', '', 'Yes'] }, ctx);
    assert.deepEqual(good.consent, [{ column: 'Marketing consent', target: 'consent:all:marketing', status: 'granted' }]);
  });

  test('a channel-wide yes grants care and billing, a no every purpose; a column naming both wins; between broad ones, a withdrawal', () => {
    const cell = (column: string, target: ConsentCell['target'], status: ConsentCell['status']): ConsentCell => ({ column, target, status });
    const brief = (cells: ConsentCell[]) => consentAnswers(cells).map((a) => `${a.channel}:${a.purpose}=${a.status}`);
    assert.deepEqual(brief([cell('SMS opt in', 'consent:sms', 'granted')]), ['sms:care=granted', 'sms:billing=granted']);
    assert.deepEqual(brief([cell('SMS opt in', 'consent:sms', 'withdrawn'), cell('SMS marketing', 'consent:sms:marketing', 'granted')]), [
      'sms:care=withdrawn', 'sms:billing=withdrawn', 'sms:education=withdrawn', 'sms:marketing=granted', 'sms:research=withdrawn',
    ]);
    assert.deepEqual(brief([cell('Marketing consent', 'consent:all:marketing', 'granted'), cell('SMS opt in', 'consent:sms', 'withdrawn')]), [
      'email:marketing=granted', 'sms:care=withdrawn', 'sms:billing=withdrawn', 'sms:education=withdrawn', 'sms:marketing=withdrawn', 'sms:research=withdrawn', 'in_app:marketing=granted',
    ]);
  });

  test("only changes are planned, and a grant does not go over the patient's own withdrawal", () => {
    const answer = (channel: ConsentAnswer['channel'], purpose: ConsentAnswer['purpose'], status: ConsentAnswer['status'], source: ConsentAnswer['source']): ConsentAnswer => ({
      channel, purpose, status, source, allowed: status === 'granted', recordedAt: null, recordedBy: null,
    });
    const answers = consentAnswers([{ column: 'SMS opt in', target: 'consent:sms', status: 'granted' }, { column: 'Email marketing', target: 'consent:email:marketing', status: 'granted' }]);
    const current = [answer('sms', 'care', 'withdrawn', 'keyword'), answer('sms', 'billing', 'withdrawn', 'import'), answer('email', 'marketing', 'granted', 'import')];
    const plan = planConsent(7, answers, current);
    assert.deepEqual(plan.changes.map((c) => `${c.channel}:${c.purpose}`), ['sms:billing']);
    assert.deepEqual(plan.kept, ['Line 7: "SMS opt in" grants SMS care, but the patient withdrew that consent in Rapport; the withdrawal stands.']);
    const withdrawal = consentAnswers([{ column: 'Email marketing', target: 'consent:email:marketing', status: 'withdrawn' }]);
    assert.equal(planConsent(8, withdrawal, [answer('email', 'marketing', 'granted', 'form')]).changes.length, 1, 'an import may always withdraw');
  });
});
