import type { DB } from '../../server/db/types.ts';

/**
 * Every column outside the patient table that points at a patient. Merging two records moves the
 * rows found through these to the survivor (and undoing the merge moves exactly those rows back);
 * a module that adds a table pointing at patients adds it here, and the merge follows it.
 *
 * `key` is how a row is named when it is moved: its primary key columns after tenant_id.
 * `unique` lists columns that, with the patient column, must stay unique: a row that would collide
 * with one the survivor already has is not moved (the survivor's row already says the same thing).
 */
export type PatientReference = {
  table: keyof DB;
  column: string;
  key: readonly string[];
  unique?: readonly string[];
};

export const PATIENT_REFERENCES: readonly PatientReference[] = [
  { table: 'appointment', column: 'patient_id', key: ['id'] },
  { table: 'timeline_event', column: 'patient_id', key: ['id'] },
  { table: 'task', column: 'patient_id', key: ['id'] },
  { table: 'lead', column: 'patient_id', key: ['id'] },
  { table: 'patient_identifier', column: 'patient_id', key: ['id'] },
  { table: 'patient_contact_point', column: 'patient_id', key: ['id'] },
  { table: 'patient_tag', column: 'patient_id', key: ['patient_id', 'tag_id'], unique: ['tag_id'] },
  { table: 'patient_link', column: 'patient_id', key: ['id'], unique: ['related_id', 'kind'] },
  { table: 'patient_link', column: 'related_id', key: ['id'], unique: ['patient_id', 'kind'] },
  { table: 'waitlist_entry', column: 'patient_id', key: ['id'] },
  { table: 'waitlist_offer', column: 'patient_id', key: ['id'] },
  { table: 'consent_event', column: 'patient_id', key: ['id'] },
  { table: 'message', column: 'patient_id', key: ['id'] },
  { table: 'journey_run', column: 'patient_id', key: ['id'] },
  { table: 'conversation', column: 'patient_id', key: ['id'] },
  { table: 'inbound_message', column: 'patient_id', key: ['id'] },
  { table: 'medication_reminder', column: 'patient_id', key: ['id'] },
  { table: 'invoice', column: 'patient_id', key: ['id'] },
  { table: 'survey_response', column: 'patient_id', key: ['id'] },
  { table: 'encounter', column: 'patient_id', key: ['id'] },
  { table: 'immunization', column: 'patient_id', key: ['id'] },
  { table: 'condition', column: 'patient_id', key: ['id'] },
  { table: 'patient_medication', column: 'patient_id', key: ['id'] },
  { table: 'care_plan', column: 'patient_id', key: ['id'] },
  { table: 'claim', column: 'patient_id', key: ['id'] },
];
