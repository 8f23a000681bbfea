import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { TenantScope } from '../../server/db/scope.ts';
import { isUuid } from '../../shared/ids.ts';
import { resourceNotFound } from './outcome.ts';
import { appointmentModule } from './resources/appointment.ts';
import { clinicalRecordOf } from './resources/clinical.ts';
import { communicationModule } from './resources/communication.ts';
import { consentModule } from './resources/consent.ts';
import { patientModule } from './resources/patient.ts';
import { taskModule } from './resources/task.ts';
import type { SearchRequest } from './search.ts';
import type { FhirContext } from './types.ts';

/** How many of each kind $everything returns at most (newest first where it matters). */
export const EVERYTHING_LIMIT = 1000;

/**
 * Patient/$everything: the patient and everything of theirs Rapport holds (appointments, messages,
 * consent answers, tasks, and what other systems sent: encounters, immunizations, conditions,
 * medications, care plans, claims), as one searchset Bundle. One audit record names the patient.
 */
export async function patientEverything(scope: TenantScope, id: string, ctx: FhirContext): Promise<Bundle> {
  const patient = isUuid(id) ? await patientModule.read(scope, id, ctx) : undefined;
  if (!patient) {
    await scope.audit({ action: 'fhir.everything', entityType: 'Patient', entityId: id, outcome: 'failure' });
    throw resourceNotFound('Patient', id);
  }
  const byPatient = (param: string): SearchRequest => ({ params: [{ name: param, modifier: null, values: [id] }], count: EVERYTHING_LIMIT, offset: 0, sort: [] });
  const [appointments, communications, consents, tasks, clinical] = await Promise.all([
    appointmentModule.search(scope, { ...byPatient('patient'), sort: [{ name: 'date', desc: true }] }, ctx),
    communicationModule.search(scope, byPatient('patient'), ctx),
    consentModule.search(scope, byPatient('patient'), ctx),
    taskModule.search(scope, byPatient('patient'), ctx),
    clinicalRecordOf(scope, id, EVERYTHING_LIMIT),
  ]);
  const resources: Resource[] = [
    patient,
    ...appointments.slice(0, EVERYTHING_LIMIT),
    ...communications.slice(0, EVERYTHING_LIMIT),
    ...consents.slice(0, EVERYTHING_LIMIT),
    ...tasks.slice(0, EVERYTHING_LIMIT),
    ...clinical,
  ];
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
  await scope.audit({ action: 'fhir.everything', entityType: 'Patient', entityId: id, patientId: id, detail: { counts } });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    link: [{ relation: 'self', url: `${ctx.baseUrl}/Patient/${id}/$everything` }],
    entry: resources.map((resource, i) => ({
      fullUrl: `${ctx.baseUrl}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: i === 0 ? 'match' : 'include' },
    })),
  };
}
