import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { JourneyRunStatus } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { isUuid } from '../../shared/ids.ts';
import { stopPendingMessages } from '../messaging/outbox.ts';
import { checkJourney } from './checks.ts';
import { stepsSchema, triggerSchema, type JourneyInput, type Step, type Trigger } from './schema.ts';

/**
 * Journeys as the clinic configures them: list with how they are doing, create, change (with a
 * version against lost updates), switch on and off, delete one that has nothing under way.
 */

export type JourneyCounts = { waiting: number; done: number; cancelled: number; failed: number; sentLast30Days: number };

export type JourneyView = {
  id: string;
  /** Set on the journeys Rapport ships. */
  key: string | null;
  name: string;
  description: string | null;
  trigger: Trigger;
  steps: Step[];
  enabled: boolean;
  version: number;
  counts: JourneyCounts;
  createdAt: string;
  updatedAt: string;
};

export type RunSummary = {
  id: string;
  status: JourneyRunStatus;
  reason: string | null;
  lastError: string | null;
  /** Null for roles that do not see individual patients. */
  patient: { id: string; name: string } | null;
  stepsDone: number;
  nextAt: string | null;
  createdAt: string;
};

export type JourneyDetail = JourneyView & { recentRuns: RunSummary[] };

export type JourneyChange = JourneyInput & { version: number };

const COLUMNS = ['id', 'key', 'name', 'description', 'trigger', 'steps', 'enabled', 'version', 'created_at', 'updated_at'] as const;
const DAY_MS = 86_400_000;

type Row = { id: string; key: string | null; name: string; description: string | null; trigger: unknown; steps: unknown[]; enabled: boolean; version: number; created_at: Date; updated_at: Date };

const NO_COUNTS: JourneyCounts = { waiting: 0, done: 0, cancelled: 0, failed: 0, sentLast30Days: 0 };

