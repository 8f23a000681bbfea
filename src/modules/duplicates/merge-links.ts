import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { conflict } from '../../server/errors.ts';
import { PATIENT_REFERENCES, type PatientReference } from '../patients/references.ts';

/**
 * Moving what points at a patient, driven by PATIENT_REFERENCES so a module that registers a new
 * table is followed without changing the merge. Each moved row is recorded by its key, so an undo
 * moves back exactly those rows. A row stays with the merged record when moving it would break a
 * uniqueness rule (the survivor already has the same tag) or make it point at the survivor twice
 * (a household link between the two records being merged).
 */

export type RowKey = Record<string, unknown>;
export type MovedRow = { table: string; column: string; key: RowKey };
export type StayedRow = MovedRow & { reason: 'already_on_survivor' | 'links_the_two_records' };

const uniq = <T>(xs: T[]) => [...new Set(xs)];
const tuple = (row: RowKey, columns: readonly string[]) => JSON.stringify(columns.map((c) => row[c]));
const CHUNK = 500;

function referenceOf(table: string, column: string): PatientReference {
  const ref = PATIENT_REFERENCES.find((r) => r.table === table && r.column === column);
  if (!ref) throw conflict(`The merge moved rows of ${table}.${column}, which no longer points at patients.`);
  return ref;
}

/** The condition naming these rows by their key (the patient column itself is matched separately). */
function keyCondition(ref: PatientReference, keys: RowKey[]) {
  const columns = ref.key.filter((c) => c !== ref.column);
  if (columns.length === 0) throw new Error(`PATIENT_REFERENCES ${ref.table}.${ref.column}: the key must name more than the patient column`);
  if (columns.length === 1) {
    const c = columns[0]!;
    return sql`${sql.ref(c)} in (${sql.join(keys.map((k) => sql`${k[c]}`))})`;
  }
  return sql`(${sql.join(
    keys.map((k) => sql`(${sql.join(columns.map((c) => sql`${sql.ref(c)} = ${k[c]}`), sql` and `)})`),
    sql` or `,
  )})`;
}

/** Points the given rows from one patient to another; returns how many rows it changed. */
async function repoint(scope: TenantScope, ref: PatientReference, keys: RowKey[], from: string, to: string): Promise<number> {
  let changed = 0;
  for (let i = 0; i < keys.length; i += CHUNK) {
    const { rows } = await sql<{ one: number }>`
      update ${sql.table(ref.table)} set ${sql.ref(ref.column)} = ${to}
       where ${sql.ref(ref.column)} = ${from} and ${keyCondition(ref, keys.slice(i, i + CHUNK))}
       returning 1 as one`.execute(scope.tx);
    changed += rows.length;
  }
  return changed;
}

/** Moves every row pointing at `mergedId` to `survivorId`, except those that must stay. */
export async function moveReferences(
  scope: TenantScope,
  survivorId: string,
  mergedId: string,
): Promise<{ moved: MovedRow[]; stayed: StayedRow[] }> {
  const moved: MovedRow[] = [];
  const stayed: StayedRow[] = [];
  for (const ref of PATIENT_REFERENCES) {
    const siblings = PATIENT_REFERENCES.filter((r) => r.table === ref.table && r.column !== ref.column).map((r) => r.column);
    const unique = ref.unique ?? [];
    const columns = uniq([...ref.key, ...unique, ...siblings]);
    const { rows } = await sql<RowKey>`
      select ${sql.join(columns.map((c) => sql.ref(c)))} from ${sql.table(ref.table)}
       where ${sql.ref(ref.column)} = ${mergedId}`.execute(scope.tx);
    if (rows.length === 0) continue;
    let taken = new Set<string>();
    if (unique.length) {
      const onSurvivor = await sql<RowKey>`
        select ${sql.join(unique.map((c) => sql.ref(c)))} from ${sql.table(ref.table)}
         where ${sql.ref(ref.column)} = ${survivorId}`.execute(scope.tx);
      taken = new Set(onSurvivor.rows.map((r) => tuple(r, unique)));
    }
    const moving: RowKey[] = [];
    for (const row of rows) {
      const key = Object.fromEntries(ref.key.map((c) => [c, row[c]]));
      const entry = { table: ref.table, column: ref.column, key };
      if (siblings.some((c) => row[c] === survivorId)) stayed.push({ ...entry, reason: 'links_the_two_records' });
      else if (unique.length && taken.has(tuple(row, unique))) stayed.push({ ...entry, reason: 'already_on_survivor' });
      else {
        moving.push(key);
        moved.push(entry);
      }
    }
    if (moving.length) await repoint(scope, ref, moving, mergedId, survivorId);
  }
  return { moved, stayed };
}

/**
 * Moves the rows a merge moved back to the merged record. Refuses (409, naming the table) when any
 * of them no longer points at the survivor, since the records could then not be restored as they were.
 */
export async function restoreReferences(scope: TenantScope, moved: MovedRow[], survivorId: string, mergedId: string): Promise<void> {
  const groups = new Map<string, MovedRow[]>();
  for (const row of moved) groups.set(`${row.table}.${row.column}`, [...(groups.get(`${row.table}.${row.column}`) ?? []), row]);
  for (const rows of [...groups.values()].reverse()) {
    const ref = referenceOf(rows[0]!.table, rows[0]!.column);
    const back = await repoint(scope, ref, rows.map((r) => r.key), survivorId, mergedId);
    if (back !== rows.length) {
      throw conflict(
        `This merge cannot be undone: ${rows.length - back} of the ${rows.length} ${ref.table} row(s) it moved no longer belong to the surviving record.`,
      );
    }
  }
}
