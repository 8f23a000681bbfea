import type { Immunization } from '@medplum/fhirtypes';
import { resolve } from './context.ts';
import type { TableMapper } from './table-phase.ts';
import { recordImportedEvents } from './timeline.ts';
import { clip, coding, conceptText, fail, instant, oneOf } from './values.ts';

/** Immunization → the patient's vaccination history, one timeline event each. */
export const immunizationMapper: TableMapper = {
  type: 'Immunization',
  table: 'immunization',
  async map(resource, ctx) {
    const i = resource as Immunization;
    const vaccine = coding(i.vaccineCode);
    if (i.occurrenceDateTime === undefined) fail('Immunization.occurrenceDateTime is required (a date Rapport can place on the timeline)');
    return {
      patient_id: await resolve(ctx, i.patient, ['Patient'], 'Immunization.patient', { required: true }),
      encounter_id: await resolve(ctx, i.encounter, ['Encounter'], 'Immunization.encounter', { required: false }),
      status: oneOf(i.status, ['completed', 'entered-in-error', 'not-done'], 'Immunization.status'),
      vaccine_system: clip(vaccine.system, 300),
      vaccine_code: clip(vaccine.code, 64),
      vaccine_display: clip(conceptText(i.vaccineCode), 300) ?? fail('Immunization.vaccineCode is required'),
      occurred_at: instant(i.occurrenceDateTime, 'Immunization.occurrenceDateTime'),
      source: 'fhir',
    };
  },
  async afterWrite(ctx, written) {
    await recordImportedEvents(ctx, written, (w) => ({
      kind: 'immunization.imported',
      summary: `${w.row.status === 'not-done' ? 'Vaccination not done' : 'Vaccinated'}: ${String(w.row.vaccine_display)}`,
      occurredAt: w.row.occurred_at as Date,
      subjectType: 'immunization',
    }));
  },
};
