import type { TenantScope } from '../../server/db/scope.ts';
import type { JourneyRunStatus } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { requirePatient } from '../timeline/service.ts';
import { cancelRun } from './engine.ts';

/** One patient's journey runs, with what each step did, and staff stopping one for them. */

export type StepLogEntry = { id: string; stepType: string; outcome: string; detail: Record<string, unknown>; at: string };

export type PatientRun = {
  id: string;
  journey: { id: string; name: string };
  status: JourneyRunStatus;
  reason: string | null;
  lastError: string | null;
  triggerType: string;
  subject: { type: string; id: string } | null;
  stepsDone: number;
  /** Steps still to run (a branch counts as one until it is reached). */
  stepsLeft: number;
  nextAt: string | null;
  createdAt: string;
  updatedAt: string;
  log: StepLogEntry[];
};

const RUN_LIMIT = 100;

function runQuery(scope: TenantScope) {
  return scope.tx
    .selectFrom('journey_run as r')
    .innerJoin('journey as j', 'j.id', 'r.journey_id')
    .select([
      'r.id', 'r.journey_id', 'j.name as journey_name', 'r.status', 'r.reason', 'r.last_error', 'r.trigger_type', 'r.subject_type', 'r.subject_id',
      'r.steps_done', 'r.plan', 'r.next_at', 'r.created_at', 'r.updated_at', 'r.patient_id',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof runQuery>['executeTakeFirstOrThrow']>>;

async function withLogs(scope: TenantScope, rows: Row[]): Promise<PatientRun[]> {
  const logs = rows.length
    ? await scope.tx
        .selectFrom('journey_step_log')
        .select(['id', 'run_id', 'step_type', 'outcome', 'detail', 'at'])
        .where('run_id', 'in', rows.map((r) => r.id))
        .orderBy('at')
        .execute()
    : [];
  return rows.map((r) => ({
    id: r.id,
    journey: { id: r.journey_id, name: r.journey_name },
    status: r.status,
    reason: r.reason,
    lastError: r.last_error,
    triggerType: r.trigger_type,
    subject: r.subject_type && r.subject_id ? { type: r.subject_type, id: r.subject_id } : null,
    stepsDone: r.steps_done,
    stepsLeft: r.status === 'waiting' || r.status === 'running' ? r.plan.length : 0,
    nextAt: r.status === 'waiting' ? r.next_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    log: logs
      .filter((l) => l.run_id === r.id)
      .map((l) => ({ id: l.id, stepType: l.step_type, outcome: l.outcome, detail: l.detail, at: l.at.toISOString() })),
  }));
}

/** The patient's runs, newest first, each with its step log. */
export async function patientJourneys(scope: TenantScope, patientId: string): Promise<PatientRun[]> {
  const patient = await requirePatient(scope, patientId);
  const rows = await runQuery(scope).where('r.patient_id', '=', patient.id).orderBy('r.created_at', 'desc').limit(RUN_LIMIT).execute();
  await scope.audit({ action: 'patient.journeys.read', entityType: 'patient', entityId: patient.id, patientId: patient.id, detail: { runs: rows.length } });
  return withLogs(scope, rows);
}

/** Stops one run for its patient, and whatever it scheduled that has not gone yet. */
export async function cancelJourneyRun(scope: TenantScope, runId: string, now: Date): Promise<PatientRun> {
  const run = isUuid(runId) ? await scope.tx.selectFrom('journey_run').select(['id', 'status']).where('id', '=', runId).forUpdate().executeTakeFirst() : undefined;
  if (!run) throw notFound('Journey run');
  if (run.status !== 'waiting' && run.status !== 'running') {
    throw new AppError(409, 'run_finished', `This run has already ended (${run.status}); there is nothing left to stop.`);
  }
  await cancelRun(scope, run.id, now);
  const [view] = await withLogs(scope, [await runQuery(scope).where('r.id', '=', run.id).executeTakeFirstOrThrow()]);
  return view!;
}
