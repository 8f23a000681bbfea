import { sql, type RawBuilder } from 'kysely';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { badSearch } from './outcome.ts';

/** FHIR search: the parameters a resource declares, a request parsed against them, the searchset Bundle. */

export type ParamType = 'string' | 'token' | 'date' | 'reference' | 'number' | 'uri';
export type SearchParamDef = { name: string; type: ParamType; documentation: string; modifiers?: readonly string[] };

export const ID_PARAM: SearchParamDef = { name: '_id', type: 'token', documentation: 'The logical id of the resource' };
export const LAST_UPDATED_PARAM: SearchParamDef = { name: '_lastUpdated', type: 'date', documentation: 'When the resource last changed (meta.lastUpdated)' };

/** One occurrence of a parameter in the query: several occurrences must all hold, its comma-separated values are alternatives. */
export type SearchParam = { name: string; modifier: string | null; values: string[] };
export type SortKey = { name: string; desc: boolean };
export type SearchRequest = { params: SearchParam[]; count: number; offset: number; sort: SortKey[] };

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;
export const MAX_OFFSET = 100_000;
/** Result parameters this server understands but that do not narrow the search. */
const IGNORED_CONTROLS = new Set(['_format', '_pretty', '_total', '_summary', '_elements']);

/** Splits a value on commas not escaped with a backslash, unescaping `\,`. */
function splitValues(raw: string): string[] {
  return raw
    .split(/(?<!\\),/)
    .map((v) => v.replace(/\\,/g, ',').trim())
    .filter((v) => v !== '');
}

/**
 * Parses a search query against a resource's parameters. Unknown parameters are ignored, as FHIR
 * allows, unless the caller sent `Prefer: handling=strict`; then they are a 400 naming them.
 */
export function parseSearch(
  query: Record<string, string | string[] | undefined>,
  defs: readonly SearchParamDef[],
  sorts: readonly string[],
  strict: boolean,
): SearchRequest {
  const params: SearchParam[] = [];
  let count = DEFAULT_COUNT;
  let offset = 0;
  let sort: SortKey[] = [];
  const unknown: string[] = [];
  for (const [key, raw] of Object.entries(query)) {
    const occurrences = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    if (key === '_count') {
      const n = Number(occurrences.at(-1));
      if (!Number.isInteger(n) || n < 0) throw badSearch(`_count must be a whole number from 0 to ${MAX_COUNT}.`, '_count');
      count = Math.min(n, MAX_COUNT);
      continue;
    }
    if (key === '_offset') {
      const n = Number(occurrences.at(-1));
      if (!Number.isInteger(n) || n < 0 || n > MAX_OFFSET) throw badSearch(`_offset must be a whole number from 0 to ${MAX_OFFSET}.`, '_offset');
      offset = n;
      continue;
    }
    if (key === '_sort') {
      sort = splitValues(occurrences.at(-1) ?? '').map((s) => ({ name: s.replace(/^-/, ''), desc: s.startsWith('-') }));
      const bad = sort.filter((s) => !sorts.includes(s.name));
      if (bad.length) throw badSearch(`Cannot sort by ${bad.map((b) => b.name).join(', ')}; this resource sorts by ${sorts.join(', ') || 'nothing'}.`, '_sort');
      continue;
    }
    if (IGNORED_CONTROLS.has(key)) continue;
    const [name = '', modifier = null] = key.split(':') as [string, string?];
    const def = defs.find((d) => d.name === name);
    if (!def) {
      unknown.push(key);
      continue;
    }
    if (modifier !== null && !(def.modifiers ?? []).includes(modifier)) {
      if (strict) throw badSearch(`The modifier :${modifier} is not supported on ${name}.`, key);
      unknown.push(key);
      continue;
    }
    for (const occurrence of occurrences) {
      const values = splitValues(occurrence);
      if (values.length) params.push({ name, modifier, values });
    }
  }
  if (strict && unknown.length) throw badSearch(`Unknown search parameter(s): ${unknown.join(', ')}.`, unknown[0]);
  return { params, count, offset, sort };
}

/** The query string of the search as applied: what the self and paging links repeat. */
export function appliedQuery(request: SearchRequest, offset: number): string {
  const parts: string[] = [];
  for (const p of request.params) parts.push(`${encodeURIComponent(p.modifier ? `${p.name}:${p.modifier}` : p.name)}=${p.values.map((v) => encodeURIComponent(v.replace(/,/g, '\\,'))).join(',')}`);
  if (request.sort.length) parts.push(`_sort=${request.sort.map((s) => (s.desc ? '-' : '') + s.name).join(',')}`);
  parts.push(`_count=${request.count}`);
  if (offset) parts.push(`_offset=${offset}`);
  return parts.join('&');
}

