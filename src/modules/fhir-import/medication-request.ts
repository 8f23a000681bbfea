import type { MedicationRequest } from '@medplum/fhirtypes';
import { resolve, resolveOptional } from './context.ts';
import type { TableMapper } from './table-phase.ts';
import { clip, coding, conceptText, fail, instant, oneOf } from './values.ts';

/** MedicationRequest → patient_medication: what the patient takes (status says whether still). */

const STATUSES = ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'] as const;

export const medicationRequestMapper: TableMapper = {
  type: 'MedicationRequest',
  table: 'patient_medication',
  async map(resource, ctx) {
    const m = resource as MedicationRequest;
    const med = coding(m.medicationCodeableConcept);
    const display = conceptText(m.medicationCodeableConcept) ?? m.medicationReference?.display;
    const dosage = m.dosageInstruction?.[0];
    return {
      patient_id: await resolve(ctx, m.subject, ['Patient'], 'MedicationRequest.subject', { required: true }),
      encounter_id: await resolve(ctx, m.encounter, ['Encounter'], 'MedicationRequest.encounter', { required: false }),
      status: oneOf(m.status, STATUSES, 'MedicationRequest.status'),
      code_system: clip(med.system, 300),
      code: clip(med.code, 64),
      display: clip(display, 300) ?? fail('MedicationRequest.medication[x] names no medication (a medicationCodeableConcept, or a medicationReference with a display)'),
      dosage_text: clip(dosage?.text ?? (dosage?.asNeededBoolean ? 'as needed' : null), 500),
      authored_at: instant(m.authoredOn, 'MedicationRequest.authoredOn'),
      requester_id: await resolveOptional(ctx, m.requester, ['Practitioner'], 'MedicationRequest.requester'),
      source: 'fhir',
    };
  },
};
