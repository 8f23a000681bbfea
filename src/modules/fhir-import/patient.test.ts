import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Patient } from '@medplum/fhirtypes';
import { matchingIdentifiers, patientInputFromFhir } from './patient.ts';
import { readBundleFile, readNdjson } from './read.ts';

const synthea: Patient = {
  resourceType: 'Patient',
  id: 'p1',
  identifier: [
    { system: 'https://github.com/synthetichealth/synthea', value: 'p1' },
    { type: { coding: [{ code: 'MR' }] }, system: 'http://hospital.smarthealthit.org', value: 'p1' },
    { type: { coding: [{ code: 'SS' }] }, system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-62-5100' },
  ],
  name: [{ use: 'official', family: 'Beer', given: ['Brent'], prefix: ['Mr.'] }],
  telecom: [{ system: 'phone', value: '555-956-3629', use: 'home' }, { system: 'email', value: 'Brent@Example.org' }],
  gender: 'male',
  birthDate: '1977-07-05',
  address: [{ line: ['404 Ankunding Drive'], city: 'Seekonk', state: 'Massachusetts', postalCode: '02771', country: 'US' }],
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en-US' }] } }],
  deceasedDateTime: '2019-01-01T00:00:00Z',
};

describe('a FHIR Patient as the patient service input', () => {
  test('maps what Rapport keeps and notes what it leaves out', () => {
    const result = patientInputFromFhir(synthea);
    assert.ok(result.ok);
    assert.deepEqual(result.input, {
      givenName: 'Brent',
      familyName: 'Beer',
      birthDate: '1977-07-05',
      sex: 'male',
      emails: [{ value: 'brent@example.org', use: 'home' }],
      address: { line: '404 Ankunding Drive', city: 'Seekonk', region: 'Massachusetts', postalCode: '02771', country: 'US' },
      language: 'en-US',
      lifecycleStatus: 'deceased',
      identifiers: [
        { system: 'https://github.com/synthetichealth/synthea', value: 'p1' },
        { system: 'http://hospital.smarthealthit.org', value: 'p1' },
      ],
    });
    assert.deepEqual(result.notes, ['telecom[0]: "555-956-3629" is not a valid phone number; not kept', 'identifier[2]: a government number (http://hl7.org/fhir/sid/us-ssn); not kept']);
    assert.deepEqual(matchingIdentifiers(synthea).mrns, ['p1']);
  });

  test('a Patient without a name or with a partial birth date is refused with FHIR paths', () => {
    const result = patientInputFromFhir({ resourceType: 'Patient', birthDate: '1980' });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems.map((p) => p.path), ['Patient.name.given', 'Patient.name.family', 'Patient.birthDate']);
  });
});

describe('reading FHIR files', () => {
  test('invalid JSON names the line and column; a non-Bundle says what it is', () => {
    assert.match(readBundleFile('a.json', '{\n  "resourceType": "Bundle",\n  "entry": [,]\n}').problems[0]!.message, /^is not valid JSON: Unexpected token ',' at line 3, column 13$/);
    assert.match(readBundleFile('b.json', '{"resourceType": "Bund').problems[0]!.message, /at line 1, column 23$/);
    assert.match(readBundleFile('c.json', '{"resourceType": "Observation"}').problems[0]!.message, /^is an Observation, not a Bundle/);
  });

  test('a transaction is one unit, a batch one unit per entry; NDJSON one unit per line, a broken line named', () => {
    const entries = [{ resource: { resourceType: 'Patient' } }, { resource: { resourceType: 'Encounter' } }];
    assert.equal(readBundleFile('t.json', JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries })).units.length, 1);
    assert.equal(readBundleFile('b.json', JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: entries })).units.length, 2);
    const nd = readNdjson('x.ndjson', '{"resourceType":"Patient"}\n\n{"resourceType":\n[1]\n');
    assert.equal(nd.units.length, 1);
    assert.deepEqual(nd.problems.map((p) => p.where), ['x.ndjson line 3', 'x.ndjson line 4']);
  });
});