/** A searchset Bundle of one page, with self, next and previous links on this server's base URL. */
export function searchsetBundle(baseUrl: string, type: string, request: SearchRequest, rows: Resource[]): Bundle {
  const page = rows.slice(0, request.count);
  const link: NonNullable<Bundle['link']> = [{ relation: 'self', url: `${baseUrl}/${type}?${appliedQuery(request, request.offset)}` }];
  if (rows.length > request.count && request.offset + request.count <= MAX_OFFSET) {
    link.push({ relation: 'next', url: `${baseUrl}/${type}?${appliedQuery(request, request.offset + request.count)}` });
  }
  if (request.offset > 0) {
    link.push({ relation: 'previous', url: `${baseUrl}/${type}?${appliedQuery(request, Math.max(0, request.offset - request.count))}` });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link,
    entry: page.map((resource) => ({ fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' } })),
  };
}

// Value parsers -------------------------------------------------------------------------------

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb';
const PREFIXES: readonly Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'];

export type DateValue = { prefix: Prefix; start: Date; end: Date; startDate: string; endDate: string };

const DATE_VALUE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * A date search value with its prefix, as the half-open range [start, end) its precision covers:
 * `2024` is the whole year, `2024-03-01` the day (UTC), `2024-03-01T10:00:00Z` the second.
 */
export function parseDateValue(raw: string, param: string): DateValue {
  const prefix = (PREFIXES as readonly string[]).includes(raw.slice(0, 2)) ? (raw.slice(0, 2) as Prefix) : 'eq';
  const text = prefix === 'eq' && !raw.startsWith('eq') ? raw : raw.slice(2);
  const m = DATE_VALUE.exec(text);
  if (!m) throw badSearch(`${param}: "${raw}" is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time), optionally after eq, ne, gt, lt, ge, le, sa or eb.`, param);
  const [, y, mo, d, h, mi, s, , zone] = m;
  let start: Date;
  let end: Date;
  const year = Number(y);
  if (h !== undefined) {
    const base = `${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${zone ?? 'Z'}`;
    start = new Date(base);
    end = new Date(start.getTime() + (s === undefined ? 60_000 : 1000));
  } else if (d !== undefined) {
    start = new Date(Date.UTC(year, Number(mo) - 1, Number(d)));
    end = new Date(start.getTime() + 86_400_000);
  } else if (mo !== undefined) {
    start = new Date(Date.UTC(year, Number(mo) - 1, 1));
    end = new Date(Date.UTC(year, Number(mo), 1));
  } else {
    start = new Date(Date.UTC(year, 0, 1));
    end = new Date(Date.UTC(year + 1, 0, 1));
  }
  if (Number.isNaN(start.getTime()) || (mo !== undefined && (Number(mo) < 1 || Number(mo) > 12))) {
    throw badSearch(`${param}: "${raw}" is not a real date.`, param);
  }
  return { prefix, start, end, startDate: start.toISOString().slice(0, 10), endDate: end.toISOString().slice(0, 10) };
}

/**
 * SQL for a date comparison of a column against one value. `column` is a date column compared
 * with dates (birthDate), or a timestamptz compared with instants.
 */
export function dateCondition(column: RawBuilder<unknown>, value: DateValue, kind: 'date' | 'instant'): RawBuilder<boolean> {
  const lo = kind === 'date' ? sql`${value.startDate}::date` : sql`${value.start}::timestamptz`;
  const hi = kind === 'date' ? sql`${value.endDate}::date` : sql`${value.end}::timestamptz`;
  switch (value.prefix) {
    case 'eq':
      return sql<boolean>`(${column} >= ${lo} and ${column} < ${hi})`;
    case 'ne':
      return sql<boolean>`(${column} < ${lo} or ${column} >= ${hi})`;
    case 'gt':
    case 'sa':
      return sql<boolean>`${column} >= ${hi}`;
    case 'lt':
    case 'eb':
      return sql<boolean>`${column} < ${lo}`;
    case 'ge':
      return sql<boolean>`${column} >= ${lo}`;
    case 'le':
      return sql<boolean>`${column} < ${hi}`;
  }
}

/** Any of the alternatives of one parameter occurrence. */
export function anyOf(conditions: RawBuilder<boolean>[]): RawBuilder<boolean> {
  if (conditions.length === 1) return conditions[0]!;
  return sql<boolean>`(${sql.join(conditions, sql` or `)})`;
}

/** A token value: `system|code`, `|code` (no system), `code` (any system), `system|` (any code). */
export function parseToken(raw: string): { system: string | null | undefined; code: string | undefined } {
  const bar = raw.indexOf('|');
  if (bar < 0) return { system: undefined, code: raw };
  const system = raw.slice(0, bar);
  const code = raw.slice(bar + 1);
  return { system: system === '' ? null : system, code: code === '' ? undefined : code };
}

/** The id a reference search value names, checking its type when it has one (`Patient/1`, a full URL, or `1`). */
export function referenceId(raw: string, type: string, param: string): string {
  const parts = raw.split('/').filter(Boolean);
  const id = parts.at(-1) ?? '';
  const named = parts.at(-2);
  if (parts.length > 1 && named !== type) throw badSearch(`${param} refers to a ${type}; "${raw}" is not one.`, param);
  return id;
}
