import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../server/errors.ts';
import { guessMapping, mappingWarnings, parseMappingSpec, resolveMapping } from './mapping.ts';
import { readRow, repeatedKeys, problemAt, type RowContext } from './row.ts';
import { convertCustomValue, convertDate, convertSex, splitTags } from './values.ts';

describe('column mapping', () => {
  test('common header names are recognised', () => {
    const headers = ['First Name', 'Surname', 'D.O.B.', 'Gender', 'Patient ID', 'Mobile', 'Home Phone', 'E-mail', 'Street', 'City', 'State', 'Zip Code', 'Country', 'Preferred Language', 'Nickname', 'Tags', 'Favourite colour'];
    assert.deepEqual(guessMapping(headers), {
      'First Name': 'givenName',
      Surname: 'familyName',
      'D.O.B.': 'birthDate',
      Gender: 'sex',
      'Patient ID': 'mrn',
      Mobile: 'phone:mobile',
      'Home Phone': 'phone:home',
      'E-mail': 'email',
      Street: 'address.line',
      City: 'address.city',
      State: 'address.region',
      'Zip Code': 'address.postalCode',
      Country: 'address.country',
      'Preferred Language': 'language',
      Nickname: 'preferredName',
      Tags: 'tags',
      'Favourite colour': 'ignore',
    });
    assert.deepEqual(guessMapping(['Given', 'Last Name', 'Date of Birth', 'Sex', 'MRN', 'Cell', 'Phone', 'Postal Code']), {
      Given: 'givenName',
      'Last Name': 'familyName',
      'Date of Birth': 'birthDate',
      Sex: 'sex',
      MRN: 'mrn',
      Cell: 'phone:mobile',
      Phone: 'phone',
      'Postal Code': 'address.postalCode',
    });
  });

  test('target names, custom fields by key or label, and a single-column target taken once', () => {
    const mapping = guessMapping(['identifier:urn:example:ehr', 'Insurer', 'visits_allowed', 'DOB', 'Birthday'], [
      { key: 'insurer', label: 'Insurer' },
      { key: 'visits_allowed', label: 'Visits allowed' },
    ]);
    assert.deepEqual(mapping, {
      'identifier:urn:example:ehr': 'identifier:urn:example:ehr',
      Insurer: 'customField:insurer',
      visits_allowed: 'customField:visits_allowed',
      DOB: 'birthDate',
      Birthday: 'ignore',
    });
  });

  test('explicit choices override the guess; a guess for the same field gives way', () => {
    const mapping = resolveMapping(['DOB', 'Born', 'Chart', 'Notes'], { born: 'birthDate', CHART: 'identifier:urn:example:chart', Notes: 'ignore' });
    assert.deepEqual(mapping, { DOB: 'ignore', Born: 'birthDate', Chart: 'identifier:urn:example:chart', Notes: 'ignore' });
  });

  test('every bad explicit entry is named in one 400', () => {
    try {
      resolveMapping(['A', 'B', 'C'], { Z: 'givenName', A: 'shoeSize', B: 'mrn', C: 'mrn' });
      assert.fail('expected a refusal');
    } catch (error) {
      assert.ok(error instanceof AppError);
      assert.deepEqual(error.fields?.map((f) => f.path), ['mapping.Z', 'mapping.A', 'mapping.C']);
      assert.match(error.message, /mapping\.Z is not a column of the file/);
      assert.match(error.message, /"shoeSize" is not an import field/);
      assert.match(error.message, /maps to mrn, which column "B" already fills/);
    }
  });

  test('warnings: no MRN or identifier, no names, ignored columns', () => {
    const warnings = mappingWarnings({ Email: 'email', Notes: 'ignore' });
    assert.match(warnings[0]!, /No column is mapped to the MRN or an identifier/);
    assert.ok(warnings.some((w) => /givenName/.test(w)) && warnings.some((w) => /familyName/.test(w)));
    assert.ok(warnings.some((w) => w === 'Not imported: "Notes".'));
    assert.equal(mappingWarnings({ a: 'givenName', b: 'familyName', c: 'identifier:x' }).length, 0);
  });

  test('--map specs', () => {
    assert.deepEqual(parseMappingSpec(['Born=birthDate, Chart No=identifier:urn:x', 'Notes=ignore']), {
      Born: 'birthDate',
      'Chart No': 'identifier:urn:x',
      Notes: 'ignore',
    });
    assert.throws(() => parseMappingSpec(['Born']), /"Born" is not COLUMN=field/);
  });
});

