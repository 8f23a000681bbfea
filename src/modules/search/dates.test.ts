import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractDates, toIsoDate } from './dates.ts';

const TODAY = '2026-11-22';

test('dates of birth in the common formats read as one ISO date', () => {
  for (const typed of [
    '1984-03-07',
    '1984/3/7',
    '03/07/1984',
    '3/7/1984',
    '3/7/84',
    '03-07-1984',
    '03.07.1984',
    '7 Mar 1984',
    '7th March, 1984',
    '07-Mar-1984',
    'March 7 1984',
    'Mar 7th, 1984',
    'march 7, 1984',
    '7 mar 84',
  ]) {
    assert.deepEqual(extractDates(typed, TODAY).dates, ['1984-03-07'], typed);
  }
});

test('numeric dates are month first unless the first number cannot be a month', () => {
  assert.deepEqual(extractDates('04/05/1990', TODAY).dates, ['1990-04-05']);
  assert.deepEqual(extractDates('25/12/1990', TODAY).dates, ['1990-12-25']);
});

test('a date is taken out of the text and the words around it stay', () => {
  const found = extractDates('smith 3/7/1984 john', TODAY);
  assert.deepEqual(found.dates, ['1984-03-07']);
  assert.deepEqual(found.rest.split(/\s+/).filter(Boolean), ['smith', 'john']);
  assert.deepEqual(extractDates('May Smith', TODAY), { dates: [], rest: 'May Smith' }, 'a month name alone is a name');
});

test('impossible, future and too-old dates are not dates of birth', () => {
  for (const typed of ['02/30/1984', '13/13/1984', '1984-02-30', '12/01/2027', '1/1/1700', '31 Feb 2000']) {
    assert.deepEqual(extractDates(typed, TODAY).dates, [], typed);
  }
  assert.equal(toIsoDate('2000', 2, '29', TODAY), '2000-02-29', 'a leap day');
  assert.equal(toIsoDate('1900', 2, '29', TODAY), null, '1900 was not a leap year');
});

test('two-digit years are the latest such year not in the future', () => {
  assert.equal(toIsoDate('84', 3, '7', TODAY), '1984-03-07');
  assert.equal(toIsoDate('05', 3, '7', TODAY), '2005-03-07');
  assert.equal(toIsoDate('26', 1, '1', TODAY), '2026-01-01');
  assert.equal(toIsoDate('26', 12, '31', TODAY), null, 'later this year is the future, and 1926 is read as 2026');
  assert.equal(toIsoDate('27', 1, '1', TODAY), '1927-01-01');
});
