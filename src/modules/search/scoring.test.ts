import assert from 'node:assert/strict';
import { test } from 'node:test';
import { damerauLevenshtein, jaroWinkler, nameScore, soundex, tokenScore } from './scoring.ts';

test('Damerau-Levenshtein counts a swap of neighbours as one edit', () => {
  assert.equal(damerauLevenshtein('jonh', 'john'), 1);
  assert.equal(damerauLevenshtein('smtih', 'smith'), 1);
  assert.equal(damerauLevenshtein('smith', 'smyth'), 1);
  assert.equal(damerauLevenshtein('jon', 'john'), 1);
  assert.equal(damerauLevenshtein('kitten', 'sitting'), 3);
  assert.equal(damerauLevenshtein('', 'abc'), 3);
  assert.equal(damerauLevenshtein('same', 'same'), 0);
  assert.equal(damerauLevenshtein('abcdef', 'uvwxyz', 2), 3, 'stops early past the bound');
});

test('Jaro-Winkler and Soundex behave as published', () => {
  assert.ok(Math.abs(jaroWinkler('martha', 'marhta') - 0.961) < 0.001);
  assert.ok(Math.abs(jaroWinkler('dwayne', 'duane') - 0.84) < 0.001);
  assert.equal(jaroWinkler('abc', 'xyz'), 0);
  assert.equal(soundex('Robert'), 'R163');
  assert.equal(soundex('Rupert'), 'R163');
  assert.equal(soundex('Ashcraft'), 'A261');
  assert.equal(soundex('Tymczak'), 'T522');
  assert.equal(soundex('smtih'), soundex('smith'));
});

test('a typed word scores by how close it is to a name word', () => {
  assert.equal(tokenScore('john', 'john'), 1);
  const prefix = tokenScore('smi', 'smith');
  const typo = tokenScore('jonh', 'john');
  const soundAlike = tokenScore('kathryn', 'catherine', true);
  const unrelated = tokenScore('john', 'mary');
  assert.ok(prefix > 0.8 && prefix < 1, `prefix ${prefix}`);
  assert.ok(typo > 0.8 && typo < prefix + 0.05, `typo ${typo}`);
  assert.ok(tokenScore('jonh', 'john') > tokenScore('jonh', 'jon'), 'a swap is closer than a dropped letter');
  assert.ok(soundAlike >= 0.6 && soundAlike < typo, `sound-alike ${soundAlike}`);
  assert.equal(unrelated, 0);
  assert.ok(tokenScore('smith', 'smithson') < tokenScore('smith', 'smith'));
  assert.equal(tokenScore('j', 'john'), 0.6, 'an initial');
});

test('"Jonh Smtih" is closest to John Smith among the decoys', () => {
  const typed = ['jonh', 'smtih'];
  const score = (given: string, family: string) => nameScore(typed, { given: [given], family: [family], preferred: [] });
  const best = score('john', 'smith');
  for (const [given, family] of [
    ['john', 'smithson'],
    ['jon', 'smyth'],
    ['joan', 'smith'],
    ['jane', 'smith'],
    ['john', 'smits'],
  ] as const) {
    assert.ok(score(given, family) < best, `${given} ${family}: ${score(given, family)} vs ${best}`);
  }
});

test('name order, preferred names and extra words', () => {
  const name = { given: ['robert'], family: ['jones'], preferred: ['bob'] };
  assert.equal(nameScore(['jones', 'robert'], name), 1, 'family name first');
  assert.ok(nameScore(['bob', 'jones'], name) > 0.95 && nameScore(['bob', 'jones'], name) < 1, 'preferred name');
  assert.equal(nameScore(['robert', 'robert'], name), 0.5, 'one word of the name answers one typed word');
  assert.equal(nameScore([], name), 0);
});
