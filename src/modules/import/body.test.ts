import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PatientRecord } from '../patients/schema.ts';
import { changesNothing, createBody, updateBody } from './body.ts';
import { readRow, type RowContext } from './row.ts';

const ctx: RowContext = {
  headers: ['MRN', 'First', 'Last', 'Mobile', 'Email', 'Tags', 'City', 'Visits'],
  mapping: { MRN: 'mrn', First: 'givenName', Last: 'familyName', Mobile: 'phone:mobile', Email: 'email', Tags: 'tags', City: 'address.city', Visits: 'customField:visits' },
  dateFormat: 'YYYY-MM-DD',
  customFields: new Map([['visits', { type: 'number', choices: null }]]),
};
const row = (...values: string[]) => readRow({ line: 2, values }, ctx);

const existing = {
  mrn: 'M-1',
  givenName: 'Ada',
  familyName: 'Byron',
  preferredName: null,
  birthDate: null,
  sex: null,
  genderIdentity: null,
  pronouns: null,
  language: null,
  timeZone: null,
  preferredChannel: null,
  phones: [{ value: '+14135550101', use: 'mobile' }, { value: '+14135550199', use: 'work' }],
  emails: [{ value: 'ada@example.org', use: 'home' }],
  identifiers: [],
  tags: [{ id: '00000000-0000-4000-8000-000000000001', name: 'VIP', color: 'gray' }],
  address: { line: '1 Elm St', city: 'Springfield', region: 'MA', postalCode: '01103', country: 'US' },
  customFields: { visits: 12 },
  source: { channel: null, campaign: null, referrer: null, utmSource: null, utmMedium: null, utmCampaign: null, utmTerm: null, utmContent: null },
} as unknown as PatientRecord;

describe('request bodies from a row', () => {
  test('a new patient carries what the row has and is confirmed for duplicate review', () => {
    assert.deepEqual(createBody(row('M-1', 'Ada', 'Byron', '413-555-0101', '', 'VIP', 'Springfield', '12')), {
      mrn: 'M-1',
      givenName: 'Ada',
      familyName: 'Byron',
      phones: [{ value: '413-555-0101', use: 'mobile' }],
      address: { city: 'Springfield' },
      tags: ['VIP'],
      customFields: { visits: 12 },
      confirmNotDuplicate: true,
    });
  });

  test('an update adds to lists, keeps the rest of the address, and leaves out what is already there', () => {
    const same = updateBody(row('M-1', 'Ada', 'Byron', '(413) 555-0101', 'ADA@example.org', 'vip', 'Springfield', '12'), existing, true);
    assert.deepEqual(same, { mrn: 'M-1', givenName: 'Ada', familyName: 'Byron', address: existing.address, customFields: { visits: 12 } });
    assert.equal(changesNothing(same, existing), true);

    const changed = updateBody(row('M-1', 'Ada', 'Byron', '413-555-0177', '', 'New; VIP', 'Chicopee', '14'), existing, false);
    assert.deepEqual(changed.phones, [{ value: '413-555-0177', use: 'mobile' }, ...existing.phones]);
    assert.deepEqual(changed.tags, ['New', 'VIP']);
    assert.deepEqual(changed.address, { ...existing.address, city: 'Chicopee' });
    assert.equal(changed.mrn, undefined, 'an MRN that led to a merged record is not written over the survivor\'s');
    assert.equal(changesNothing(changed, existing), false);
    assert.equal(changesNothing({ customFields: { visits: 13 } }, existing), false);
    assert.equal(changesNothing({ familyName: 'Lovelace' }, existing), false);
  });
});
