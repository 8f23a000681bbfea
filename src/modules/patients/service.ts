import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { uniqueViolation } from '../../server/db/errors.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, conflict, notFound } from '../../server/errors.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { emitWebhookEvent } from '../webhooks/events.ts';
import { diffSnapshots, editableSnapshot, loadPatientRecord } from './record.ts';
import { summaryQuery, toSummary } from './list.ts';
import type { NewPatientBody, PatientRecord, PatientSummary, PatientUpdateBody } from './schema.ts';
import { validatePatientWrite, type ValidPatientWrite } from './validate.ts';
import { isUuid } from '../../shared/ids.ts';


/** Reads one patient and audits the read; not found (also another tenant's patient) is audited as a failure. */
export async function getPatient(scope: TenantScope, id: string, now: Date): Promise<PatientRecord> {
  const record = isUuid(id) ? await loadPatientRecord(scope, id, now) : undefined;
  if (!record) {
    await scope.audit({ action: 'patient.read', entityType: 'patient', entityId: id, outcome: 'failure' });
    throw notFound('Patient');
  }
  await scope.audit({ action: 'patient.read', entityType: 'patient', entityId: id, patientId: id });
  return record;
}

/** Loads a patient that a write is about to change, locking the row; refuses archived or merged ones. */
async function lockPatient(scope: TenantScope, id: string, action: string) {
  const row = isUuid(id)
    ? await scope.tx.selectFrom('patient').select(['id', 'version', 'lifecycle_status', 'archived_at', 'merged_into_id']).where('id', '=', id).forUpdate().executeTakeFirst()
    : undefined;
  if (!row) {
    await scope.audit({ action, entityType: 'patient', entityId: id, outcome: 'failure' });
    throw notFound('Patient');
  }
  return row;
}

export type RegisterOptions = {
  now: Date;
  /** Looks for likely duplicates of the new record; a clear one stops the create unless confirmed. */
  findDuplicates?: DuplicateCheck;
};

/** What patient registration needs from duplicate detection (kept abstract so import can reuse it). */
export type DuplicateCheck = {
  find(scope: TenantScope, write: ValidPatientWrite): Promise<Array<{ patientId: string; level: 'clear' | 'likely' | 'none'; score: number; reasons: unknown[] }>>;
  record(scope: TenantScope, patientId: string, matches: Array<{ patientId: string; level: string; score: number; reasons: unknown[] }>): Promise<void>;
};

/** Registers a patient: validates everything, refuses a clear duplicate unless confirmed, writes history. */
export async function registerPatient(
  scope: TenantScope,
  body: NewPatientBody,
  options: RegisterOptions,
): Promise<{ patient: PatientRecord; possibleDuplicates: string[] }> {
  const write = await validatePatientWrite(scope, body, 'create');
  const matches = options.findDuplicates ? await options.findDuplicates.find(scope, write) : [];
  const clear = matches.filter((m) => m.level === 'clear');
  if (clear.length && !body.confirmNotDuplicate) {
    await scope.audit({ action: 'patient.create', entityType: 'patient', outcome: 'denied', detail: { reason: 'possible_duplicate', matches: clear.map((m) => m.patientId) } });
    const rows = await summaryQuery(scope, options.now).where('p.id', 'in', clear.map((m) => m.patientId)).execute();
    const lines = new Map(rows.map((r) => [r.id, toSummary(r)]));
    throw possibleDuplicate(clear.map((m) => ({ ...m, patient: lines.get(m.patientId) ?? null })));
  }

  const id = randomUUID();
  await insertOrConflict(async () => {
    await scope.tx
      .insertInto('patient')
      .values({
        ...write.columns,
        tenant_id: scope.tenantId,
        id,
        given_name: write.columns.given_name!,
        family_name: write.columns.family_name!,
        custom_fields: JSON.stringify(dropNulls(write.customFields ?? {})),
        created_at: options.now,
        updated_at: options.now,
      })
      .execute();
    await writeSidecars(scope, id, write);
  });

  const record = (await loadPatientRecord(scope, id, options.now))!;
  await writeHistory(scope, id, {}, editableSnapshot(record, write.columns.lifecycle_status ?? 'active'), options.now, 'created');
  const likely = matches.filter((m) => m.level !== 'none');
  if (likely.length && options.findDuplicates) await options.findDuplicates.record(scope, id, likely);
  await scope.audit({ action: 'patient.create', entityType: 'patient', entityId: id, patientId: id });
  await emitWebhookEvent(scope, { type: 'patient.created', data: { patientId: id, version: record.version }, occurredAt: options.now });
  return { patient: record, possibleDuplicates: likely.map((m) => m.patientId) };
}