function present(row: Row, counts: JourneyCounts): JourneyView {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    description: row.description,
    // Saved through the schema; parsing again fills defaults a hand-made row may lack.
    trigger: triggerSchema.parse(row.trigger),
    steps: stepsSchema.parse(row.steps),
    enabled: row.enabled,
    version: row.version,
    counts,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function countsOf(scope: TenantScope, ids: string[], now: Date): Promise<Map<string, JourneyCounts>> {
  const counts = new Map<string, JourneyCounts>(ids.map((id) => [id, { ...NO_COUNTS }]));
  if (!ids.length) return counts;
  const runs = await scope.tx
    .selectFrom('journey_run')
    .select(['journey_id', 'status', sql<number>`count(*)::int`.as('n')])
    .where('journey_id', 'in', ids)
    .groupBy(['journey_id', 'status'])
    .execute();
  for (const r of runs) {
    const c = counts.get(r.journey_id)!;
    if (r.status === 'waiting' || r.status === 'running') c.waiting += r.n;
    else c[r.status] += r.n;
  }
  const sent = await scope.tx
    .selectFrom('message')
    .select(['journey_id', sql<number>`count(*)::int`.as('n')])
    .where('journey_id', 'in', ids)
    .where('sent_at', '>=', new Date(now.getTime() - 30 * DAY_MS))
    .groupBy('journey_id')
    .execute();
  for (const s of sent) if (s.journey_id) counts.get(s.journey_id)!.sentLast30Days = s.n;
  return counts;
}

export async function listJourneys(scope: TenantScope, now: Date): Promise<JourneyView[]> {
  const rows = await scope.tx.selectFrom('journey').select(COLUMNS).orderBy('created_at').orderBy('name').execute();
  const counts = await countsOf(scope, rows.map((r) => r.id), now);
  return rows.map((row) => present(row, counts.get(row.id)!));
}

async function loadRow(scope: TenantScope, id: string, lock = false): Promise<Row> {
  if (!isUuid(id)) throw notFound('Journey');
  let query = scope.tx.selectFrom('journey').select(COLUMNS).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('Journey');
  return row;
}

const seesPatients = (scope: TenantScope) => scope.actor.type === 'system' || ((scope.actor.type === 'user' || scope.actor.type === 'api_token') && PATIENT_STAFF.includes(scope.actor.role));

/** One journey with its latest runs (who they are for only for staff who see patients, and then audited). */
export async function getJourney(scope: TenantScope, id: string, now: Date): Promise<JourneyDetail> {
  const row = await loadRow(scope, id);
  const counts = (await countsOf(scope, [row.id], now)).get(row.id)!;
  const runs = await scope.tx
    .selectFrom('journey_run as r')
    .innerJoin('patient as p', 'p.id', 'r.patient_id')
    .select(['r.id', 'r.status', 'r.reason', 'r.last_error', 'r.steps_done', 'r.next_at', 'r.created_at', 'p.id as patient_id', 'p.given_name', 'p.family_name'])
    .where('r.journey_id', '=', row.id)
    .orderBy('r.created_at', 'desc')
    .limit(20)
    .execute();
  const named = seesPatients(scope);
  if (named) {
    // One entry per patient shown, so each patient's access history includes this list.
    for (const patientId of new Set(runs.map((r) => r.patient_id))) {
      await scope.audit({ action: 'journey_run.list', entityType: 'journey', entityId: row.id, patientId });
    }
  }
  return {
    ...present(row, counts),
    recentRuns: runs.map((r) => ({
      id: r.id,
      status: r.status,
      reason: r.reason,
      lastError: r.last_error,
      patient: named ? { id: r.patient_id, name: `${r.given_name} ${r.family_name}` } : null,
      stepsDone: r.steps_done,
      nextAt: r.status === 'waiting' ? r.next_at.toISOString() : null,
      createdAt: r.created_at.toISOString(),
    })),
  };
}

export async function createJourney(scope: TenantScope, input: JourneyInput, now: Date): Promise<JourneyView> {
  await checkJourney(scope, input);
  const row = await scope.tx
    .insertInto('journey')
    .values({
      tenant_id: scope.tenantId,
      name: input.name,
      description: input.description ?? null,
      trigger: JSON.stringify(input.trigger),
      steps: JSON.stringify(input.steps),
      enabled: input.enabled ?? true,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'journey.create', entityType: 'journey', entityId: row.id, detail: { trigger: input.trigger.type, steps: input.steps.length } });
  return present(row, { ...NO_COUNTS });
}

/**
 * Saves a new version. Runs already under way keep the steps they started with (a run carries
 * its own plan); new runs follow the new steps.
 */
export async function changeJourney(scope: TenantScope, id: string, input: JourneyChange, now: Date): Promise<JourneyView> {
  const current = await loadRow(scope, id, true);
  if (current.version !== input.version) {
    throw new AppError(409, 'version_conflict', `The journey changed since you opened it (you have version ${input.version}, it is now ${current.version}). Reload it and make your change again.`);
  }
  const { version: _version, ...journey } = input;
  await checkJourney(scope, journey);
  const row = await scope.tx
    .updateTable('journey')
    .set({
      name: journey.name,
      description: journey.description ?? null,
      trigger: JSON.stringify(journey.trigger),
      steps: JSON.stringify(journey.steps),
      ...(journey.enabled !== undefined ? { enabled: journey.enabled } : {}),
      version: sql<number>`version + 1`,
      updated_at: now,
    })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  if (current.enabled && !row.enabled) await stopJourneyMessages(scope, id, now);
  await scope.audit({ action: 'journey.update', entityType: 'journey', entityId: id, detail: { trigger: journey.trigger.type, steps: journey.steps.length, enabled: row.enabled } });
  return present(row, (await countsOf(scope, [id], now)).get(id)!);
}

/**
 * Switches a journey on or off. Off stops its messages not yet sent; its waiting runs stop when
 * they come due (so switching it straight back on loses nothing that was still waiting).
 */
export async function setJourneyEnabled(scope: TenantScope, id: string, enabled: boolean, now: Date): Promise<JourneyView> {
  const current = await loadRow(scope, id, true);
  if (enabled && !current.enabled) {
    // A journey saved long ago must still fit the clinic (a template deleted since, a member of staff gone).
    await checkJourney(scope, { name: current.name, trigger: triggerSchema.parse(current.trigger), steps: stepsSchema.parse(current.steps) });
  }
  const row = await scope.tx
    .updateTable('journey')
    .set({ enabled, updated_at: now, version: sql<number>`version + 1` })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  if (current.enabled && !enabled) await stopJourneyMessages(scope, id, now);
  await scope.audit({ action: enabled ? 'journey.enable' : 'journey.disable', entityType: 'journey', entityId: id });
  return present(row, (await countsOf(scope, [id], now)).get(id)!);
}

async function stopJourneyMessages(scope: TenantScope, journeyId: string, now: Date): Promise<void> {
  const runs = await scope.tx
    .selectFrom('message')
    .select('journey_run_id')
    .distinct()
    .where('journey_id', '=', journeyId)
    .where('status', 'in', ['scheduled', 'sending'])
    .where('journey_run_id', 'is not', null)
    .execute();
  await stopPendingMessages(scope, { runIds: runs.map((r) => r.journey_run_id!) }, 'journey_disabled', now);
}

/**
 * Deletes a journey. One switched on with runs under way is refused (switch it off first); one
 * switched off goes with its runs, waiting ones included. The messages its runs sent stay on the
 * patients' records (still naming the journey), only unlinked from the deleted runs.
 */
export async function deleteJourney(scope: TenantScope, id: string, now: Date): Promise<void> {
  const row = await loadRow(scope, id, true);
  // Locked first, so a worker walking one of them finishes before the runs go.
  const runs = await scope.tx.selectFrom('journey_run').select(['id', 'status']).where('journey_id', '=', id).forUpdate().execute();
  const active = runs.filter((r) => r.status === 'waiting' || r.status === 'running').length;
  if (row.enabled && active > 0) {
    throw new AppError(
      409,
      'journey_in_progress',
      `"${row.name}" has ${active} run${active === 1 ? '' : 's'} under way. Switch it off first (nothing more is sent), then delete it.`,
    );
  }
  const runIds = runs.map((r) => r.id);
  if (runIds.length) {
    await stopPendingMessages(scope, { runIds }, 'journey_disabled', now);
    await scope.tx.updateTable('message').set({ journey_run_id: null }).where('journey_run_id', 'in', runIds).execute();
    await scope.tx.deleteFrom('journey_run').where('id', 'in', runIds).execute();
  }
  await scope.tx.deleteFrom('journey').where('id', '=', id).execute();
  await scope.audit({ action: 'journey.delete', entityType: 'journey', entityId: id, detail: { name: row.name, runs: runIds.length, stopped: active } });
}
