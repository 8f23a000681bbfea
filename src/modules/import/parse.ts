import { CsvError, parse } from 'csv-parse/sync';
import { badRequest, payloadTooLarge } from '../../server/errors.ts';

/** The largest CSV one import takes (20 MB); split bigger exports into several files. */
export const MAX_CSV_BYTES = 20 * 1024 * 1024;

/** One data row of the file: its values in header order and the file line it starts on. */
export type CsvRow = { line: number; values: string[] };

export type ParsedCsv = {
  /** Column names, trimmed; an empty header cell is named "Column N". */
  headers: string[];
  rows: CsvRow[];
  delimiter: ',' | ';' | '\t';
};

const DELIMITERS = [',', ';', '\t'] as const;

/**
 * The field delimiter, judged from the header line: whichever of comma, semicolon and tab it holds
 * most often outside quotes (spreadsheets in comma-decimal locales save with semicolons).
 */
export function detectDelimiter(text: string): ParsedCsv['delimiter'] {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best: ParsedCsv['delimiter'] = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

const newlines = (s: string) => {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Reads a CSV export: a byte order mark, quoted fields holding delimiters, quotes or line breaks,
 * CRLF, LF or CR line ends, comma, semicolon or tab delimiters. Blank lines are skipped. Every row
 * carries the file line it starts on, so a problem can be found in the file as the user sees it.
 * Throws a 400 naming the line when the file cannot be read as CSV, a 413 when it is too large.
 */
export function parseCsv(text: string): ParsedCsv {
  if (Buffer.byteLength(text, 'utf8') > MAX_CSV_BYTES) throw payloadTooLarge(MAX_CSV_BYTES);
  // One kind of line end, so line numbers match what an editor shows whatever saved the file.
  let normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const badByte = normalised.indexOf('\uFFFD');
  if (badByte !== -1) {
    const line = normalised.slice(0, badByte).split('\n').length;
    throw badRequest(`Line ${line} holds bytes that are not UTF-8 text; save the file as "CSV UTF-8" and try again.`);
  }
  // Excel's "sep=;" first line names the delimiter; it is blanked, not removed, so lines still count.
  const sep = /^sep=([,;\t])\n/.exec(normalised)?.[1] as ParsedCsv['delimiter'] | undefined;
  if (sep) normalised = normalised.replace(/^sep=.\n/, '\n');
  const delimiter = sep ?? detectDelimiter(normalised);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(normalised, {
      delimiter,
      record_delimiter: '\n',
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) throw badRequest(`The file could not be read as CSV: ${describeCsvError(error, normalised, delimiter)}`);
    throw error;
  }
  // A record ends on info.lines; a line break inside a quoted value moves its start back.
  const withLines = records.map(({ record, info }) => ({ line: info.lines - record.reduce((n, v) => n + newlines(v), 0), values: record }));
  const [header, ...rows] = withLines.filter((r) => r.values.some((v) => v.trim() !== ''));
  if (!header) throw badRequest('The file is empty: it needs a header line naming the columns, then one line per patient.');
  const headers = header.values.map((h, i) => h.trim() || `Column ${i + 1}`);
  const seen = new Map<string, number>();
  headers.forEach((h, i) => {
    const first = seen.get(h.toLowerCase());
    if (first !== undefined) {
      throw badRequest(`The header names the column "${h}" twice (columns ${first + 1} and ${i + 1}); give each column its own name.`);
    }
    seen.set(h.toLowerCase(), i);
  });
  return { headers, rows, delimiter };
}

function describeCsvError(error: CsvError, text: string, delimiter: string): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return `the quoted value that starts on line ${unclosedQuoteLine(text, delimiter)} is never closed; check for a stray double quote.`;
  }
  const line = (error as CsvError & { lines?: number }).lines;
  if (error.code === 'CSV_INVALID_CLOSING_QUOTE') {
    return `on line ${line}, a quoted value is followed by more text before the next delimiter.`;
  }
  return error.message.replace(/\s+/g, ' ').trim();
}

/** The line where the quoted value left open at the end of the file began. */
export function unclosedQuoteLine(text: string, delimiter: string): number {
  let line = 1;
  let openedOn = 0;
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') i++;
      else if (ch === '"') quoted = false;
      else if (ch === '\n') line++;
      continue;
    }
    if (ch === '"' && fieldStart) {
      quoted = true;
      openedOn = line;
    }
    if (ch === '\n') line++;
    fieldStart = ch === delimiter || ch === '\n';
  }
  return openedOn;
}
