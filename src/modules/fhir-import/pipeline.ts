import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { carePlanMapper } from './care-plan.ts';
import { claimMapper } from './claim.ts';
import { conditionMapper } from './condition.ts';
import { nonConformance, r4Errors } from './conformance.ts';
import { externalId, loadRefs, newContext, refKey, type ImportContext } from './context.ts';
import { encounterMapper } from './encounter.ts';
import { importExplanationsOfBenefit } from './explanation-of-benefit.ts';
import { immunizationMapper } from './immunization.ts';
import { medicationRequestMapper } from './medication-request.ts';
import { organizationMapper } from './organization.ts';
import { importPatients } from './patient-write.ts';
import { practitionerMapper } from './practitioner.ts';
import { R4_RESOURCE_TYPES } from './resource-types.ts';
import { importTable, refKeysOf, type TableMapper } from './table-phase.ts';
import type { EntryResult, ImportEntry, ImportOptions, ImportUnit } from './types.ts';
import { contentHash } from './values.ts';

/**
 * The import of a batch of units in the scope's transaction. Every entry of a kept type is first
 * checked against its R4 definition (conformance.ts), as the FHIR API checks what it is sent; one
 * that does not conform fails with the validator's reason. Resource types go in dependency order
 * (organizations and practitioners, patients, encounters, then what refers to them), each type in
 * a few statements for the whole batch. The batch runs inside a savepoint: a unit that must be all
 * or nothing (a transaction bundle) and had a bad entry is taken out and the batch run again
 * without it; an error the database raises for a value falls back to one unit at a time, so only
 * the unit at fault fails. A dry run rolls the savepoint back at the end.
 */

type Phase = { type: string; run: (ctx: ImportContext, entries: ImportEntry[]) => Promise<void>; mapper?: TableMapper };

const table = (mapper: TableMapper): Phase => ({ type: mapper.type, mapper, run: (ctx, entries) => importTable(ctx, mapper, entries) });

const PHASES: Phase[] = [
  table(organizationMapper),
  table(practitionerMapper),
  { type: 'Patient', run: importPatients },
  table(encounterMapper),
  table(conditionMapper),
  table(immunizationMapper),
  table(medicationRequestMapper),
  table(carePlanMapper),
  table(claimMapper),
  { type: 'ExplanationOfBenefit', run: importExplanationsOfBenefit },
];

/** Resource types Rapport keeps, in the order they are imported. */
export const KEPT_TYPES: readonly string[] = PHASES.map((p) => p.type);
export const NOT_KEPT_REASON = 'not kept by Rapport';

export async function importUnits(scope: TenantScope, units: ImportUnit[], options: ImportOptions): Promise<EntryResult[]> {
  if (!units.length) return [];
  await sql`savepoint fhir_import`.execute(scope.tx);
  let results: EntryResult[];
  try {
    results = await importBatch(scope, units, options);
  } catch (error) {
    await sql`rollback to savepoint fhir_import`.execute(scope.tx);
    if (!isDataError(error)) throw error;
    await sql`release savepoint fhir_import`.execute(scope.tx);
    if (units.length > 1) return oneByOne(scope, units, options);
    const reason = `could not be stored: the database refused one of its values${constraintOf(error)}`;
    return units[0]!.entries.map((entry) => ({ entry, type: typeOf(entry), outcome: 'failed', reason }));
  }
  // A unit none of whose entries got in wrote nothing (one turned away before mapping is already all failed).
  const spoiled = units.filter(
    (u) => u.atomic && u.entries.length > 1 && results.some((r) => r.outcome === 'failed' && u.entries.includes(r.entry)) && results.some((r) => r.outcome !== 'failed' && u.entries.includes(r.entry)),
  );
  if (spoiled.length) {
    await sql`rollback to savepoint fhir_import`.execute(scope.tx);
    await sql`release savepoint fhir_import`.execute(scope.tx);
    const kept = await importUnits(scope, units.filter((u) => !spoiled.includes(u)), options);
    return [...kept, ...spoiled.flatMap((u) => notStored(u, results))];
  }
  await sql.raw(options.dryRun ? 'rollback to savepoint fhir_import' : 'release savepoint fhir_import').execute(scope.tx);
  if (options.dryRun) await sql`release savepoint fhir_import`.execute(scope.tx);
  return results;
}

async function oneByOne(scope: TenantScope, units: ImportUnit[], options: ImportOptions): Promise<EntryResult[]> {
  const out: EntryResult[] = [];
  for (const unit of units) out.push(...(await importUnits(scope, [unit], options)));
  return out;
}

/** A unit rolled back because of its bad entries: those keep their reason, the others say why they were not stored. */
function notStored(unit: ImportUnit, results: EntryResult[]): EntryResult[] {
  const bad = results.filter((r) => r.outcome === 'failed' && unit.entries.includes(r.entry));
  const names = bad.map((r) => r.entry.where).join(', ');
  return unit.entries.map((entry) => {
    const own = bad.find((r) => r.entry === entry);
    return own ?? { entry, type: typeOf(entry), outcome: 'failed', reason: `not stored: ${unit.label} is all or nothing and ${names} failed` };
  });
}

