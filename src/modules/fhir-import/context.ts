import type { Reference } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { isUuid } from '../../shared/ids.ts';
import type { EntryResult, ImportEntry, ImportOptions } from './types.ts';
import { fail, MappingFailure, referenceOf } from './values.ts';

/**
 * What the mappers share while a batch of entries is imported: the scope, the entries of the batch
 * by fullUrl, by Type/id and by identifier, what each entry became, and external_ref as read so far.
 * References are resolved here: inside the batch first, then through external_ref (and, for a
 * conditional reference to a Patient, through patient identifiers), and last, for `Type/<uuid>`,
 * the tenant's own row of that id: what a FHIR client that read the resource from /fhir/R4 sends.
 */

export type KnownRef = { entityId: string; hash: string | null };

export const refKey = (system: string, type: string, id: string) => `${system}\u0000${type}\u0000${id}`;

export type ImportContext = {
  scope: TenantScope;
  options: ImportOptions;
  /** external_ref rows by refKey, as read at the start of the batch and written since. */
  refs: Map<string, KnownRef>;
  /** What each entry of the batch became, once its phase ran. */
  results: Map<ImportEntry, EntryResult>;
  byFullUrl: Map<string, ImportEntry>;
  byTypeId: Map<string, ImportEntry>;
  /** `Type|system|value` of every identifier in the batch. */
  byIdentifier: Map<string, ImportEntry>;
  /** Lookups outside the batch, cached: a reference string to an id (or null when not found). */
  lookups: Map<string, string | null>;
  /** Patients whose clinical rows the batch wrote, for one audit record each. */
  touchedPatients: Map<string, Record<string, number>>;
};

export function newContext(scope: TenantScope, options: ImportOptions, entries: ImportEntry[]): ImportContext {
  const ctx: ImportContext = {
    scope,
    options,
    refs: new Map(),
    results: new Map(),
    byFullUrl: new Map(),
    byTypeId: new Map(),
    byIdentifier: new Map(),
    lookups: new Map(),
    touchedPatients: new Map(),
  };
  for (const entry of entries) {
    const r = entry.resource as { resourceType?: unknown; id?: unknown; identifier?: unknown };
    if (typeof r.resourceType !== 'string') continue;
    if (entry.fullUrl && !ctx.byFullUrl.has(entry.fullUrl)) ctx.byFullUrl.set(entry.fullUrl, entry);
    if (typeof r.id === 'string' && !ctx.byTypeId.has(`${r.resourceType}/${r.id}`)) ctx.byTypeId.set(`${r.resourceType}/${r.id}`, entry);
    if (Array.isArray(r.identifier)) {
      for (const i of r.identifier as Array<{ system?: string; value?: string }>) {
        const key = `${r.resourceType}|${i.system ?? ''}|${i.value ?? ''}`;
        if (i.value && !ctx.byIdentifier.has(key)) ctx.byIdentifier.set(key, entry);
      }
    }
  }
  return ctx;
}

/** The id an entry is known by in its source system: its resource id, else its fullUrl. */
export function externalId(entry: ImportEntry): string | null {
  const id = (entry.resource as { id?: unknown }).id;
  if (typeof id === 'string' && id.length >= 1 && id.length <= 300) return id;
  return entry.fullUrl && entry.fullUrl.length <= 300 ? entry.fullUrl : null;
}

/** Reads the external_ref rows for these keys into the context (one query). */
export async function loadRefs(ctx: ImportContext, keys: Array<{ system: string; type: string; id: string }>): Promise<void> {
  const wanted = keys.filter((k) => !ctx.refs.has(refKey(k.system, k.type, k.id)));
  if (!wanted.length) return;
  const { rows } = await sql<{ system: string; resource_type: string; external_id: string; entity_id: string; content_hash: string | null }>`
    select r.system, r.resource_type, r.external_id, r.entity_id, r.content_hash
      from external_ref r
      join unnest(${wanted.map((k) => k.system)}::text[], ${wanted.map((k) => k.type)}::text[], ${wanted.map((k) => k.id)}::text[]) as w(system, resource_type, external_id)
        on r.system = w.system and r.resource_type = w.resource_type and r.external_id = w.external_id`.execute(ctx.scope.tx);
  for (const r of rows) ctx.refs.set(refKey(r.system, r.resource_type, r.external_id), { entityId: r.entity_id, hash: r.content_hash });
}

type ResolveOptions = { required: boolean };

/**
 * The Rapport id a reference points to, of one of `types`. A reference that names nothing Rapport
 * holds fails the entry when required and is null otherwise; a reference to an entry of the batch
 * that failed fails this one too (when required).
 */
export async function resolve(ctx: ImportContext, ref: Reference | undefined, types: readonly string[], path: string, options: ResolveOptions): Promise<string | null> {
  const text = referenceOf(ref);
  if (!text) return options.required ? fail(`${path} is required`) : null;
  if (text.startsWith('#')) return options.required ? fail(`${path} "${text}" points to a contained resource, which Rapport does not keep`) : null;
  const id = await resolveText(ctx, text, types, path);
  if (id === null && options.required) fail(`${path} "${text}" is neither in this bundle nor already in Rapport`, 'not-found');
  return id;
}

