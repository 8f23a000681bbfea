import type { TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { getAppointment, type AppointmentView } from '../scheduling/appointments.ts';
import { requireLinkedAppointment } from '../scheduling/links.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import type { PatientLink } from './preferences.ts';
import type { SurveyView } from './schema.ts';

/**
 * The visit survey the day-after follow-up links to: how likely the patient is to recommend the
 * clinic, 0 to 10, and a comment. One answer per visit; it goes on the patient's timeline.
 */

export const surveyQuestion = (clinicName: string) => `How likely are you to recommend ${clinicName} to a friend or family member?`;

const alreadyAnswered = () => new AppError(409, 'already_answered', 'You have already answered this survey. Thank you!');

async function present(scope: TenantScope, link: PatientLink, visit: AppointmentView): Promise<SurveyView> {
  const [patient, answer] = await Promise.all([
    scope.tx.selectFrom('patient').select('time_zone').where('id', '=', visit.patient.id).executeTakeFirst(),
    scope.tx.selectFrom('survey_response').select(['score', 'responded_at']).where('appointment_id', '=', visit.id).executeTakeFirst(),
  ]);
  return {
    clinic: { name: link.tenant.name },
    question: surveyQuestion(link.tenant.name),
    visit: {
      status: visit.status,
      startsAt: visit.startsAt,
      timeZone: patient?.time_zone ?? visit.location.timeZone,
      service: visit.service.name,
      practitioner: visit.practitioner.name,
      location: visit.location.name,
    },
    canAnswer: visit.status === 'fulfilled' && !answer,
    answer: answer ? { score: answer.score, answeredAt: new Date(answer.responded_at).toISOString() } : null,
  };
}

async function linkedVisit(scope: TenantScope, link: PatientLink): Promise<AppointmentView> {
  const { id } = await requireLinkedAppointment(scope, link.claims);
  return getAppointment(scope, id);
}

export async function viewSurvey(scope: TenantScope, link: PatientLink): Promise<SurveyView> {
  const visit = await linkedVisit(scope, link);
  await scope.audit({ action: 'survey.read', entityType: 'appointment', entityId: visit.id, patientId: visit.patient.id, detail: { via: 'survey_link' } });
  return present(scope, link, visit);
}

/** Stores the answer; a second answer for the same visit (even at the same moment) is refused with 409. */
export async function answerSurvey(scope: TenantScope, link: PatientLink, input: { score: number; comment?: string | undefined }, now: Date): Promise<SurveyView> {
  const visit = await linkedVisit(scope, link);
  const refuse = async (error: AppError) => {
    await scope.audit({ action: 'survey.answer', entityType: 'appointment', entityId: visit.id, patientId: visit.patient.id, outcome: 'failure', detail: { code: error.code } });
    return error;
  };
  if (visit.status !== 'fulfilled') {
    throw await refuse(new AppError(409, 'visit_not_completed', 'This survey opens once your visit has taken place.'));
  }
  const comment = input.comment ? input.comment : null;
  const inserted = await scope.tx
    .insertInto('survey_response')
    .values({ tenant_id: scope.tenantId, patient_id: visit.patient.id, appointment_id: visit.id, score: input.score, comment, responded_at: now })
    .onConflict((oc) => oc.columns(['tenant_id', 'appointment_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) throw await refuse(alreadyAnswered());
  await recordTimelineEvent(scope, {
    patientId: visit.patient.id,
    kind: 'survey.answered',
    summary: `Answered the visit survey for ${visit.service.name} with ${visit.practitioner.name}: ${input.score}/10${comment ? ', with a comment' : ''}`,
    detail: { appointmentId: visit.id, responseId: inserted.id, score: input.score, comment },
    occurredAt: now,
    subject: { type: 'appointment', id: visit.id },
  });
  await scope.audit({
    action: 'survey.answer',
    entityType: 'survey_response',
    entityId: inserted.id,
    patientId: visit.patient.id,
    detail: { appointmentId: visit.id, score: input.score, comment: comment !== null },
  });
  return present(scope, link, visit);
}
