import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLEAR_THRESHOLD, compareNames, LIKELY_THRESHOLD, scorePair, type MatchRecord } from './score.ts';
import { areNicknames, editDistance, isOneTransposition, jaroWinkler } from './similarity.ts';

const base: MatchRecord = {
  givenName: 'William',
  familyName: 'Okafor',
  birthDate: '1984-03-07',
  sex: 'male',
  phones: ['+14135550123'],
  emails: ['w.okafor@example.org'],
  addressLine: '12 Main Street',
  postalCode: '01002',
  identifiers: [],
};
const rec = (over: Partial<MatchRecord>): MatchRecord => ({ ...base, ...over });
const details = (r: ReturnType<typeof scorePair>) => r.reasons.map((x) => x.detail);

describe('similarity', () => {
  test('edit distance counts a transposition as one edit', () => {
    assert.equal(editDistance('smith', 'smith'), 0);
    assert.equal(editDistance('smith', 'smtih'), 1);
    assert.equal(editDistance('smith', 'smyth'), 1);
    assert.equal(editDistance('smith', 'smit'), 1);
    assert.equal(editDistance('smith', 'jones', 2), 3, 'stops counting past the limit');
    assert.ok(isOneTransposition('smith', 'smtih'));
    assert.ok(!isOneTransposition('smith', 'smyth'));
  });

  test('Jaro-Winkler gives the textbook values', () => {
    assert.equal(Math.round(jaroWinkler('martha', 'marhta') * 1000) / 1000, 0.961);
    assert.equal(Math.round(jaroWinkler('dwayne', 'duane') * 1000) / 1000, 0.84);
    assert.equal(Math.round(jaroWinkler('dixon', 'dicksonx') * 1000) / 1000, 0.813);
    assert.equal(jaroWinkler('abc', 'xyz'), 0);
  });

  test('nicknames are symmetric and only within a group', () => {
    assert.ok(areNicknames('bill', 'william'));
    assert.ok(areNicknames('william', 'bill'));
    assert.ok(areNicknames('bob', 'robert'));
    assert.ok(areNicknames('liz', 'elizabeth'));
    assert.ok(areNicknames('alex', 'alexandra') && areNicknames('alex', 'alexander'));
    assert.ok(!areNicknames('bill', 'robert'));
    assert.ok(!areNicknames('bill', 'bill'));
  });

  test('name comparison names the kind of difference', () => {
    assert.equal(compareNames('anne marie', 'annemarie'), 'exact');
    assert.equal(compareNames('garcia lopez', 'garcia'), 'token');
    assert.equal(compareNames('bob', 'robert'), 'nickname');
    assert.equal(compareNames('jonhson', 'johnson'), 'transposition');
    assert.equal(compareNames('jonson', 'johnson'), 'typo');
    assert.equal(compareNames('w', 'william'), 'initial');
    assert.equal(compareNames('anna', 'emma'), 'differ');
  });
});

