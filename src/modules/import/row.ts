import type { ContactUse, CustomFieldType } from '../../server/db/types.ts';
import type { ConsentCell, ConsentTarget } from './consent.ts';
import type { ImportMapping } from './mapping.ts';
import type { CsvRow } from './parse.ts';
import { convertChannel, convertConsent, convertCountry, convertCustomValue, convertDate, convertSex, splitTags, type Converted, type DateFormat } from './values.ts';

/** One CSV row read through the mapping: the patient fields it carries and where each came from. */

export type RowProblem = { line: number; field: string; value: string; message: string };

type Scalar = 'givenName' | 'familyName' | 'preferredName' | 'birthDate' | 'sex' | 'genderIdentity' | 'pronouns' | 'mrn' | 'language' | 'timeZone' | 'preferredChannel';
type AddressPart = 'line' | 'city' | 'region' | 'postalCode' | 'country';
type Contact = { value: string; use?: ContactUse };

export type RowDraft = {
  line: number;
  scalars: Partial<Record<Scalar, string>>;
  phones: Contact[];
  emails: Contact[];
  address: Partial<Record<AddressPart, string>>;
  tags: string[];
  identifiers: Array<{ system: string; value: string }>;
  customFields: Record<string, string | number>;
  source: Partial<Record<'channel' | 'campaign', string>>;
  /** Consent answers, written to the consent ledger after the patient (not part of the patient body). */
  consent: ConsentCell[];
  /** API field path (or the start of one) -> the CSV column it came from. */
  columns: Map<string, string>;
  /** CSV column -> its cell in this row, trimmed. */
  cells: Record<string, string>;
  /** What could not be read from the cells (a date in the wrong format ...). */
  problems: RowProblem[];
};

export type CustomFieldDef = { type: CustomFieldType; choices: string[] | null };

export type RowContext = {
  headers: readonly string[];
  mapping: ImportMapping;
  dateFormat: DateFormat;
  customFields: ReadonlyMap<string, CustomFieldDef>;
};

const SCALARS = new Set<string>(['givenName', 'familyName', 'preferredName', 'birthDate', 'sex', 'genderIdentity', 'pronouns', 'mrn', 'language', 'timeZone', 'preferredChannel']);

/** Reads one row. Empty cells carry nothing: an import adds and changes, it never clears a field. */
export function readRow(row: CsvRow, ctx: RowContext): RowDraft {
  const draft: RowDraft = {
    line: row.line,
    scalars: {},
    phones: [],
    emails: [],
    address: {},
    tags: [],
    identifiers: [],
    customFields: {},
    source: {},
    consent: [],
    columns: new Map(),
    cells: {},
    problems: [],
  };
  if (row.values.length !== ctx.headers.length) {
    draft.problems.push({
      line: row.line,
      field: '(row)',
      value: '',
      message: `has ${row.values.length} values but the header has ${ctx.headers.length} columns; a value holding the delimiter must be in double quotes`,
    });
    return draft;
  }
  ctx.headers.forEach((column, i) => {
    const cell = (row.values[i] ?? '').trim();
    draft.cells[column] = cell;
    readCell(draft, ctx, column, ctx.mapping[column] ?? 'ignore', cell);
  });
  return draft;
}

function readCell(draft: RowDraft, ctx: RowContext, column: string, target: string, cell: string): void {
  const take = <T>(path: string, converted: Converted<T>, set: (v: T) => void) => {
    draft.columns.set(path, column);
    if ('problem' in converted) draft.problems.push({ line: draft.line, field: column, value: cell, message: converted.problem });
    else set(converted.value);
  };
  if (SCALARS.has(target)) draft.columns.set(target, column);
  if (target.startsWith('address.')) draft.columns.set(target, column);
  if (cell === '' || target === 'ignore') return;

  if (target === 'birthDate') take(target, convertDate(cell, ctx.dateFormat), (v) => (draft.scalars.birthDate = v));
  else if (target === 'sex') take(target, convertSex(cell), (v) => (draft.scalars.sex = v));
  else if (target === 'preferredChannel') take(target, convertChannel(cell), (v) => (draft.scalars.preferredChannel = v));
  else if (SCALARS.has(target)) draft.scalars[target as Scalar] = cell;
  else if (target === 'address.country') draft.address.country = convertCountry(cell);
  else if (target.startsWith('address.')) draft.address[target.slice('address.'.length) as AddressPart] = cell;
  else if (target.startsWith('phone') || target.startsWith('email')) {
    const [kind, use] = target.split(':') as ['phone' | 'email', ContactUse | undefined];
    const list = kind === 'phone' ? draft.phones : draft.emails;
    draft.columns.set(`${kind}s.${list.length}`, column);
    list.push({ value: cell, ...(use ? { use } : {}) });
  } else if (target === 'tags') {
    for (const tag of splitTags(cell)) {
      draft.columns.set(`tags.${draft.tags.length}`, column);
      draft.tags.push(tag);
    }
  } else if (target.startsWith('identifier:')) {
    draft.columns.set(`identifiers.${draft.identifiers.length}`, column);
    draft.identifiers.push({ system: target.slice('identifier:'.length).trim(), value: cell });
  } else if (target.startsWith('customField:')) {
    const key = target.slice('customField:'.length);
    take(`customFields.${key}`, convertCustomValue(cell, ctx.customFields.get(key), ctx.dateFormat), (v) => (draft.customFields[key] = v));
  } else if (target === 'source.channel' || target === 'source.campaign') {
    draft.columns.set(target, column);
    draft.source[target === 'source.channel' ? 'channel' : 'campaign'] = cell;
  } else if (target.startsWith('consent:')) {
    take(target, convertConsent(cell), (status) => draft.consent.push({ column, target: target as ConsentTarget, status }));
  }
}

/** A problem the patient API found, told in the file's terms: the column it came from and its cell. */
export function problemAt(draft: RowDraft, path: string, message: string): RowProblem {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const column = draft.columns.get(parts.slice(0, n).join('.'));
    if (column !== undefined) return { line: draft.line, field: column, value: draft.cells[column] ?? '', message };
  }
  return { line: draft.line, field: path || '(row)', value: '', message };
}

/**
 * For every row whose MRN or an identifier already appeared on an earlier row, a problem: a file
 * holds each patient once, so the second row would silently overwrite the first.
 */
export function repeatedKeys(drafts: readonly RowDraft[]): Map<number, RowProblem[]> {
  const firstLine = new Map<string, number>();
  const out = new Map<number, RowProblem[]>();
  drafts.forEach((d, i) => {
    const keys: Array<[string, string, string]> = [];
    if (d.scalars.mrn) keys.push([`mrn|${d.scalars.mrn}`, d.columns.get('mrn')!, d.scalars.mrn]);
    d.identifiers.forEach((id, k) => keys.push([`id|${id.system}|${id.value}`, d.columns.get(`identifiers.${k}`)!, id.value]));
    for (const [key, column, value] of keys) {
      const first = firstLine.get(key);
      if (first === undefined) firstLine.set(key, d.line);
      else {
        const problem = { line: d.line, field: column, value, message: `is also on line ${first}; each patient may appear only once in a file` };
        out.set(i, [...(out.get(i) ?? []), problem]);
      }
    }
  });
  return out;
}
