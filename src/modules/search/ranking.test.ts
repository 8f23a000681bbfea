import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSearchQuery, type SearchQuery } from './query.ts';
import { rankCandidates, scoreCandidate, type Candidate, type WordKeys } from './ranking.ts';

const parse = (q: string): SearchQuery => {
  const r = parseSearchQuery(q, '2026-11-22');
  if (!r.ok) throw new Error(r.problem);
  return r.query;
};

const person = (id: string, given: string, family: string, extra: Partial<Candidate> = {}): Candidate => ({
  id,
  given_name: given,
  family_name: family,
  preferred_name: null,
  birth_date: null,
  email: null,
  matched: [],
  ...extra,
});

const noKeys = new Map<string, WordKeys>();

test('the best name comes first, then name order', () => {
  const hits = rankCandidates(
    parse('jonh smtih'),
    noKeys,
    [
      person('4', 'Joan', 'Smith'),
      person('1', 'John', 'Smithson'),
      person('2', 'John', 'Smith'),
      person('3', 'Jon', 'Smyth'),
      person('5', 'Mary', 'Jones'),
    ],
    10,
  );
  assert.equal(hits[0]?.id, '2');
  assert.deepEqual(hits[0]?.matchedOn, ['name']);
  assert.ok(!hits.some((h) => h.id === '5'), 'an unrelated name is not a result');
  assert.ok(hits.every((h) => h.score > 0 && h.score <= 1));
});

test('a sound-alike found by the database counts', () => {
  const words = new Map([['kathryn', { exact: '=kathryn', close: [], sounds: ['#K0RN'], loose: [] }]]);
  const without = scoreCandidate(parse('kathryn'), noKeys, person('1', 'Catherine', 'Ng'));
  const withKey = scoreCandidate(parse('kathryn'), words, person('1', 'Catherine', 'Ng', { matched: ['#K0RN'] }));
  assert.equal(without, null);
  assert.ok(withKey && withKey.score >= 0.6);
});

test('name and date of birth are scored together; a wrong name drops the patient', () => {
  const q = parse('smith 3/7/1984');
  const right = scoreCandidate(q, noKeys, person('1', 'Ann', 'Smith', { birth_date: '1984-03-07' }));
  const otherName = scoreCandidate(q, noKeys, person('2', 'Ann', 'Brown', { birth_date: '1984-03-07' }));
  assert.deepEqual(right, { id: '1', score: 1, matchedOn: ['name', 'birth_date'] });
  assert.equal(otherName, null);
  const dobOnly = scoreCandidate(parse('03/07/1984'), noKeys, person('3', 'Ann', 'Brown', { birth_date: '1984-03-07' }));
  assert.deepEqual(dobOnly?.matchedOn, ['birth_date']);
});

test('phones, emails and identifiers score by the keys the patient holds', () => {
  const phone = scoreCandidate(parse('(413) 555-0123'), noKeys, person('1', 'A', 'B', { matched: ['ph:4135550123'] }));
  assert.deepEqual(phone, { id: '1', score: 1, matchedOn: ['phone'] });
  const local = scoreCandidate(parse('555-0123'), noKeys, person('1', 'A', 'B', { matched: ['ph:5550123'] }));
  assert.equal(local?.score, 0.9);
  const mrn = scoreCandidate(parse('mrn-0100001'), noKeys, person('1', 'A', 'B', { matched: ['mrn:mrn0100001'] }));
  assert.deepEqual(mrn?.matchedOn, ['mrn']);
  const ident = scoreCandidate(parse('X99'), noKeys, person('1', 'A', 'B', { matched: ['id:x99'] }));
  assert.deepEqual(ident?.matchedOn, ['identifier']);
  const exact = scoreCandidate(parse('ann@example.org'), noKeys, person('1', 'A', 'B', { matched: ['em:ann@example.org'] }));
  const prefix = scoreCandidate(parse('ann@exa'), noKeys, person('1', 'A', 'B', { email: 'ann@example.org', matched: ['eml:ann'] }));
  const otherDomain = scoreCandidate(parse('ann@other.net'), noKeys, person('1', 'A', 'B', { email: 'ann@example.org', matched: ['eml:ann'] }));
  assert.equal(exact?.score, 1);
  assert.equal(prefix?.score, 0.9);
  assert.ok(otherDomain && otherDomain.score < prefix!.score);
  assert.equal(scoreCandidate(parse('ann@exa'), noKeys, person('1', 'A', 'B')), null, 'nothing matched');
});