async function resolveText(ctx: ImportContext, text: string, types: readonly string[], path: string): Promise<string | null> {
  const inBatch = ctx.byFullUrl.get(text) ?? ctx.byTypeId.get(typeIdOf(text) ?? '') ?? conditionalInBatch(ctx, text);
  if (inBatch) {
    const type = (inBatch.resource as { resourceType: string }).resourceType;
    if (!types.includes(type)) fail(`${path} points to a ${type}, not a ${types.join(' or ')}`);
    const done = ctx.results.get(inBatch);
    if (done?.outcome === 'failed') fail(`${path} points to ${inBatch.where}, which could not be imported`);
    if (done?.entityId) return done.entityId;
    const ext = externalId(inBatch);
    return ext ? byRef(ctx, ctx.options.system, type, ext) : null;
  }
  const typeId = typeIdOf(text);
  if (typeId) {
    const [type, id] = typeId.split('/') as [string, string];
    if (!types.includes(type)) fail(`${path} points to a ${type}, not a ${types.join(' or ')}`);
    return (await byRef(ctx, ctx.options.system, type, id)) ?? ownRow(ctx, type, id);
  }
  const conditional = conditionalOf(text);
  if (conditional) {
    if (!types.includes(conditional.type)) fail(`${path} points to a ${conditional.type}, not a ${types.join(' or ')}`);
    return conditional.type === 'Patient' ? patientByIdentifier(ctx, conditional.system, conditional.value) : byRef(ctx, conditional.system, conditional.type, conditional.value);
  }
  return fail(`${path} "${text}" is not a reference Rapport can follow (urn:uuid, Type/id or Type?identifier=system|value)`);
}

/** `Type/id` of a relative or absolute literal reference (a version suffix is ignored). */
function typeIdOf(text: string): string | null {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(text);
  return m && !text.includes('?') ? `${m[1]}/${m[2]}` : null;
}

function conditionalOf(text: string): { type: string; system: string; value: string } | null {
  const m = /^([A-Z][A-Za-z]+)\?identifier=([^&]*)$/.exec(text);
  if (!m) return null;
  const token = decodeURIComponent(m[2]!);
  const bar = token.lastIndexOf('|');
  return bar > 0 ? { type: m[1]!, system: token.slice(0, bar), value: token.slice(bar + 1) } : null;
}

function conditionalInBatch(ctx: ImportContext, text: string): ImportEntry | undefined {
  const c = conditionalOf(text);
  return c ? ctx.byIdentifier.get(`${c.type}|${c.system}|${c.value}`) : undefined;
}

async function byRef(ctx: ImportContext, system: string, type: string, id: string): Promise<string | null> {
  const key = refKey(system, type, id);
  if (!ctx.refs.has(key) && !ctx.lookups.has(key)) {
    await loadRefs(ctx, [{ system, type, id }]);
    if (!ctx.refs.has(key)) ctx.lookups.set(key, null);
  }
  const found = ctx.refs.get(key)?.entityId ?? null;
  return found && type === 'Patient' ? livePatient(ctx, found) : found;
}

/** The tables whose row id is the FHIR API's resource id (src/modules/fhir/resources). */
const OWN_TABLES = { Practitioner: 'practitioner', Organization: 'organization', Encounter: 'encounter', Claim: 'claim' } as const;

/**
 * The tenant's own row of this type whose Rapport id is `id`, for a reference no imported resource
 * answers to. It is read through the tenant scope (row-level security, and the tenant named in the
 * query besides), so another clinic's id is simply not found. Source ids that are not UUIDs (and
 * Synthea's, which no Rapport row has) never get here or find nothing.
 */
async function ownRow(ctx: ImportContext, type: string, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  if (type === 'Patient') return livePatient(ctx, id);
  const table = OWN_TABLES[type as keyof typeof OWN_TABLES];
  if (!table) return null;
  const key = `own:${type}/${id}`;
  if (!ctx.lookups.has(key)) {
    const row = await ctx.scope.tx.selectFrom(table).select('id').where('tenant_id', '=', ctx.scope.tenantId).where('id', '=', id).executeTakeFirst();
    ctx.lookups.set(key, row?.id ?? null);
  }
  return ctx.lookups.get(key) ?? null;
}

async function patientByIdentifier(ctx: ImportContext, system: string, value: string): Promise<string | null> {
  const key = `Patient?${system}|${value}`;
  if (!ctx.lookups.has(key)) {
    const row = await ctx.scope.tx.selectFrom('patient_identifier').select('patient_id').where('system', '=', system).where('value', '=', value).executeTakeFirst();
    ctx.lookups.set(key, row ? await livePatient(ctx, row.patient_id) : null);
  }
  return ctx.lookups.get(key) ?? null;
}

/** The record a patient ended up in after merges (an imported row follows the survivor). */
export async function livePatient(ctx: ImportContext, id: string): Promise<string | null> {
  const key = `live:${id}`;
  if (ctx.lookups.has(key)) return ctx.lookups.get(key) ?? null;
  let current: string | null = id;
  for (let hop = 0; hop < 20 && current; hop++) {
    const row = await ctx.scope.tx.selectFrom('patient').select(['id', 'merged_into_id']).where('tenant_id', '=', ctx.scope.tenantId).where('id', '=', current).executeTakeFirst();
    if (!row) {
      current = null;
      break;
    }
    if (!row.merged_into_id) break;
    current = row.merged_into_id;
  }
  ctx.lookups.set(key, current);
  return current;
}

/** Notes a clinical row written for a patient, for the batch's audit record of that patient. */
export function touchPatient(ctx: ImportContext, patientId: string, type: string): void {
  const counts = ctx.touchedPatients.get(patientId) ?? {};
  counts[type] = (counts[type] ?? 0) + 1;
  ctx.touchedPatients.set(patientId, counts);
}

/** A reference that adds detail but is not needed: null when it names nothing Rapport holds, or something else. */
export async function resolveOptional(ctx: ImportContext, ref: Reference | undefined, types: readonly string[], path: string): Promise<string | null> {
  try {
    return await resolve(ctx, ref, types, path, { required: false });
  } catch (error) {
    if (error instanceof MappingFailure) return null;
    throw error;
  }
}
