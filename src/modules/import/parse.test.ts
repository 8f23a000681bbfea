import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../server/errors.ts';
import { detectDelimiter, MAX_CSV_BYTES, parseCsv, unclosedQuoteLine } from './parse.ts';

const refusal = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
};

describe('reading a CSV file', () => {
  test('a byte order mark, CRLF line ends and quoted commas, quotes and line breaks', () => {
    const csv = '\uFEFFFirst Name,Last Name,Address\r\nAda,"Lovelace, Countess","12 ""Elm"" St"\r\n"Grace","Hopper","Apt 4\r\n9 Oak Rd"\r\nAlan,Turing,\r\n';
    const parsed = parseCsv(csv);
    assert.deepEqual(parsed.headers, ['First Name', 'Last Name', 'Address']);
    assert.equal(parsed.delimiter, ',');
    assert.deepEqual(parsed.rows, [
      { line: 2, values: ['Ada', 'Lovelace, Countess', '12 "Elm" St'] },
      { line: 3, values: ['Grace', 'Hopper', 'Apt 4\n9 Oak Rd'] },
      { line: 5, values: ['Alan', 'Turing', ''] },
    ]);
  });

  test('line numbers are the lines a record starts on, past quoted line breaks and blank lines', () => {
    const csv = 'a,b\n1,"one\ntwo\nthree"\n\n\n2,x\n3,"y\r\nz"\r4,w';
    assert.deepEqual(
      parseCsv(csv).rows.map((r) => [r.line, r.values[0]]),
      [
        [2, '1'],
        [7, '2'],
        [8, '3'],
        [10, '4'],
      ],
    );
  });

  test('semicolons and tabs are recognised from the header line', () => {
    assert.equal(detectDelimiter('First;Last;DOB\nA;B;1,5'), ';');
    assert.equal(detectDelimiter('First\tLast\nA\tB'), '\t');
    assert.equal(detectDelimiter('"Last; First",DOB\nx,y'), ',', 'a delimiter inside quotes does not count');
    const parsed = parseCsv('Vorname;Nachname;Gewicht\nErika;Mustermann;"72,5"\n');
    assert.equal(parsed.delimiter, ';');
    assert.deepEqual(parsed.rows[0]!.values, ['Erika', 'Mustermann', '72,5']);
  });

  test('Excel\'s sep= line names the delimiter and still counts as a line', () => {
    const parsed = parseCsv('sep=;\r\nName;Note\r\nAda;"a, b"\r\n');
    assert.equal(parsed.delimiter, ';');
    assert.deepEqual(parsed.headers, ['Name', 'Note']);
    assert.deepEqual(parsed.rows, [{ line: 3, values: ['Ada', 'a, b'] }]);
  });

  test('text that is not UTF-8 is refused, naming the line', () => {
    const latin1 = Buffer.from('Name,City\nZoë,Köln\n', 'latin1').toString('utf8');
    assert.match(refusal(() => parseCsv(latin1)).message, /Line 2 holds bytes that are not UTF-8 text/);
  });

  test('rows of only empty cells are skipped; an empty header cell gets a name', () => {
    const parsed = parseCsv('a,,c\n,,\n1,2,3\n');
    assert.deepEqual(parsed.headers, ['a', 'Column 2', 'c']);
    assert.deepEqual(parsed.rows, [{ line: 3, values: ['1', '2', '3'] }]);
  });

  test('a stray quote inside a value is kept as text', () => {
    assert.deepEqual(parseCsv('name,x\nO"Brien,1\n').rows[0]!.values, ['O"Brien', '1']);
  });

  test('a quote never closed is refused, naming the line it opened on', () => {
    const error = refusal(() => parseCsv('a,b\n1,2\n3,"four\n5,6\n7,8\n'));
    assert.equal(error.status, 400);
    assert.match(error.message, /quoted value that starts on line 3 is never closed/);
    assert.equal(unclosedQuoteLine('a\n"b""\n', ','), 2);
  });

  test('an empty file, a repeated header and a too-large file are refused', () => {
    assert.match(refusal(() => parseCsv('\n\n')).message, /empty/);
    assert.match(refusal(() => parseCsv('Phone,Email,phone\n1,2,3')).message, /"phone" twice \(columns 1 and 3\)/);
    const big = refusal(() => parseCsv('a\n' + 'x'.repeat(MAX_CSV_BYTES)));
    assert.equal(big.status, 413);
  });
});
