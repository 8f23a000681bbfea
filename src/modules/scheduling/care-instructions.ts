import type { TenantScope } from '../../server/db/scope.ts';
import type { AppointmentStatus, StaffRole } from '../../server/db/types.ts';
import { AppError, forbidden, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { checkAppointmentVersion, getAppointment, type AppointmentView } from './appointments.ts';

/**
 * A visit's own care instructions: what the clinician tells this patient to do after this visit.
 * They go out in the follow-up email the day after (`{{appointment.careInstructions}}`, read when
 * the message is sent, so instructions written after completion still make it), and win over the
 * service's. Clinical content, so only clinicians and administrators write them; the text is kept
 * on the appointment and the patient's timeline, never in the audit log.
 */

export const CARE_INSTRUCTION_ROLES: readonly StaffRole[] = ['admin', 'clinician'];
/** The visit is happening or has happened: instructions for a future or missed visit mean nothing. */
const WRITABLE: readonly AppointmentStatus[] = ['arrived', 'fulfilled'];

/** Refuses staff whose role does not write clinical content; the system (imports, jobs) may. */
export function requireCareInstructionAuthor(scope: TenantScope): void {
  if ((scope.actor.type === 'user' || scope.actor.type === 'api_token') && !CARE_INSTRUCTION_ROLES.includes(scope.actor.role)) {
    throw forbidden('Only clinicians and administrators may write care instructions.');
  }
}

const normalize = (text: string | null) => (text === null || text.trim() === '' ? null : text.trim());

/**
 * Records a change of a visit's care instructions already written to the row: the timeline entry
 * (with the text, for staff) and the audit record (without it). Nothing when they did not change.
 */
export async function recordCareInstructionsChange(
  scope: TenantScope,
  visit: { id: string; patientId: string; previous: string | null; next: string | null },
  now: Date,
): Promise<void> {
  if (visit.previous === visit.next) return;
  const change = visit.next === null ? 'removed' : visit.previous === null ? 'added' : 'changed';
  await recordTimelineEvent(scope, {
    patientId: visit.patientId,
    kind: 'appointment.care_instructions',
    summary: `Care instructions for the visit ${change}`,
    detail: { appointmentId: visit.id, careInstructions: visit.next },
    occurredAt: now,
    subject: { type: 'appointment', id: visit.id },
  });
  await scope.audit({
    action: 'appointment.care_instructions',
    entityType: 'appointment',
    entityId: visit.id,
    patientId: visit.patientId,
    detail: { change, characters: visit.next?.length ?? 0 },
  });
}

export type CareInstructionsChange = { careInstructions: string | null; version?: number | undefined };

/**
 * Sets (or, with null or blank text, clears) the care instructions of a visit that is under way or
 * completed. `version` from the last read makes a concurrent change a 409 stale.
 */
export async function setVisitCareInstructions(scope: TenantScope, id: string, input: CareInstructionsChange, now: Date): Promise<AppointmentView> {
  requireCareInstructionAuthor(scope);
  const row = isUuid(id)
    ? await scope.tx.selectFrom('appointment').select(['id', 'patient_id', 'status', 'version', 'care_instructions']).where('id', '=', id).forUpdate().executeTakeFirst()
    : undefined;
  if (!row) throw notFound('Appointment');
  checkAppointmentVersion(row, input.version);
  if (!WRITABLE.includes(row.status)) {
    throw new AppError(409, 'invalid_status', `Care instructions are written once the patient has arrived or the visit is completed; this appointment is ${row.status}.`, [
      { path: 'careInstructions', message: `cannot be written for a ${row.status} appointment` },
    ]);
  }
  const next = normalize(input.careInstructions);
  if (next !== row.care_instructions) {
    await scope.tx.updateTable('appointment').set({ care_instructions: next, version: row.version + 1, updated_at: now }).where('id', '=', row.id).execute();
    await recordCareInstructionsChange(scope, { id: row.id, patientId: row.patient_id, previous: row.care_instructions, next }, now);
  }
  return getAppointment(scope, row.id);
}