/** Changes a patient: validates, refuses a stale version, and writes who changed which field from what to what. */
export async function updatePatient(
  scope: TenantScope,
  id: string,
  body: PatientUpdateBody,
  now: Date,
): Promise<PatientRecord> {
  const current = await lockPatient(scope, id, 'patient.update');
  if (current.merged_into_id) throw conflict('This patient was merged into another record; edit the surviving record instead.');
  if (body.version !== undefined && body.version !== current.version) {
    throw new AppError(409, 'version_conflict', `The patient changed since you read it (you have version ${body.version}, it is now ${current.version}). Reload and try again.`);
  }
  const write = await validatePatientWrite(scope, body, 'update');
  const before = editableSnapshot((await loadPatientRecord(scope, id, now))!, current.lifecycle_status);

  await insertOrConflict(async () => {
    await scope.tx
      .updateTable('patient')
      .set({
        ...write.columns,
        ...(write.customFields && Object.keys(write.customFields).length
          ? { custom_fields: sql`(custom_fields || ${JSON.stringify(write.customFields)}::jsonb) - ${nullKeys(write.customFields)}::text[]` as never }
          : {}),
        updated_at: now,
        version: sql`version + 1` as never,
      })
      .where('id', '=', id)
      .execute();
    await writeSidecars(scope, id, write);
  });

  const after = (await loadPatientRecord(scope, id, now))!;
  const changed = await writeHistory(scope, id, before, editableSnapshot(after, write.columns.lifecycle_status ?? current.lifecycle_status), now, 'changed');
  if (changed === 0) {
    // Nothing actually changed: keep the version as it was, so a no-op save does not conflict with others.
    await scope.tx.updateTable('patient').set({ version: current.version }).where('id', '=', id).execute();
    after.version = current.version;
  }
  await scope.audit({ action: 'patient.update', entityType: 'patient', entityId: id, patientId: id, detail: { fields: changed } });
  if (changed) await emitWebhookEvent(scope, { type: 'patient.updated', data: { patientId: id, version: after.version, changedFields: diffSnapshots(before, editableSnapshot(after, write.columns.lifecycle_status ?? current.lifecycle_status)).map((c) => c.field) }, occurredAt: now });
  return after;
}

/** Archives (or with `archived: false` restores) a patient; the record stays, out of lists and search. */
export async function setPatientArchived(
  scope: TenantScope,
  id: string,
  input: { archived: boolean; reason?: string | undefined },
  now: Date,
): Promise<PatientRecord> {
  const action = input.archived ? 'patient.archive' : 'patient.restore';
  const current = await lockPatient(scope, id, action);
  if (current.merged_into_id) throw conflict('This patient was merged into another record; undo the merge to restore it.');
  if (Boolean(current.archived_at) === input.archived) {
    throw conflict(input.archived ? 'The patient is already archived.' : 'The patient is not archived.');
  }
  await scope.tx
    .updateTable('patient')
    .set({ archived_at: input.archived ? now : null, updated_at: now, version: sql`version + 1` as never })
    .where('id', '=', id)
    .execute();
  await writeHistory(scope, id, { archived: !input.archived }, { archived: input.archived }, now, input.archived ? 'archived' : 'restored', input.reason);
  await scope.audit({ action, entityType: 'patient', entityId: id, patientId: id, detail: input.reason ? { reason: input.reason } : undefined });
  await emitWebhookEvent(scope, { type: 'patient.updated', data: { patientId: id, version: current.version + 1, changedFields: ['archived'] }, occurredAt: now });
  return (await loadPatientRecord(scope, id, now))!;
}

/**
 * Brings identifiers, extra contact points and tags to what the write says, touching only the rows
 * that differ: rows that stay keep their ids, so a merge's ledger can still find them to undo it.
 */
