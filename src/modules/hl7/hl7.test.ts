import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildAck, escapeText } from './ack.ts';
import { countryCode, languageTag, parseDate, parseTimestamp } from './datatypes.ts';
import { frame, mllpDecoder } from './mllp.ts';
import { isParseFailure, parseMessage } from './parse.ts';
import { fixture } from './testing.ts';

describe('MLLP framing', () => {
  test('frames split across reads and glued in one read come out one by one; bytes outside frames are dropped', () => {
    const decoder = mllpDecoder(1000);
    const bytes = Buffer.concat([Buffer.from('noise'), frame('ONE'), frame('TWO')]);
    const events = [...decoder.push(bytes.subarray(0, 9)), ...decoder.push(bytes.subarray(9))];
    assert.deepEqual(events.map((e) => ('frame' in e ? e.frame.toString() : 'oversized')), ['ONE', 'TWO']);
  });
  test('an oversized frame is reported once and skipped; a new start block abandons an unfinished frame', () => {
    const decoder = mllpDecoder(10);
    const events = decoder.push(Buffer.concat([frame('x'.repeat(50)), Buffer.from('\u000bhalf'), frame('OK')]));
    assert.deepEqual(events.map((e) => ('frame' in e ? e.frame.toString() : 'oversized')), ['oversized', 'OK']);
  });
});

describe('HL7 parsing and data types', () => {
  test('the fixtures parse with LF, CR and CRLF alike, with the same content hash', () => {
    const text = fixture('SIU-S12-01');
    const hashes = [text, text.replace(/\n/g, '\r'), text.replace(/\n/g, '\r\n')].map((t) => {
      const parsed = parseMessage(t);
      assert.ok(!isParseFailure(parsed));
      assert.equal(parsed.header.controlId, 'MSG00012');
      assert.equal(`${parsed.header.messageCode}^${parsed.header.triggerEvent}`, 'SIU^S12');
      return parsed.contentHash;
    });
    assert.equal(new Set(hashes).size, 1);
  });
  test('timestamps keep their offset; without one they are read in the clinic zone', () => {
    assert.equal(parseTimestamp('20210924093000+0215', 'UTC')!.toISOString(), '2021-09-24T07:15:00.000Z');
    assert.equal(parseTimestamp('202109240930', 'America/New_York')!.toISOString(), '2021-09-24T13:30:00.000Z');
    assert.equal(parseTimestamp('2021-09-24', 'UTC'), null);
    assert.equal(parseDate('198808181126+0215'), '1988-08-18');
    assert.equal(parseDate('19880231'), null);
  });
  test('codes: ISO 639-2 languages and ISO 3166 alpha-3 countries', () => {
    assert.equal(languageTag('ara'), 'ar');
    assert.equal(languageTag('eng'), 'en');
    assert.equal(countryCode('USA'), 'US');
    assert.equal(countryCode('BTN'), 'BT');
    assert.equal(countryCode('XYZ'), null);
  });
  test('the ACK escapes delimiters in its text and answers the sender', () => {
    assert.equal(escapeText('a|b^c&d~e\\f'), 'a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f');
    const ack = buildAck({
      code: 'AE',
      header: { sendingApplication: 'App', sendingFacility: 'Fac', receivingApplication: 'Rapport', controlId: 'M1', triggerEvent: 'A04', version: '2.5', processingId: 'P' },
      issues: [{ code: '204', severity: 'E', message: 'Unknown | thing', location: 'PID^1^3' }],
      controlId: 'R1',
      now: new Date('2026-01-01T00:00:00Z'),
      application: 'Rapport',
    });
    assert.equal(ack, 'MSH|^~\\&|Rapport||App|Fac|20260101000000+0000||ACK^A04^ACK|R1|P|2.5\rMSA|AE|M1\rERR||PID^1^3|204^Unknown key identifier^HL70357|E||||Unknown \\F\\ thing\r');
  });
});
