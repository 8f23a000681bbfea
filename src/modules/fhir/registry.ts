import type { Reference, Resource } from '@medplum/fhirtypes';
import { appointmentModule } from './resources/appointment.ts';
import { communicationModule } from './resources/communication.ts';
import { consentModule } from './resources/consent.ts';
import { healthcareServiceModule } from './resources/healthcare-service.ts';
import { locationModule } from './resources/location.ts';
import { organizationModule } from './resources/organization.ts';
import { patientModule } from './resources/patient.ts';
import { practitionerModule } from './resources/practitioner.ts';
import { scheduleModule, slotModule } from './resources/schedule.ts';
import { taskModule } from './resources/task.ts';
import type { ResourceModule } from './types.ts';

/** Every resource type the API serves, in the order the CapabilityStatement lists them. */
export const RESOURCES: readonly ResourceModule[] = [
  patientModule,
  practitionerModule,
  organizationModule,
  locationModule,
  healthcareServiceModule,
  scheduleModule,
  slotModule,
  appointmentModule,
  communicationModule,
  consentModule,
  taskModule,
] as readonly ResourceModule[];

const byType = new Map(RESOURCES.map((m) => [m.type as string, m]));

export const moduleFor = (type: string): ResourceModule | undefined => byType.get(type);

/** The patient a resource is about, for the audit record (the Patient itself, a subject, a participant). */
export function patientIdOf(resource: Resource): string | null {
  if (resource.resourceType === 'Patient') return resource.id ?? null;
  const r = resource as unknown as Record<string, unknown>;
  const participants = Array.isArray(r.participant) ? (r.participant as Array<{ actor?: Reference }>).map((p) => p.actor) : [];
  for (const candidate of [r.subject, r.patient, r.for, ...participants] as Array<Reference | undefined>) {
    const m = /^Patient\/(.+)$/.exec(candidate?.reference ?? '');
    if (m) return m[1]!;
  }
  return null;
}