async function importBatch(scope: TenantScope, units: ImportUnit[], options: ImportOptions): Promise<EntryResult[]> {
  const entries = units.flatMap((u) => u.entries);
  const ctx = newContext(scope, options, entries);
  const byType = new Map<string, ImportEntry[]>();
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem) {
      ctx.results.set(entry, { entry, type: typeOf(entry), ...problem });
      continue;
    }
    const type = typeOf(entry);
    byType.set(type, [...(byType.get(type) ?? []), entry]);
  }
  await loadRefs(ctx, [
    ...PHASES.flatMap((p) => (p.mapper ? refKeysOf(ctx, p.mapper, byType.get(p.type) ?? []) : [])),
    ...['Patient', 'ExplanationOfBenefit'].flatMap((type) =>
      (byType.get(type) ?? []).flatMap((e) => {
        const id = externalId(e);
        return id ? [{ system: options.system, type, id }] : [];
      }),
    ),
  ]);
  rejectNonConforming(ctx, units, byType);
  for (const phase of PHASES) {
    const list = byType.get(phase.type);
    if (list?.length) await phase.run(ctx, list);
  }
  if (ctx.touchedPatients.size) {
    await scope.audit(
      [...ctx.touchedPatients].map(([patientId, counts]) => ({ action: 'patient.import', entityType: 'patient', entityId: patientId, patientId, detail: { source: 'fhir', records: counts } })),
    );
  }
  return entries.map((entry) => ctx.results.get(entry) ?? { entry, type: typeOf(entry), outcome: 'failed', reason: 'was not processed' });
}

/**
 * Fails every entry that does not conform to its R4 definition, with the validator's reason, before
 * anything is written; content already imported unchanged (same external_ref hash) was judged when
 * it came in and is not checked again. An all-or-nothing unit with an entry failed so far is taken
 * out whole here, its other entries "not stored", so the batch need not be run again without it.
 */
function rejectNonConforming(ctx: ImportContext, units: ImportUnit[], byType: Map<string, ImportEntry[]>): void {
  for (const [type, list] of byType) {
    for (const entry of list) {
      if (unchangedSinceImport(ctx, type, entry)) continue;
      const errors = r4Errors(entry.resource);
      if (errors.length) ctx.results.set(entry, { entry, type, outcome: 'failed', reason: nonConformance(errors) });
    }
  }
  const failed = [...ctx.results.values()].filter((r) => r.outcome === 'failed');
  if (!failed.length) return;
  const out = new Set(failed.map((r) => r.entry));
  for (const unit of units) {
    if (!unit.atomic || unit.entries.length < 2 || !unit.entries.some((e) => out.has(e))) continue;
    for (const result of notStored(unit, failed)) {
      ctx.results.set(result.entry, result);
      out.add(result.entry);
    }
  }
  for (const [type, list] of byType) byType.set(type, list.filter((e) => !out.has(e)));
}

function unchangedSinceImport(ctx: ImportContext, type: string, entry: ImportEntry): boolean {
  const id = externalId(entry);
  const known = id ? ctx.refs.get(refKey(ctx.options.system, type, id)) : undefined;
  return known !== undefined && known.hash === contentHash(entry.resource);
}

/** Why an entry is not imported before any mapping: not a resource, an unknown type, or a type Rapport does not keep. */
function entryProblem(entry: ImportEntry): Pick<EntryResult, 'outcome' | 'reason'> | null {
  const type = (entry.resource as { resourceType?: unknown }).resourceType;
  if (type === '(no resource)') return { outcome: 'failed', reason: 'has no resource' };
  if (typeof type === 'string' && /^\((\w+) request\)$/.test(type)) return { outcome: 'failed', reason: `is a ${type.slice(1, -9)} request; only POST and PUT entries are imported` };
  if (typeof type !== 'string') return { outcome: 'failed', reason: 'not a FHIR resource: it has no resourceType' };
  if (!R4_RESOURCE_TYPES.has(type)) return { outcome: 'failed', reason: `unknown resourceType "${type}" (not a FHIR R4 resource type)` };
  if (!KEPT_TYPES.includes(type)) return { outcome: 'skipped', reason: NOT_KEPT_REASON };
  const id = (entry.resource as { id?: unknown }).id;
  if (id !== undefined && (typeof id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(id))) return { outcome: 'failed', reason: `${type}.id "${String(id)}" is not a FHIR id` };
  return null;
}

function typeOf(entry: ImportEntry): string {
  const type = (entry.resource as { resourceType?: unknown }).resourceType;
  return typeof type === 'string' && R4_RESOURCE_TYPES.has(type) ? type : typeof type === 'string' && !type.startsWith('(') ? type : '(none)';
}

/** Data exceptions and integrity violations (SQLSTATE classes 22 and 23) come from a value of the data. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

function constraintOf(error: unknown): string {
  const constraint = (error as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' ? ` (${constraint})` : '';
}