describe('cell values', () => {
  test('dates in the chosen format; ISO dates always', () => {
    assert.deepEqual(convertDate('1990-03-04', 'MM/DD/YYYY'), { value: '1990-03-04' });
    assert.deepEqual(convertDate('03/04/1990', 'MM/DD/YYYY'), { value: '1990-03-04' });
    assert.deepEqual(convertDate('03/04/1990', 'DD/MM/YYYY'), { value: '1990-04-03' });
    assert.deepEqual(convertDate('3.4.1990', 'DD/MM/YYYY'), { value: '1990-04-03' });
    assert.deepEqual(convertDate('02/30/1990', 'MM/DD/YYYY'), { problem: 'is not a real date in the format MM/DD/YYYY or YYYY-MM-DD' });
    assert.deepEqual(convertDate('03/04/1990', 'YYYY-MM-DD'), { problem: 'is not a real date in the format YYYY-MM-DD' });
    assert.deepEqual(convertDate('3/4/90', 'MM/DD/YYYY'), { problem: 'has a two-digit year; write the year in full (MM/DD/YYYY or YYYY-MM-DD)' });
  });

  test('sex, tags and typed custom fields', () => {
    assert.deepEqual(['F', 'm', 'Female', 'MALE', 'U', 'o'].map((s) => convertSex(s)), [
      { value: 'female' },
      { value: 'male' },
      { value: 'female' },
      { value: 'male' },
      { value: 'unknown' },
      { value: 'other' },
    ]);
    assert.ok('problem' in convertSex('yes'));
    assert.deepEqual(splitTags(' VIP; Spanish speaker |  ;Diabetes '), ['VIP', 'Spanish speaker', 'Diabetes']);
    assert.deepEqual(convertCustomValue('12', { type: 'number', choices: null }, 'YYYY-MM-DD'), { value: 12 });
    assert.ok('problem' in convertCustomValue('1,5', { type: 'number', choices: null }, 'YYYY-MM-DD'));
    assert.deepEqual(convertCustomValue('SIGNED', { type: 'choice', choices: ['signed', 'pending'] }, 'YYYY-MM-DD'), { value: 'signed' });
    assert.deepEqual(convertCustomValue('01/31/2020', { type: 'date', choices: null }, 'MM/DD/YYYY'), { value: '2020-01-31' });
    assert.deepEqual(convertCustomValue('anything', undefined, 'YYYY-MM-DD'), { value: 'anything' });
  });
});

describe('reading a row through a mapping', () => {
  const headers = ['First', 'Last', 'DOB', 'Mobile', 'Home', 'Tags', 'EHR', 'Insurer', 'MRN'];
  const ctx: RowContext = {
    headers,
    mapping: { First: 'givenName', Last: 'familyName', DOB: 'birthDate', Mobile: 'phone:mobile', Home: 'phone:home', Tags: 'tags', EHR: 'identifier:urn:ehr', Insurer: 'customField:visits', MRN: 'mrn' },
    dateFormat: 'MM/DD/YYYY',
    customFields: new Map([['visits', { type: 'number', choices: null }]]),
  };

  test('values land in API fields, empty cells carry nothing, problems name the column', () => {
    const draft = readRow({ line: 7, values: ['Ada', ' Byron ', '13/01/1990', '', '413-555-0101', 'VIP;Spanish', 'E-1', 'many', 'M-1'] }, ctx);
    assert.deepEqual(draft.scalars, { givenName: 'Ada', familyName: 'Byron', mrn: 'M-1' });
    assert.deepEqual(draft.phones, [{ value: '413-555-0101', use: 'home' }]);
    assert.deepEqual(draft.tags, ['VIP', 'Spanish']);
    assert.deepEqual(draft.identifiers, [{ system: 'urn:ehr', value: 'E-1' }]);
    assert.deepEqual(draft.problems, [
      { line: 7, field: 'DOB', value: '13/01/1990', message: 'is not a real date in the format MM/DD/YYYY or YYYY-MM-DD' },
      { line: 7, field: 'Insurer', value: 'many', message: 'must be a number such as 12 or 3.5' },
    ]);
    // The API's paths lead back to columns.
    assert.equal(problemAt(draft, 'phones.0.value', 'bad').field, 'Home');
    assert.equal(problemAt(draft, 'tags.1', 'unknown').field, 'Tags');
    assert.equal(problemAt(draft, 'familyName', 'too long').value, 'Byron');
    assert.equal(problemAt(draft, 'customFields.other', 'is required').field, 'customFields.other');
  });

  test('a row with the wrong number of values is one problem', () => {
    const draft = readRow({ line: 3, values: ['Ada', 'Byron, Jr'] }, ctx);
    assert.equal(draft.problems.length, 1);
    assert.match(draft.problems[0]!.message, /has 2 values but the header has 9 columns/);
  });

  test('an MRN or identifier repeated in the file is a problem on the later row', () => {
    const rows = [
      ['A', 'B', '', '', '', '', 'E-1', '', 'M-1'],
      ['C', 'D', '', '', '', '', 'E-2', '', 'M-1'],
      ['E', 'F', '', '', '', '', 'E-1', '', 'M-3'],
    ].map((values, i) => readRow({ line: i + 2, values }, ctx));
    const repeated = repeatedKeys(rows);
    assert.deepEqual([...repeated.keys()], [1, 2]);
    assert.deepEqual(repeated.get(1), [{ line: 3, field: 'MRN', value: 'M-1', message: 'is also on line 2; each patient may appear only once in a file' }]);
    assert.equal(repeated.get(2)![0]!.field, 'EHR');
  });
});
