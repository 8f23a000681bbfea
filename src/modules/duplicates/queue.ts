import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { conflict, notFound } from '../../server/errors.ts';
import { decodeCursor, encodeCursor } from '../../server/http/cursor.ts';
import type { PatientJson } from './merge-fields.ts';
import { actorUserId } from './merge-record.ts';
import { CLEAR_THRESHOLD, LIKELY_THRESHOLD, type MatchLevel, type MatchReason } from './score.ts';
import { isUuid } from '../../shared/ids.ts';

/**
 * The review queue: open pairs of live patients with both records side by side and the reasons
 * they were paired, best score first; dismissing a pair takes it out for good.
 */

export type PatientSide = {
  id: string;
  version: number;
  mrn: string | null;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  birthDate: string | null;
  sex: string | null;
  phone: string | null;
  email: string | null;
  addressLine: string | null;
  city: string | null;
  postalCode: string | null;
  lifecycleStatus: string;
  createdAt: string;
};

export type DuplicateCandidate = {
  id: string;
  score: number;
  level: MatchLevel;
  reasons: MatchReason[];
  status: 'open' | 'merged' | 'dismissed';
  detectedBy: string;
  detectedAt: string;
  patients: [PatientSide, PatientSide];
};

type Cursor = { s: string; id: string };

const iso = (v: unknown) => new Date(v as string).toISOString();
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

function side(p: PatientJson): PatientSide {
  return {
    id: p.id as string,
    version: p.version as number,
    mrn: str(p.mrn),
    givenName: p.given_name as string,
    familyName: p.family_name as string,
    preferredName: str(p.preferred_name),
    birthDate: str(p.birth_date),
    sex: str(p.sex),
    phone: str(p.phone),
    email: str(p.email),
    addressLine: str(p.address_line),
    city: str(p.city),
    postalCode: str(p.postal_code),
    lifecycleStatus: p.lifecycle_status as string,
    createdAt: iso(p.created_at),
  };
}

type CandidateRow = {
  id: string;
  score: string;
  reasons: MatchReason[];
  status: DuplicateCandidate['status'];
  detected_by: string;
  detected_at: Date;
  a: PatientJson;
  b: PatientJson;
};

/**
 * Candidates with both patients as rows, live ones only. Each patient is looked up per candidate in
 * a LATERAL subquery that cannot be flattened, so the plan starts from duplicate_candidate (by its
 * status and score index) even when PGlite has no statistics and believes `patient` is empty.
 */
function candidatesQuery(scope: TenantScope) {
  const side = (column: 'patient_a' | 'patient_b') =>
    sql<PatientJson>`(select to_jsonb(p) from patient p
      where p.id = ${sql.ref(`c.${column}`)} and p.archived_at is null and p.merged_into_id is null offset 0)`;
  return scope.tx
    .selectFrom((eb) =>
      eb
        .selectFrom('duplicate_candidate as c')
        .select(['c.id', 'c.score', 'c.reasons', 'c.status', 'c.detected_by', 'c.detected_at', 'c.patient_a', 'c.patient_b'])
        .select([side('patient_a').as('a'), side('patient_b').as('b')])
        .as('c'),
    )
    .selectAll('c');
}

function present(row: CandidateRow): DuplicateCandidate {
  const score = Number(row.score);
  return {
    id: row.id,
    score,
    level: score >= CLEAR_THRESHOLD ? 'clear' : score >= LIKELY_THRESHOLD ? 'likely' : 'none',
    reasons: row.reasons,
    status: row.status,
    detectedBy: row.detected_by,
    detectedAt: iso(row.detected_at),
    patients: [side(row.a), side(row.b)],
  };
}


/** Open pairs of live patients, best score first, one page at a time. */
export async function listDuplicateQueue(
  scope: TenantScope,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: DuplicateCandidate[]; nextCursor: string | null }> {
  let q = candidatesQuery(scope)
    .where('c.status', '=', 'open')
    .where('c.a', 'is not', null)
    .where('c.b', 'is not', null)
    .orderBy('c.score', 'desc')
    .orderBy('c.id')
    .limit(query.limit + 1);
  if (query.cursor) {
    const c = decodeCursor<Cursor>(query.cursor, (c) => typeof c.s === 'string' && /^[01](\.\d{1,4})?$/.test(c.s) && typeof c.id === 'string' && isUuid(c.id));
    q = q.where(sql<boolean>`(c.score < ${c.s}::numeric or (c.score = ${c.s}::numeric and c.id > ${c.id}::uuid))`);
  }
  const rows = (await q.execute()) as CandidateRow[];
  const page = rows.slice(0, query.limit).map(present);
  const last = rows.length > query.limit ? rows[query.limit - 1] : undefined;
  await scope.audit({
    action: 'duplicate.list',
    entityType: 'duplicate_candidate',
    detail: { returned: page.length, patientIds: page.flatMap((p) => p.patients.map((x) => x.id)) },
  });
  return { items: page, nextCursor: last ? encodeCursor({ s: last.score, id: last.id }) : null };
}

/** The open pairs one patient is part of (404 for a patient this tenant does not have). */
export async function patientDuplicates(scope: TenantScope, patientId: string): Promise<{ items: DuplicateCandidate[] }> {
  const exists = isUuid(patientId) ? await scope.tx.selectFrom('patient').select('id').where('id', '=', patientId).executeTakeFirst() : undefined;
  if (!exists) {
    await scope.audit({ action: 'patient.duplicates.read', entityType: 'patient', entityId: patientId, outcome: 'failure' });
    throw notFound('Patient');
  }
  const rows = (await candidatesQuery(scope)
    .where('c.status', '=', 'open')
    .where((eb) => eb.or([eb('c.patient_a', '=', patientId), eb('c.patient_b', '=', patientId)]))
    .where('c.a', 'is not', null)
    .where('c.b', 'is not', null)
    .orderBy('c.score', 'desc')
    .orderBy('c.id')
    .execute()) as CandidateRow[];
  const items = rows.map(present);
  await scope.audit({
    action: 'patient.duplicates.read',
    entityType: 'patient',
    entityId: patientId,
    patientId,
    detail: { returned: items.length },
  });
  return { items };
}

/** Takes a pair out of the queue for good (a scan will not reopen it); 409 unless it is open. */
export async function dismissDuplicate(scope: TenantScope, candidateId: string): Promise<DuplicateCandidate> {
  const row = isUuid(candidateId)
    ? await scope.tx.selectFrom('duplicate_candidate').select(['id', 'status', 'patient_a', 'patient_b']).where('id', '=', candidateId).forUpdate().executeTakeFirst()
    : undefined;
  if (!row) throw notFound('Duplicate candidate');
  if (row.status !== 'open') throw conflict(`This pair is not open for review: it was already ${row.status}.`);
  await scope.tx
    .updateTable('duplicate_candidate')
    .set({ status: 'dismissed', resolved_at: sql`now()`, resolved_by: actorUserId(scope) })
    .where('id', '=', row.id)
    .execute();
  for (const patientId of [row.patient_a, row.patient_b]) {
    await scope.audit({ action: 'duplicate.dismiss', entityType: 'duplicate_candidate', entityId: row.id, patientId });
  }
  return present((await candidatesQuery(scope).where('c.id', '=', row.id).executeTakeFirstOrThrow()) as CandidateRow);
}
