import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldForSearch, parseSearchQuery, type SearchQuery } from './query.ts';

const TODAY = '2026-11-22';

function parse(q: string): SearchQuery {
  const r = parseSearchQuery(q, TODAY);
  if (!r.ok) throw new Error(`${q}: ${r.problem}`);
  return r.query;
}

test('names are folded words; single letters are initials', () => {
  const q = parse('  Jonh   SMTIH ');
  assert.deepEqual(q.names, ['jonh', 'smtih']);
  assert.deepEqual(parse("Zoë O'Núñez-Straße j").names, ['zoe', 'o', 'nunez', 'strasse'].filter((w) => w.length > 1));
  assert.deepEqual(parse("Zoë O'Núñez j").initials, ['o', 'j']);
  assert.equal(foldForSearch('Łukasz Øster'), 'lukasz oster');
});

test('a phone in any format is its digits', () => {
  for (const typed of ['(413) 555-0123', '413.555.0123', '+1 413 555 0123', '4135550123', '1-413-555-0123', '413 555 0123']) {
    const q = parse(typed);
    assert.ok(q.phone?.endsWith('4135550123'), typed);
    assert.deepEqual(q.names, []);
  }
  assert.equal(parse('555-0123').phone, '5550123', 'seven digits: a local number');
});

test('four to six digits are a phone ending beside a name, and an identifier alone', () => {
  const withName = parse('smith 0123');
  assert.equal(withName.phoneEnding, '0123');
  assert.deepEqual(withName.names, ['smith']);
  const alone = parse('0123');
  assert.equal(alone.phoneEnding, null);
  assert.deepEqual(alone.identifiers, ['0123']);
});

test('an email is anything with an @, exact or a beginning', () => {
  assert.equal(parse('Maya.Okafor@Example.org').email, 'maya.okafor@example.org');
  assert.equal(parse('maya.okafor@exa').email, 'maya.okafor@exa');
  assert.deepEqual(parse('<maya@example.org>').email, 'maya@example.org');
  const r = parseSearchQuery('@example.org', TODAY);
  assert.equal(r.ok, false);
});

test('dates of birth mix with names', () => {
  const q = parse('smith 3/7/1984');
  assert.deepEqual(q.birthDates, ['1984-03-07']);
  assert.deepEqual(q.names, ['smith']);
  assert.equal(q.phone, null);
  assert.deepEqual(parse('John Smith March 7 1984').names, ['john', 'smith']);
});

test('words with letters and digits are identifiers', () => {
  const q = parse('MRN0100001');
  assert.deepEqual(q.identifiers, ['MRN0100001']);
  assert.deepEqual(q.names, []);
  assert.deepEqual(parse('A-1').identifiers, ['A-1']);
});

test('empty, overlong, too many words and garbage are refused with a reason', () => {
  const problem = (q: string) => {
    const r = parseSearchQuery(q, TODAY);
    return r.ok ? null : r.problem;
  };
  assert.match(problem('   ') ?? '', /empty/);
  assert.match(problem('x'.repeat(201)) ?? '', /at most 200/);
  assert.match(problem('!!! ??? %%%') ?? '', /nothing to search for/);
  assert.match(problem('j') ?? '', /two letters/);
  assert.match(problem('a bb cc dd ee ff gg hh') ?? '', /at most 6 name words/);
  assert.equal(problem('ab'), null);
});
