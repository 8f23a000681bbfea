import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { KEPT_TYPES } from './pipeline.ts';
import type { ImportEntry, ImportUnit } from './types.ts';

/**
 * Reading what `rapport import fhir PATH` names: a Bundle file (.json), an NDJSON file (.ndjson,
 * .jsonl: one resource per line, as a bulk export writes them), or a folder of those. A file that
 * cannot be read is a problem naming the file (and the line, for NDJSON); the other files go on.
 */

export type SourceFile = { file: string; name: string; kind: 'bundle' | 'ndjson'; bytes: number };
export type FileProblem = { where: string; message: string };
export type ReadFile = { units: ImportUnit[]; entries: number; problems: FileProblem[] };

const NDJSON = /\.(ndjson|jsonl)$/i;
const JSON_FILE = /\.json$/i;

/** The files to import, in an order that lets references resolve: bundles by name, then NDJSON by resource type. */
export function listSources(target: string): { files: SourceFile[]; ignored: string[] } {
  const stat = statSync(target);
  if (!stat.isDirectory()) return { files: [source(target, stat.size)], ignored: [] };
  const names = readdirSync(target).sort();
  const files = names.filter((n) => NDJSON.test(n) || JSON_FILE.test(n)).map((n) => source(path.join(target, n), statSync(path.join(target, n)).size));
  const rank = (f: SourceFile) => (f.kind === 'bundle' ? -1 : typeRank(f.name));
  files.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return { files, ignored: names.filter((n) => !NDJSON.test(n) && !JSON_FILE.test(n)) };
}

function source(file: string, bytes: number): SourceFile {
  return { file, name: path.basename(file), kind: NDJSON.test(file) ? 'ndjson' : 'bundle', bytes };
}

/** NDJSON files of bulk exports are named by type (Patient.ndjson, Encounter.000.ndjson): referenced types first. */
function typeRank(name: string): number {
  const type = /^([A-Z][A-Za-z]+)/.exec(name)?.[1];
  const at = type ? KEPT_TYPES.indexOf(type) : -1;
  return at === -1 ? KEPT_TYPES.length : at;
}

/** The units of one file: a transaction bundle is one all-or-nothing unit; every other entry or line is its own. */
export function readSource(source: SourceFile): ReadFile {
  let text: string;
  try {
    text = readFileSync(source.file, 'utf8');
  } catch (error) {
    return { units: [], entries: 0, problems: [{ where: source.name, message: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` }] };
  }
  return source.kind === 'ndjson' ? readNdjson(source.name, text) : readBundleFile(source.name, text);
}

export function readBundleFile(name: string, text: string): ReadFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fileProblem(name, `is not valid JSON: ${jsonError(error, text)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fileProblem(name, 'is not a FHIR resource (expected a JSON object)');
  const bundle = parsed as { resourceType?: unknown; type?: unknown; entry?: unknown };
  if (bundle.resourceType !== 'Bundle') {
    const what = typeof bundle.resourceType === 'string' ? `${/^[AEIOU]/.test(bundle.resourceType) ? 'an' : 'a'} ${bundle.resourceType}` : 'a JSON object without resourceType';
    return fileProblem(name, `is ${what}, not a Bundle (a single resource per file is not imported; put resources in a Bundle or an NDJSON file)`);
  }
  if (bundle.entry !== undefined && !Array.isArray(bundle.entry)) return fileProblem(name, 'Bundle.entry is not an array');
  const entries = ((bundle.entry ?? []) as unknown[]).map((raw, index): ImportEntry => {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as { fullUrl?: unknown; resource?: unknown };
    const resource = (typeof e.resource === 'object' && e.resource !== null ? e.resource : { resourceType: '(no resource)' }) as Resource;
    return { where: `${name} entry ${index}`, index, fullUrl: typeof e.fullUrl === 'string' ? e.fullUrl : undefined, resource };
  });
  const units: ImportUnit[] =
    bundle.type === 'transaction'
      ? [{ label: name, atomic: true, entries }]
      : entries.map((entry) => ({ label: entry.where, atomic: false, entries: [entry] }));
  return { units, entries: entries.length, problems: [] };
}

export function readNdjson(name: string, text: string): ReadFile {
  const units: ImportUnit[] = [];
  const problems: FileProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const where = `${name} line ${i + 1}`;
    let resource: unknown;
    try {
      resource = JSON.parse(line);
    } catch (error) {
      problems.push({ where, message: `is not valid JSON: ${jsonError(error, line)}` });
      return;
    }
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
      problems.push({ where, message: 'is not a FHIR resource (expected a JSON object)' });
      return;
    }
    units.push({ label: where, atomic: false, entries: [{ where, index: i + 1, resource: resource as Resource }] });
  });
  return { units, entries: units.length + problems.length, problems };
}

/** How many resources a file holds, for the progress bar (0 for a file that cannot be read). */
export function countEntries(source: SourceFile): number {
  try {
    const text = readFileSync(source.file, 'utf8');
    if (source.kind === 'ndjson') return text.split('\n').filter((l) => l.trim()).length;
    const entry = (JSON.parse(text) as { entry?: unknown }).entry;
    return Array.isArray(entry) ? entry.length : 1;
  } catch {
    return 1;
  }
}

const fileProblem = (where: string, message: string): ReadFile => ({ units: [], entries: 1, problems: [{ where, message }] });

/** JSON.parse's message with the line and column the error is at (worked out from V8's message). */
function jsonError(error: unknown, text: string): string {
  const message = (error as Error).message;
  const position = errorPosition(message, text);
  const what = message
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/^(Unexpected token '.+?'), [\s\S]* is not valid JSON$/, '$1');
  if (position === null) return what;
  const before = text.slice(0, position);
  return `${what} at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
}

function errorPosition(message: string, text: string): number | null {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  // Unexpected token 'X', ..."some context" is not valid JSON: up to 10 characters either side of the token.
  const token = /^Unexpected token '(.+?)', (\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON$/.exec(message);
  if (!token) return null;
  const start = text.indexOf(token[3]!);
  if (start < 0) return null;
  return start + (token[2] ? 10 : token[3]!.indexOf(token[1]!));
}
