import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { AppError } from '../../server/errors.ts';
import { linkExpiry, manageLinkPath, readLinkClaims, signLink, verifyLink, type LinkClaims } from './links.ts';

const KEY = randomBytes(32);
const NOW = new Date('2026-11-22T14:00:00Z');
const claims: LinkClaims = {
  tenantId: '0d9a3c1e-5b7f-4e2a-9c3d-1f2e3a4b5c6d',
  appointmentId: '1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b',
  patientId: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
  purpose: 'manage',
  expiresAt: Math.floor(NOW.getTime() / 1000) + 3600,
};

const refusal = (fn: () => unknown): number => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError);
    return error.status;
  }
  assert.fail('expected a refusal');
};

describe('signed links', () => {
  test('a signed token verifies and gives back its claims', () => {
    const token = signLink(KEY, claims);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(verifyLink(KEY, token, 'manage', NOW), claims);
    assert.deepEqual(readLinkClaims(token), claims);
  });

  test('an altered payload or signature, another key, or garbage is 404', () => {
    const token = signLink(KEY, claims);
    const [payload, signature] = token.split('.') as [string, string];
    const otherPayload = signLink(KEY, { ...claims, patientId: '3b4c5d6e-7f8a-4b9c-8d1e-2f3a4b5c6d7e' }).split('.')[0]!;
    assert.equal(refusal(() => verifyLink(KEY, `${otherPayload}.${signature}`, 'manage', NOW)), 404);
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    assert.equal(refusal(() => verifyLink(KEY, `${payload}.${flipped}`, 'manage', NOW)), 404);
    assert.equal(refusal(() => verifyLink(randomBytes(32), token, 'manage', NOW)), 404);
    assert.equal(refusal(() => verifyLink(null, token, 'manage', NOW)), 404);
    for (const junk of ['', 'abc', `${payload}.`, `${payload}.${signature}.x`, 'not json at all.'.padEnd(60, 'a')]) {
      assert.equal(refusal(() => verifyLink(KEY, junk, 'manage', NOW)), 404, junk);
    }
    const notJson = `${Buffer.from('{"t":').toString('base64url')}xxxxxxxxxx.${signature}`;
    assert.equal(readLinkClaims(notJson), null);
  });

  test('an expired but genuine token is 410; expiry is checked after the signature', () => {
    const expired = signLink(KEY, { ...claims, expiresAt: Math.floor(NOW.getTime() / 1000) - 1 });
    assert.equal(refusal(() => verifyLink(KEY, expired, 'manage', NOW)), 410);
    assert.equal(refusal(() => verifyLink(randomBytes(32), expired, 'manage', NOW)), 404);
    const atTheSecond = signLink(KEY, { ...claims, expiresAt: Math.floor(NOW.getTime() / 1000) });
    assert.equal(refusal(() => verifyLink(KEY, atTheSecond, 'manage', NOW)), 410);
  });

  test('expiry: a week after the visit ends, but at most 120 days from issue', () => {
    const soon = new Date('2026-11-25T15:30:00Z');
    assert.equal(linkExpiry(soon, NOW), Date.parse('2026-12-02T15:30:00Z') / 1000);
    const far = new Date('2027-09-01T15:30:00Z');
    assert.equal(linkExpiry(far, NOW), Date.parse('2027-03-22T14:00:00Z') / 1000);
  });

  test('a manage path carries a token that verifies', () => {
    const path = manageLinkPath(KEY, { ...claims, endsAt: new Date('2026-11-25T15:30:00Z'), now: NOW });
    assert.match(path, /^\/book\/manage\//);
    const verified = verifyLink(KEY, path.slice('/book/manage/'.length), 'manage', NOW);
    assert.equal(verified.appointmentId, claims.appointmentId);
  });
});
