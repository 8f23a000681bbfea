import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryDelaySeconds } from './delivery.ts';
import { hmacHex, signatureHeader, verifySignature } from './signature.ts';
import { addressKind, urlProblem } from './target.ts';

describe('webhook signatures', () => {
  const secret = 'whsec_test-secret-0123456789abcdefghijklmnop';
  const body = '{"id":"e1","type":"patient.created"}';

  test('the header is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const header = signatureHeader([secret], 1_795_000_000, body);
    assert.equal(header, `t=1795000000,v1=${hmacHex(secret, 1_795_000_000, body)}`);
    assert.ok(verifySignature(secret, header, body, 1_795_000_100));
  });

  test('a wrong secret, an altered body, an old timestamp or a malformed header do not verify', () => {
    const header = signatureHeader([secret], 1_795_000_000, body);
    assert.equal(verifySignature('whsec_other', header, body, 1_795_000_000), false);
    assert.equal(verifySignature(secret, header, `${body} `, 1_795_000_000), false);
    assert.equal(verifySignature(secret, header, body, 1_795_000_000 + 301), false);
    assert.equal(verifySignature(secret, 'v1=abc', body, 1_795_000_000), false);
    assert.equal(verifySignature(secret, undefined, body, 1_795_000_000), false);
  });

  test('after a rotation either secret verifies', () => {
    const header = signatureHeader(['whsec_new', secret], 1_795_000_000, body);
    assert.ok(verifySignature('whsec_new', header, body, 1_795_000_000));
    assert.ok(verifySignature(secret, header, body, 1_795_000_000));
  });
});

describe('webhook targets', () => {
  const dev = { allowLoopback: true };
  const production = { allowLoopback: false };

  test('addresses are told apart', () => {
    for (const a of ['10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', 'fd12::1', 'fe80::1', '::', '::ffff:10.0.0.1']) {
      assert.equal(addressKind(a), 'private', a);
    }
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1']) assert.equal(addressKind(a), 'loopback', a);
    for (const a of ['93.184.216.34', '172.32.0.1', '2606:4700::1111', '8.8.8.8']) assert.equal(addressKind(a), 'public', a);
    assert.equal(addressKind('hooks.example.org'), null);
  });

  test('https anywhere public; http and localhost only on a development server', () => {
    assert.equal(urlProblem('https://hooks.example.org/x', production), null);
    assert.equal(urlProblem('https://93.184.216.34/x', production), null);
    assert.equal(urlProblem('http://127.0.0.1:8080/x', dev), null);
    assert.equal(urlProblem('http://localhost:8080/x', dev), null);
    assert.equal(urlProblem('https://[::1]/x', dev), null);
    assert.match(urlProblem('http://127.0.0.1:8080/x', production)!, /development server/);
    assert.match(urlProblem('https://app.localhost/x', production)!, /development server/);
    assert.match(urlProblem('http://hooks.example.org/x', dev)!, /https/);
    assert.match(urlProblem('https://10.0.0.8/x', dev)!, /private network/);
    assert.match(urlProblem('https://[::ffff:a9fe:a9fe]/x', dev)!, /private network/);
  });
});

describe('webhook retries', () => {
  test('back off 30 s x 4^n up to 8 h, jittered by at most a fifth either way', () => {
    const exact = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelaySeconds(n, () => 0.5));
    assert.deepEqual(exact, [30, 120, 480, 1920, 7680, 28800, 28800]);
    assert.ok(exact.reduce((a, b) => a + b) / 3600 > 18, 'eight attempts span most of a day');
    assert.equal(retryDelaySeconds(1, () => 0), 24);
    assert.equal(retryDelaySeconds(1, () => 1), 36);
  });
});
