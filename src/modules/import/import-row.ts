import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { duplicateCheck } from '../patients/duplicate-check.ts';
import { loadPatientRecord } from '../patients/record.ts';
import { newPatientBody, patientUpdateBody, type NewPatientBody, type PatientUpdateBody } from '../patients/schema.ts';
import { registerPatient, updatePatient } from '../patients/service.ts';
import { validatePatientWrite } from '../patients/validate.ts';
import { changesNothing, createBody, schemaProblems, updateBody } from './body.ts';
import { planRowConsent, recordImportedConsent } from './consent.ts';
import { matchRow } from './match.ts';
import { problemAt, type RowDraft, type RowProblem } from './row.ts';

export type RowOutcome = 'created' | 'created_for_review' | 'updated' | 'unchanged' | 'failed';
/** `notes`: things worth telling about a row that was not refused (consent answers kept as the patient gave them). */
export type RowResult = { outcome: RowOutcome; problems: RowProblem[]; notes?: string[] };
export type ImportRowOptions = { now: Date; dryRun: boolean; /** On every consent ledger row the import writes. */ consentNote: string };

type Target = { mode: 'create'; body: Record<string, unknown> } | { mode: 'update'; patientId: string; version: number; body: Record<string, unknown> };

/**
 * Imports one row, all or nothing: inside a savepoint, so a row that fails half-way leaves no trace
 * and the rows around it in the batch are kept. A row whose MRN or identifier matches a patient
 * updates that patient; any other row registers a new one, and its likely duplicates go to the
 * review queue. The row's consent answers then go to the consent ledger, those that change it only.
 * In a dry run every row is rolled back after it has been checked and written.
 */
export async function importRow(scope: TenantScope, draft: RowDraft, options: ImportRowOptions): Promise<RowResult> {
  if (draft.problems.some((p) => p.field === '(row)')) return failed(draft.problems);
  const match = await matchRow(scope, draft);
  if (match.kind === 'conflict') return failed([...draft.problems, match.problem]);

  const existing = match.kind === 'patient' ? (await loadPatientRecord(scope, match.patientId, options.now))! : undefined;
  const target: Target =
    match.kind === 'patient' && existing
      ? { mode: 'update', patientId: match.patientId, version: existing.version, body: updateBody(draft, existing, match.keepMrn) }
      : { mode: 'create', body: createBody(draft) };

  const schema = target.mode === 'create' ? newPatientBody : patientUpdateBody;
  const parsed = schema.safeParse(target.body);
  if (!parsed.success) return failed([...draft.problems, ...schemaProblems(draft, target.body, parsed.error)]);
  if (draft.problems.length) {
    // Name everything wrong with the row at once: the clinic's own checks on what could be read.
    return failed([...draft.problems, ...(await checkProblems(scope, draft, () => validatePatientWrite(scope, parsed.data, target.mode)))]);
  }
  const consent = await planRowConsent(scope, draft, existing?.id ?? null);
  const notes = consent.kept.length ? { notes: consent.kept } : {};
  const patientUnchanged = existing !== undefined && changesNothing(parsed.data, existing);
  if (patientUnchanged && !consent.changes.length) return { outcome: 'unchanged', problems: [], ...notes };

  await sql`savepoint import_row`.execute(scope.tx);
  try {
    let outcome: RowOutcome = 'unchanged';
    let patientId = existing?.id;
    if (!patientUnchanged) {
      ({ outcome, patientId } = await write(scope, target, parsed.data, options.now));
      // An unchanged patient still bumped updated_at and wrote an audit record: undo both.
      if (outcome === 'unchanged') await sql`rollback to savepoint import_row`.execute(scope.tx);
    }
    if (consent.changes.length) {
      await recordImportedConsent(scope, patientId!, consent.changes, options.consentNote, options.now);
      if (outcome === 'unchanged') outcome = 'updated';
    }
    const keep = !options.dryRun && outcome !== 'unchanged';
    await sql.raw(keep ? 'release savepoint import_row' : 'rollback to savepoint import_row').execute(scope.tx);
    return { outcome, problems: [], ...notes };
  } catch (error) {
    await sql`rollback to savepoint import_row`.execute(scope.tx);
    const problems = rowProblems(draft, error);
    if (!problems) throw error;
    return failed(problems);
  }
}

async function write(scope: TenantScope, target: Target, body: NewPatientBody | PatientUpdateBody, now: Date): Promise<{ outcome: RowOutcome; patientId: string }> {
  if (target.mode === 'create') {
    const result = await registerPatient(scope, body as NewPatientBody, { now, findDuplicates: duplicateCheck('import') });
    return { outcome: result.possibleDuplicates.length ? 'created_for_review' : 'created', patientId: result.patient.id };
  }
  const after = await updatePatient(scope, target.patientId, body as PatientUpdateBody, now);
  return { outcome: after.version === target.version ? 'unchanged' : 'updated', patientId: target.patientId };
}

async function checkProblems(scope: TenantScope, draft: RowDraft, check: () => Promise<unknown>): Promise<RowProblem[]> {
  try {
    await check();
    return [];
  } catch (error) {
    const problems = rowProblems(draft, error);
    if (!problems) throw error;
    return problems;
  }
}

/** A row's problems from an error the patient service or the database raised; undefined if not the row's fault. */
function rowProblems(draft: RowDraft, error: unknown): RowProblem[] | undefined {
  if (error instanceof AppError) {
    if (error.status >= 500) return undefined;
    return error.fields?.length ? error.fields.map((f) => problemAt(draft, f.path, f.message)) : [problemAt(draft, '', error.message)];
  }
  // Data exceptions and integrity violations (SQLSTATE classes 22 and 23) come from a value.
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^2[23]/.test(code)) return [problemAt(draft, '', 'could not be stored: the database refused one of its values')];
  return undefined;
}

const failed = (problems: RowProblem[]): RowResult => ({ outcome: 'failed', problems });