async function writeSidecars(scope: TenantScope, id: string, write: ValidPatientWrite): Promise<void> {
  const tenant_id = scope.tenantId;
  if (write.identifiers) {
    const wanted = write.identifiers;
    const have = await scope.tx.selectFrom('patient_identifier').select(['id', 'system', 'value']).where('patient_id', '=', id).execute();
    const gone = have.filter((h) => !wanted.some((w) => w.system === h.system && w.value === h.value)).map((h) => h.id);
    const added = wanted.filter((w) => !have.some((h) => w.system === h.system && w.value === h.value));
    if (gone.length) await scope.tx.deleteFrom('patient_identifier').where('id', 'in', gone).execute();
    if (added.length) await scope.tx.insertInto('patient_identifier').values(added.map((i) => ({ tenant_id, patient_id: id, ...i }))).execute();
  }
  for (const [system, extra] of [['phone', write.extraPhones], ['email', write.extraEmails]] as const) {
    if (!extra) continue;
    const have = await scope.tx.selectFrom('patient_contact_point').select(['id', 'value', 'use', 'rank']).where('patient_id', '=', id).where('system', '=', system).execute();
    const gone = have.filter((h) => !extra.some((c) => c.value === h.value)).map((h) => h.id);
    if (gone.length) await scope.tx.deleteFrom('patient_contact_point').where('id', 'in', gone).execute();
    for (const [i, c] of extra.entries()) {
      const existing = have.find((h) => h.value === c.value);
      if (!existing) {
        await scope.tx.insertInto('patient_contact_point').values({ tenant_id, patient_id: id, system, value: c.value, use: c.use, rank: i + 2 }).execute();
      } else if (existing.use !== c.use || existing.rank !== i + 2) {
        await scope.tx.updateTable('patient_contact_point').set({ use: c.use, rank: i + 2 }).where('id', '=', existing.id).execute();
      }
    }
  }
  if (write.tagIds) {
    const wanted = write.tagIds;
    const have = (await scope.tx.selectFrom('patient_tag').select('tag_id').where('patient_id', '=', id).execute()).map((r) => r.tag_id);
    const gone = have.filter((t) => !wanted.includes(t));
    const added = wanted.filter((t) => !have.includes(t));
    if (gone.length) await scope.tx.deleteFrom('patient_tag').where('patient_id', '=', id).where('tag_id', 'in', gone).execute();
    if (added.length) await scope.tx.insertInto('patient_tag').values(added.map((tag_id) => ({ tenant_id, patient_id: id, tag_id }))).execute();
  }
}

/** Records each changed field under one change set, and one timeline event for the whole change. */
async function writeHistory(
  scope: TenantScope,
  patientId: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  now: Date,
  what: 'created' | 'changed' | 'archived' | 'restored',
  reason?: string,
): Promise<number> {
  const changes = diffSnapshots(before, after);
  if (changes.length === 0) return 0;
  const changeSet = randomUUID();
  const actorId = scope.actor.type === 'api_token' ? scope.actor.userId : scope.actor.id;
  await scope.tx
    .insertInto('patient_change')
    .values(
      changes.map((c) => ({
        tenant_id: scope.tenantId,
        patient_id: patientId,
        change_set: changeSet,
        changed_at: now,
        actor_type: scope.actor.type,
        actor_id: actorId,
        field: c.field,
        old_value: JSON.stringify(c.from),
        new_value: JSON.stringify(c.to),
      })),
    )
    .execute();
  const fields = changes.map((c) => c.field);
  const summary =
    what === 'created'
      ? 'Patient record created'
      : what === 'changed'
        ? `Updated ${fields.length > 4 ? `${fields.slice(0, 4).join(', ')} and ${fields.length - 4} more` : fields.join(', ')}`
        : `Patient record ${what}${reason ? `: ${reason}` : ''}`;
  await recordTimelineEvent(scope, {
    patientId,
    kind: what === 'created' ? 'record.created' : what === 'changed' ? 'record.changed' : `record.${what}`,
    summary,
    detail: { changeSet, fields },
    occurredAt: now,
  });
  return changes.length;
}

/** Turns a unique violation inside `work` into a 409 naming the field, instead of a 500. */
async function insertOrConflict(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const constraint = uniqueViolation(error);
    if (constraint === undefined) throw error;
    if (constraint.includes('mrn')) throw new AppError(409, 'conflict', 'This MRN already belongs to another patient.', [{ path: 'mrn', message: 'is already in use' }]);
    if (constraint.startsWith('patient_identifier')) {
      throw new AppError(409, 'conflict', 'An identifier already belongs to another patient.', [{ path: 'identifiers', message: 'one of them is already in use' }]);
    }
    throw conflict('This record conflicts with one that already exists.');
  }
}

function possibleDuplicate(matches: Array<{ patientId: string; score: number; reasons: unknown[]; patient: PatientSummary | null }>): AppError {
  const error = new AppError(
    409,
    'possible_duplicate',
    'This looks like a patient who is already registered. Open the existing record, or confirm this is a different person (confirmNotDuplicate: true).',
  );
  error.details = { matches };
  return error;
}

const dropNulls = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null));
const nullKeys = (o: Record<string, unknown>) => `{${Object.entries(o).filter(([, v]) => v === null).map(([k]) => `"${k}"`).join(',')}}`;