describe('scorePair', () => {
  test('the same record is a clear match with every agreeing field as a reason', () => {
    const r = scorePair(base, rec({}));
    assert.equal(r.level, 'clear');
    assert.ok(r.score > 0.99);
    assert.ok(details(r).includes('same date of birth 1984-03-07'));
    assert.ok(details(r).includes('same phone +14135550123'));
    assert.ok(details(r).includes('same email w.okafor@example.org'));
    assert.ok(details(r).includes('same address 12 Main Street, 01002'));
    assert.ok(r.reasons.every((x) => x.weight > 0));
  });

  test('a nickname with the same birth date is clear', () => {
    const r = scorePair(base, rec({ givenName: 'Bill', phones: [], emails: [], addressLine: null }));
    assert.equal(r.level, 'clear');
    assert.ok(details(r).some((d) => d.includes('William and Bill are one name and its short form')));
  });

  test('a typo in the family name is named as such and still clear', () => {
    const r = scorePair(base, rec({ familyName: 'Okfaor', phones: [], emails: [] }));
    assert.equal(r.level, 'clear');
    assert.ok(details(r).includes('family names Okafor and Okfaor differ by one transposition'));
    const one = scorePair(base, rec({ familyName: 'Okafur', phones: [], emails: [] }));
    assert.ok(details(one).includes('family names Okafor and Okafur differ by one letter'));
  });

  test('day and month swapped, or one digit off, is likely on names alone', () => {
    const bare = { phones: [], emails: [], addressLine: null, postalCode: null };
    const swapped = scorePair(rec(bare), rec({ ...bare, birthDate: '1984-07-03' }));
    assert.equal(swapped.level, 'likely');
    assert.ok(details(swapped).includes('dates of birth 1984-03-07 and 1984-07-03 have day and month swapped'));
    const digit = scorePair(rec(bare), rec({ ...bare, birthDate: '1984-03-01' }));
    assert.equal(digit.level, 'likely');
    assert.ok(details(digit).includes('dates of birth 1984-03-07 and 1984-03-01 differ by one digit'));
    // With the address as well, the swapped date is clear.
    assert.equal(scorePair(base, rec({ birthDate: '1984-07-03', phones: [], emails: [] })).level, 'clear');
  });

  test('a changed phone with the same email stays clear', () => {
    const r = scorePair(base, rec({ phones: ['+16175550188'] }));
    assert.equal(r.level, 'clear');
    assert.ok(details(r).includes('no phone in common'));
  });

  test('phones match whatever the punctuation; emails whatever the case', () => {
    const r = scorePair(rec({ emails: [] }), rec({ phones: ['+1 (413) 555-0123'], emails: ['W.Okafor@Example.org'] }));
    assert.ok(r.reasons.some((x) => x.field === 'phone' && x.weight > 0));
    const e = scorePair(rec({ phones: [] }), rec({ phones: [], emails: ['W.Okafor@Example.org'] }));
    assert.ok(e.reasons.some((x) => x.field === 'email' && x.weight > 0));
  });

  test('twins (same birth date, address, phone and email, different given names) are never clear', () => {
    const sister = rec({ givenName: 'Wilhelmina', sex: 'female' });
    const brother = rec({ givenName: 'Chidi' });
    for (const twin of [sister, brother]) {
      const r = scorePair(base, twin);
      assert.notEqual(r.level, 'clear', JSON.stringify(r));
      assert.ok(r.score < CLEAR_THRESHOLD);
      assert.ok(details(r).some((d) => d.includes('possibly twins')));
    }
    const noContact = scorePair(rec({ phones: [], emails: [] }), rec({ givenName: 'Chidi', phones: [], emails: [] }));
    assert.equal(noContact.level, 'none');
  });

  test('a father and son of the same name at one address are not clear', () => {
    const r = scorePair(base, rec({ birthDate: '2012-05-19' }));
    assert.notEqual(r.level, 'clear');
    assert.ok(details(r).includes('born 28 years apart (1984-03-07, 2012-05-19)'));
  });

  test('a birth year with swapped or wrong decade digits is a typo or a parent: likely at most', () => {
    const son = scorePair(rec({ birthDate: '1958-12-22' }), rec({ birthDate: '1985-12-22', emails: [] }));
    assert.notEqual(son.level, 'clear', JSON.stringify(son));
    assert.ok(details(son).includes('dates of birth 1958-12-22 and 1985-12-22 differ by two swapped digits, 27 years apart'));
    const decade = scorePair(base, rec({ birthDate: '1994-03-07' }));
    assert.equal(decade.level, 'likely');
    const nearby = scorePair(base, rec({ birthDate: '1948-03-07', emails: [] }));
    assert.ok(details(nearby).some((d) => d.includes('36 years apart')));
    assert.equal(scorePair(base, rec({ birthDate: '1985-03-07' })).level, 'clear', 'one year off is an ordinary typo');
  });

  test('twins who share a home but no email are no match at all', () => {
    const r = scorePair(rec({ emails: [] }), rec({ givenName: 'Chidi', emails: [] }));
    assert.equal(r.level, 'none', JSON.stringify(r));
  });

  test('the same name with a different birth date and nothing else in common is no match', () => {
    const r = scorePair(
      rec({ phones: [], emails: [], addressLine: null }),
      rec({ birthDate: '1990-11-23', phones: [], emails: [], addressLine: '4 Elm Rd', postalCode: '02139' }),
    );
    assert.equal(r.level, 'none');
    assert.ok(r.score < LIKELY_THRESHOLD);
  });

  test('the same identifier value in one system is decisive; a different value is strong evidence against', () => {
    const ehr = { system: 'urn:ehr', value: 'E-100' };
    const decisive = scorePair(
      rec({ identifiers: [ehr], birthDate: null, phones: [], emails: [] }),
      rec({ givenName: 'Bill', familyName: 'Okafor-Smith', identifiers: [ehr], birthDate: null, phones: [], emails: [] }),
    );
    assert.equal(decisive.level, 'clear');
    assert.ok(details(decisive).includes('same identifier urn:ehr E-100'));
    const against = scorePair(rec({ identifiers: [ehr] }), rec({ identifiers: [{ system: 'urn:ehr', value: 'E-200' }] }));
    assert.notEqual(against.level, 'clear');
    assert.ok(against.reasons.some((x) => x.field === 'identifier' && x.weight <= -10));
    const otherSystem = scorePair(rec({ identifiers: [ehr] }), rec({ identifiers: [{ system: 'urn:payer', value: 'E-200' }] }));
    assert.ok(!otherSystem.reasons.some((x) => x.field === 'identifier'));
  });

  test('the same MRN is decisive, a different MRN is no evidence (a tenant gives every record its own)', () => {
    assert.equal(scorePair(rec({ mrn: 'A-1', birthDate: null, phones: [], emails: [], addressLine: null }), rec({ mrn: 'A-1', givenName: 'Bill', birthDate: null, phones: [], emails: [], addressLine: null })).level, 'clear');
    const r = scorePair(rec({ mrn: 'A-1' }), rec({ mrn: 'A-2' }));
    assert.equal(r.level, 'clear');
    assert.ok(!r.reasons.some((x) => x.field === 'mrn'));
    const previous = scorePair(rec({ mrn: 'A-1', birthDate: null }), rec({ mrn: 'B-7', identifiers: [{ system: 'urn:rapport:previous-mrn', value: 'A-1' }] }));
    assert.ok(details(previous).includes('same MRN A-1'));
  });

  test('a different sex counts against', () => {
    const same = scorePair(rec({ phones: [] }), rec({ phones: [] }));
    const other = scorePair(rec({ phones: [] }), rec({ phones: [], sex: 'female' }));
    assert.ok(other.score < same.score);
    assert.ok(details(other).includes('sex differs (male, female)'));
    assert.ok(!details(scorePair(base, rec({ sex: 'unknown' }))).some((d) => d.startsWith('sex')));
  });

  test('a preferred name, swapped given and family names, and address abbreviations are recognised', () => {
    const preferred = scorePair(rec({ preferredName: 'Chidi' }), rec({ givenName: 'Chidi', phones: [], emails: [] }));
    assert.equal(preferred.level, 'clear');
    assert.ok(details(preferred).some((d) => d.startsWith('preferred name matches')));
    const swapped = scorePair(base, rec({ givenName: 'Okafor', familyName: 'William', phones: [], emails: [] }));
    assert.equal(swapped.level, 'clear');
    assert.ok(details(swapped).some((d) => d.startsWith('given and family names swapped')));
    const address = scorePair(base, rec({ addressLine: '12 main st.' }));
    assert.ok(details(address).includes('same address 12 Main Street, 01002'));
  });

  test('reasons are ordered by weight and the score is symmetric', () => {
    const a = rec({ familyName: 'Okfaor', birthDate: '1984-07-03' });
    const r1 = scorePair(base, a);
    const r2 = scorePair(a, base);
    assert.equal(r1.score, r2.score);
    assert.equal(r1.level, r2.level);
    const weights = r1.reasons.map((x) => Math.abs(x.weight));
    assert.deepEqual(weights, [...weights].sort((x, y) => y - x));
  });
});
