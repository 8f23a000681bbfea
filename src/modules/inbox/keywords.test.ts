import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preview, readKeyword, replies } from './keywords.ts';

const kind = (body: string) => readKeyword(body)?.keyword ?? null;

test('opt-out words count as the first word; CANCEL alone is an opt-out, as the carriers read it', () => {
  for (const body of ['STOP', 'stop', ' Stop. ', 'STOPALL', 'unsubscribe', 'Cancel', 'END', 'quit!', 'Stop texting me please', '"STOP"']) assert.equal(kind(body), 'stop', body);
});

test('confirm and cancel-the-visit words must be the whole message', () => {
  for (const body of ['C', 'c', 'Y', 'yes', 'Yes!', ' CONFIRM ']) assert.equal(kind(body), 'confirm', body);
  for (const body of ['X', 'x.', 'N', 'no', 'NO!', 'cancel appt', 'Cancel  appointment']) assert.equal(kind(body), 'cancel', body);
  for (const body of ['No problem, see you then', 'Yes I will be there', 'C u there', 'X-ray results?', '', '   ', 'Can I come at 3?']) assert.equal(kind(body), null, body);
});

test('START, UNSTOP, HELP and INFO alone; a sentence with help in it is for staff', () => {
  assert.equal(kind('start'), 'start');
  assert.equal(kind('Unstop'), 'start');
  assert.equal(kind('HELP'), 'help');
  assert.equal(kind('info?'), 'help');
  assert.equal(kind('Help me with my bill'), null);
  assert.equal(readKeyword('yes')?.word, 'YES');
});

test('answers name the clinic and how to rebook; previews are one short line', () => {
  const clinic = { name: 'Maple Clinic', phone: '+14135550199', helpText: null, bookUrl: 'https://rapport.example.org/book/maple' };
  assert.equal(replies.cancelled(clinic, 'Check-up on Tue 24 Nov at 10:00 AM'), 'Maple Clinic: your Check-up on Tue 24 Nov at 10:00 AM is cancelled. To book a new time, call +14135550199 or visit https://rapport.example.org/book/maple');
  assert.equal(replies.cancelled({ ...clinic, phone: null }, 'visit'), 'Maple Clinic: your visit is cancelled. Book a new time: https://rapport.example.org/book/maple');
  assert.equal(replies.cancelled({ ...clinic, bookUrl: null }, 'visit'), 'Maple Clinic: your visit is cancelled. To book a new time, call +14135550199.');
  assert.equal(replies.help({ ...clinic, helpText: 'Call 413-555-0199.' }), 'Call 413-555-0199.');
  assert.equal(preview('  Hello\n\nthere  '), 'Hello there');
  assert.equal(preview('x'.repeat(200)).length, 140);
});
