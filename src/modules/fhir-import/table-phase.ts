import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { DB } from '../../server/db/types.ts';
import { externalId, refKey, touchPatient, type ImportContext, type KnownRef } from './context.ts';
import type { EntryResult, ImportEntry } from './types.ts';
import { contentHash, failureCodeOf, MappingFailure, MappingSkip } from './values.ts';

/**
 * The import of one resource type into one table, for every entry of a batch at once: each entry is
 * found through external_ref (its id, or an identifier that names the same row), compared by content
 * hash, mapped, and then all new rows go in with one multi-row insert and changed rows are updated
 * in place. This is what keeps an import fast (a few statements per batch, not per resource) and
 * idempotent (the same resource again changes nothing).
 */

export type TableName = 'organization' | 'practitioner' | 'encounter' | 'immunization' | 'condition' | 'patient_medication' | 'care_plan' | 'claim';
export type Row = Record<string, unknown>;
export type Written = { id: string; row: Row; entry: ImportEntry; isNew: boolean };

export type TableMapper = {
  type: string;
  table: TableName;
  /** The row's columns, without tenant_id and id. Throws MappingFailure or MappingSkip. */
  map(resource: Resource, ctx: ImportContext): Promise<Row>;
  /** Other names of the same row: identifiers such as a practitioner's NPI (system, value). */
  aliases?(resource: Resource): Array<{ system: string; value: string }>;
  /** Runs before the rows are written (a condition's tag is looked up or created here). */
  beforeWrite?(ctx: ImportContext, written: Written[]): Promise<void>;
  /** Runs after the rows are written (timeline events, tags, links). */
  afterWrite?(ctx: ImportContext, written: Written[]): Promise<void>;
};

const WITHOUT_UPDATED_AT = new Set<TableName>(['immunization', 'practitioner']);
const INSERT_CHUNK = 500;

type RefWrite = { system: string; type: string; id: string; entityId: string; hash: string };

/** The external_ref keys a mapper's entries are known by, to read them all before the phase. */
export function refKeysOf(ctx: ImportContext, mapper: TableMapper, entries: ImportEntry[]) {
  return entries.flatMap((entry) => {
    const id = externalId(entry);
    const aliases = mapper.aliases?.(entry.resource) ?? [];
    return [...(id ? [{ system: ctx.options.system, type: mapper.type, id }] : []), ...aliases.map((a) => ({ system: a.system, type: mapper.type, id: a.value }))];
  });
}

export async function importTable(ctx: ImportContext, mapper: TableMapper, entries: ImportEntry[]): Promise<void> {
  const written: Written[] = [];
  const refWrites: RefWrite[] = [];
  for (const entry of entries) {
    const id = externalId(entry);
    const keys = [
      ...(id ? [{ system: ctx.options.system, id }] : []),
      ...(mapper.aliases?.(entry.resource) ?? []).map((a) => ({ system: a.system, id: a.value })),
    ];
    const known = keys.map((k) => ctx.refs.get(refKey(k.system, mapper.type, k.id))).find((r): r is KnownRef => Boolean(r));
    const hash = contentHash(entry.resource);
    const done = (result: Omit<EntryResult, 'entry' | 'type'>) => ctx.results.set(entry, { entry, type: mapper.type, ...result });
    const remember = (entityId: string) => {
      for (const k of keys) {
        const current = ctx.refs.get(refKey(k.system, mapper.type, k.id));
        if (current?.entityId === entityId && current.hash === hash) continue;
        ctx.refs.set(refKey(k.system, mapper.type, k.id), { entityId, hash });
        refWrites.push({ system: k.system, type: mapper.type, id: k.id, entityId, hash });
      }
    };
    if (known && known.hash === hash) {
      done({ outcome: 'unchanged', entityId: known.entityId });
      remember(known.entityId);
      continue;
    }
    let row: Row;
    try {
      row = await mapper.map(entry.resource, ctx);
    } catch (error) {
      if (error instanceof MappingSkip) done({ outcome: 'skipped', reason: error.message });
      else if (error instanceof MappingFailure) done({ outcome: 'failed', reason: error.message, ...failureCodeOf(error) });
      else throw error;
      continue;
    }
    const entityId = known?.entityId ?? randomUUID();
    written.push({ id: entityId, row, entry, isNew: !known });
    done({ outcome: known ? 'updated' : 'created', entityId });
    remember(entityId);
  }
  await mapper.beforeWrite?.(ctx, written);
  await writeRows(ctx, mapper.table, written);
  await mapper.afterWrite?.(ctx, written);
  await writeRefs(ctx, refWrites);
}

async function writeRows(ctx: ImportContext, table: TableName, written: Written[]): Promise<void> {
  const tx = ctx.scope.tx;
  // A row met twice in one batch (the same organization in two bundles) is inserted once, then updated.
  const firstInsert = new Map<string, Written>();
  const updates: Written[] = [];
  for (const w of written) {
    if (w.isNew && !firstInsert.has(w.id)) firstInsert.set(w.id, w);
    else updates.push(w);
  }
  const inserts = [...firstInsert.values()].map((w) => ({ ...w.row, tenant_id: ctx.scope.tenantId, id: w.id }));
  for (let i = 0; i < inserts.length; i += INSERT_CHUNK) {
    await tx.insertInto(table).values(inserts.slice(i, i + INSERT_CHUNK) as never).execute();
  }
  for (const w of updates) {
    const set = WITHOUT_UPDATED_AT.has(table) ? w.row : { ...w.row, updated_at: ctx.options.now };
    await tx.updateTable(table as keyof DB).set(set as never).where('id' as never, '=', w.id as never).execute();
  }
  for (const w of written) {
    if (typeof w.row.patient_id === 'string') touchPatient(ctx, w.row.patient_id, (w.entry.resource as { resourceType: string }).resourceType);
  }
}

/** Upserts external_ref rows (deduplicated: one statement may not touch a row twice). */
export async function writeRefs(ctx: ImportContext, refs: RefWrite[]): Promise<void> {
  const unique = new Map(refs.map((r) => [refKey(r.system, r.type, r.id), r]));
  const rows = [...unique.values()].map((r) => ({
    tenant_id: ctx.scope.tenantId,
    system: r.system,
    resource_type: r.type,
    external_id: r.id,
    entity_id: r.entityId,
    content_hash: r.hash,
    created_at: ctx.options.now,
    updated_at: ctx.options.now,
  }));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await ctx.scope.tx
      .insertInto('external_ref')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'system', 'resource_type', 'external_id']).doUpdateSet((eb) => ({
          entity_id: eb.ref('excluded.entity_id'),
          content_hash: eb.ref('excluded.content_hash'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}
