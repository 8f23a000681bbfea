import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '@medplum/fhirtypes';
import { nonConformance, r4Errors } from './conformance.ts';

const encounter = (extra: Record<string, unknown> = {}) =>
  ({ resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'urn:uuid:0d1c2b3a-0000-4000-8000-000000000001' }, ...extra }) as Resource;

test('a conforming resource has no errors, though the validator warns about its urn:uuid reference', () => {
  assert.deepEqual(r4Errors(encounter()), []);
});

test('errors only, each named by its element; the warnings thrown with them are left out', () => {
  const missing = r4Errors(encounter({ class: undefined }));
  assert.deepEqual(missing.map((i) => [i.severity, i.expression?.[0]]), [['error', 'Encounter.class']]);
  assert.equal(nonConformance(missing), 'does not conform to FHIR R4: Encounter.class: Missing required property');
  const bogus = r4Errors(encounter({ status: 'bogus' }));
  assert.equal(nonConformance(bogus), 'does not conform to FHIR R4: Encounter.status: Value "bogus" is not in the required value set http://hl7.org/fhir/ValueSet/encounter-status');
});

test('each resource object is validated once: asked again, the same answer is handed back', () => {
  const resource = encounter({ class: undefined });
  assert.equal(r4Errors(resource), r4Errors(resource));
  assert.notEqual(r4Errors(encounter({ class: undefined })), r4Errors(resource), 'another object is validated on its own');
});

test('types not validated here (not kept, not written) have no errors', () => {
  assert.deepEqual(r4Errors({ resourceType: 'Observation', status: 'bogus' } as unknown as Resource), []);
});

test('past five problems, the rest are counted', () => {
  const issues = Array.from({ length: 7 }, (_, i) => ({ severity: 'error' as const, code: 'structure' as const, details: { text: `problem ${i}` }, expression: [`Claim.item[${i}]`] }));
  assert.match(nonConformance(issues), /Claim\.item\[4\]: problem 4; and 2 more$/);
});
