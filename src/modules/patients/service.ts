import { sql } from 'kysely';
import { badRequest, conflict, notFound } from '../../server/errors.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import type { NewPatientBody, PatientListQuery, PatientSummary } from './schema.ts';

type Cursor = { f: string; g: string; id: string };

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.f === 'string' && typeof c.g === 'string' && typeof c.id === 'string') return c;
  } catch {
    // fall through
  }
  throw badRequest('The cursor is not one this API issued.', [{ path: 'querystring.cursor', message: 'is not valid' }]);
}

function summaryQuery(scope: TenantScope) {
  return scope.tx
    .selectFrom('patient as p')
    .select((eb) => [
      'p.id',
      'p.mrn',
      'p.given_name',
      'p.family_name',
      'p.preferred_name',
      'p.birth_date',
      'p.sex',
      'p.phone',
      'p.email',
      'p.lifecycle_status',
      eb
        .selectFrom('appointment as a')
        .select((a) => a.fn.max('a.starts_at').as('x'))
        .whereRef('a.patient_id', '=', 'p.id')
        .where('a.status', '=', 'fulfilled')
        .as('last_visit_at'),
      eb
        .selectFrom('appointment as a')
        .select((a) => a.fn.min('a.starts_at').as('x'))
        .whereRef('a.patient_id', '=', 'p.id')
        .where('a.status', '=', 'booked')
        .where('a.starts_at', '>=', sql<Date>`now()`)
        .as('next_appointment_at'),
    ])
    .where('p.archived_at', 'is', null);
}

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaryQuery>['executeTakeFirstOrThrow']>>;

function toSummary(row: SummaryRow): PatientSummary {
  const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
  return {
    id: row.id,
    mrn: row.mrn,
    givenName: row.given_name,
    familyName: row.family_name,
    preferredName: row.preferred_name,
    birthDate: row.birth_date,
    sex: row.sex,
    phone: row.phone,
    email: row.email,
    lifecycleStatus: row.lifecycle_status,
    lastVisitAt: iso(row.last_visit_at),
    nextAppointmentAt: iso(row.next_appointment_at),
  };
}

/** Patients in name order, optionally narrowed by a name, phone, email or MRN fragment. */
export async function listPatients(
  scope: TenantScope,
  query: PatientListQuery,
): Promise<{ items: PatientSummary[]; nextCursor: string | null }> {
  let q = summaryQuery(scope)
    .orderBy(sql`lower(p.family_name)`)
    .orderBy(sql`lower(p.given_name)`)
    .orderBy('p.id')
    .limit(query.limit + 1);
  if (query.q) {
    const term = `%${query.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const digits = query.q.replace(/\D/g, '');
    q = q.where((eb) =>
      eb.or([
        eb(sql`lower(p.given_name || ' ' || p.family_name)`, 'like', term),
        eb(sql`lower(p.family_name || ', ' || p.given_name)`, 'like', term),
        eb(sql`lower(coalesce(p.preferred_name, ''))`, 'like', term),
        eb(sql`lower(coalesce(p.email, ''))`, 'like', term),
        eb(sql`lower(coalesce(p.mrn, ''))`, 'like', term),
        ...(digits.length >= 3
          ? [eb(sql`regexp_replace(coalesce(p.phone, ''), '\\D', '', 'g')`, 'like', `%${digits}%`)]
          : []),
      ]),
    );
  }
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    q = q.where(
      sql<boolean>`(lower(p.family_name), lower(p.given_name), p.id) > (${c.f}, ${c.g}, ${c.id}::uuid)`,
    );
  }
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor =
    rows.length > query.limit && last
      ? encodeCursor({ f: last.family_name.toLowerCase(), g: last.given_name.toLowerCase(), id: last.id })
      : null;
  await scope.audit({
    action: 'patient.search',
    entityType: 'patient',
    detail: { returned: page.length, patientIds: page.map((p) => p.id), searched: Boolean(query.q) },
  });
  return { items: page.map(toSummary), nextCursor };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One patient, or not-found (also for another tenant's patient: row-level security hides it). */
export async function getPatient(scope: TenantScope, id: string): Promise<PatientSummary> {
  const row = UUID.test(id) ? await summaryQuery(scope).where('p.id', '=', id).executeTakeFirst() : undefined;
  if (!row) {
    await scope.audit({ action: 'patient.read', entityType: 'patient', entityId: id, outcome: 'failure' });
    throw notFound('Patient');
  }
  await scope.audit({ action: 'patient.read', entityType: 'patient', entityId: id, patientId: id });
  return toSummary(row);
}

export async function registerPatient(scope: TenantScope, body: NewPatientBody): Promise<PatientSummary> {
  if (body.mrn) {
    const taken = await scope.tx.selectFrom('patient').select('id').where('mrn', '=', body.mrn).executeTakeFirst();
    if (taken) throw conflict(`MRN ${body.mrn} already belongs to another patient.`);
  }
  const row = await scope.tx
    .insertInto('patient')
    .values({
      tenant_id: scope.tenantId,
      given_name: body.givenName,
      family_name: body.familyName,
      preferred_name: body.preferredName ?? null,
      birth_date: body.birthDate ?? null,
      sex: body.sex ?? null,
      mrn: body.mrn ?? null,
      phone: body.phone ?? null,
      email: body.email?.toLowerCase() ?? null,
      language: body.language ?? null,
      ...(body.lifecycleStatus ? { lifecycle_status: body.lifecycleStatus } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'patient.create', entityType: 'patient', entityId: row.id, patientId: row.id });
  const created = await summaryQuery(scope).where('p.id', '=', row.id).executeTakeFirstOrThrow();
  return toSummary(created);
}
