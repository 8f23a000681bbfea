import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * What Rapport keeps from the clinic's other systems (FHIR bundles such as Synthea's, HL7 v2
 * feeds): a directory of outside organizations, past encounters (visits that happened elsewhere
 * or before Rapport), immunizations, conditions, medications, care plans and claims. Also the map
 * from an outside system's ids to Rapport's rows, which makes every import idempotent.
 *
 * These are kept for relationship work (recalls, segments, last-visit dates, the timeline), not as
 * a clinical record: codes and display text, dates and statuses, not every FHIR element.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
-- Organizations other than the clinic itself: hospitals, payers, referring practices.
CREATE TABLE organization (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text CHECK (kind IN ('prov', 'dept', 'team', 'govt', 'ins', 'pay', 'edu', 'reli', 'crs', 'cg', 'bus', 'other')),
  phone text,
  email text,
  address_line text,
  city text,
  region text,
  postal_code text,
  country text,
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX organization_name_idx ON organization (tenant_id, lower(name));

-- A practitioner of an outside organization is in the directory but not on the clinic's staff.
ALTER TABLE practitioner ADD COLUMN organization_id uuid,
  ADD CONSTRAINT practitioner_organization_fk FOREIGN KEY (tenant_id, organization_id) REFERENCES organization (tenant_id, id);

-- An outside system's id for a Rapport row: (system, resource type, id) names one row, so a
-- re-import finds what it created before. content_hash is the hash of the resource as last
-- imported: the same hash again means nothing changed.
CREATE TABLE external_ref (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  system text NOT NULL CHECK (length(system) BETWEEN 1 AND 300),
  resource_type text NOT NULL CHECK (length(resource_type) BETWEEN 1 AND 64),
  external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 300),
  entity_id uuid NOT NULL,
  content_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, system, resource_type, external_id)
);
CREATE INDEX external_ref_entity_idx ON external_ref (tenant_id, entity_id);

-- A visit recorded by another system (FHIR Encounter, HL7 ADT admit/discharge).
CREATE TABLE encounter (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown')),
  class_code text,
  type_system text,
  type_code text,
  type_display text,
  reason_display text,
  practitioner_id uuid,
  organization_id uuid,
  location_name text,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  source text NOT NULL CHECK (source IN ('fhir', 'hl7', 'staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (ended_at IS NULL OR ended_at >= started_at),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organization (tenant_id, id)
);
CREATE INDEX encounter_patient_idx ON encounter (tenant_id, patient_id, started_at);

CREATE TABLE immunization (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  encounter_id uuid,
  status text NOT NULL CHECK (status IN ('completed', 'entered-in-error', 'not-done')),
  vaccine_system text,
  vaccine_code text,
  vaccine_display text NOT NULL,
  occurred_at timestamptz NOT NULL,
  source text NOT NULL CHECK (source IN ('fhir', 'hl7', 'staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, encounter_id) REFERENCES encounter (tenant_id, id)
);
CREATE INDEX immunization_patient_idx ON immunization (tenant_id, patient_id, occurred_at);

-- Problems and diagnoses; active ones become clinical tags usable in segments.
CREATE TABLE condition (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  encounter_id uuid,
  clinical_status text CHECK (clinical_status IN ('active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved')),
  verification_status text,
  code_system text,
  code text,
  display text NOT NULL,
  onset_at timestamptz,
  abated_at timestamptz,
  recorded_at timestamptz,
  tag_id uuid,
  source text NOT NULL CHECK (source IN ('fhir', 'hl7', 'staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, encounter_id) REFERENCES encounter (tenant_id, id),
  FOREIGN KEY (tenant_id, tag_id) REFERENCES tag (tenant_id, id) ON DELETE SET NULL
);
CREATE INDEX condition_patient_idx ON condition (tenant_id, patient_id);
CREATE INDEX condition_code_idx ON condition (tenant_id, code_system, code);

CREATE TABLE patient_medication (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  encounter_id uuid,
  status text NOT NULL CHECK (status IN ('active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown')),
  code_system text,
  code text,
  display text NOT NULL,
  dosage_text text,
  authored_at timestamptz,
  requester_id uuid,
  source text NOT NULL CHECK (source IN ('fhir', 'hl7', 'staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, encounter_id) REFERENCES encounter (tenant_id, id),
  FOREIGN KEY (tenant_id, requester_id) REFERENCES practitioner (tenant_id, id)
);
CREATE INDEX patient_medication_patient_idx ON patient_medication (tenant_id, patient_id, status);

-- A care programme the patient is on (diabetes self-management, a rehabilitation plan ...).
CREATE TABLE care_plan (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  encounter_id uuid,
  status text NOT NULL CHECK (status IN ('draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown')),
  title text NOT NULL,
  category_code text,
  period_start timestamptz,
  period_end timestamptz,
  -- [{ code, display, status }]
  activities jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(activities) = 'array'),
  source text NOT NULL CHECK (source IN ('fhir', 'hl7', 'staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, encounter_id) REFERENCES encounter (tenant_id, id)
);
CREATE INDEX care_plan_patient_idx ON care_plan (tenant_id, patient_id, status);

-- Payment history: a claim for a visit and what the payer's explanation of benefit says of it.
CREATE TABLE claim (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  encounter_id uuid,
  status text NOT NULL CHECK (status IN ('active', 'cancelled', 'draft', 'entered-in-error')),
  service_start timestamptz,
  service_end timestamptz,
  total_cents bigint CHECK (total_cents >= 0),
  payer_paid_cents bigint CHECK (payer_paid_cents >= 0),
  patient_paid_cents bigint CHECK (patient_paid_cents >= 0),
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  payer text,
  outcome text CHECK (outcome IN ('queued', 'complete', 'error', 'partial')),
  organization_id uuid,
  source text NOT NULL CHECK (source IN ('fhir', 'hl7', 'staff')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, encounter_id) REFERENCES encounter (tenant_id, id),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organization (tenant_id, id)
);
CREATE INDEX claim_patient_idx ON claim (tenant_id, patient_id, service_start);

-- last_visit_at now follows encounters too: a kept visit here or a visit recorded elsewhere.
CREATE OR REPLACE FUNCTION patient_refresh_last_visit() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    UPDATE patient p
       SET last_visit_at = greatest(
             (SELECT max(a.starts_at) FROM appointment a
               WHERE a.tenant_id = p.tenant_id AND a.patient_id = p.id AND a.status = 'fulfilled'),
             (SELECT max(e.started_at) FROM encounter e
               WHERE e.tenant_id = p.tenant_id AND e.patient_id = p.id
                 AND e.status NOT IN ('planned', 'cancelled', 'entered-in-error')))
      FROM (SELECT DISTINCT tenant_id, patient_id FROM changed_rows) c
     WHERE p.tenant_id = c.tenant_id AND p.id = c.patient_id;
    RETURN NULL;
  END
  $fn$;
CREATE TRIGGER encounter_insert_last_visit AFTER INSERT ON encounter
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION patient_refresh_last_visit();
CREATE TRIGGER encounter_update_last_visit_new AFTER UPDATE ON encounter
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION patient_refresh_last_visit();
CREATE TRIGGER encounter_update_last_visit_old AFTER UPDATE ON encounter
  REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION patient_refresh_last_visit();
CREATE TRIGGER encounter_delete_last_visit AFTER DELETE ON encounter
  REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION patient_refresh_last_visit();
`,
    )
    .execute(db);

  for (const table of ['organization', 'external_ref', 'encounter', 'immunization', 'condition', 'patient_medication', 'care_plan', 'claim']) {
    await isolateTenantTable(db, table);
  }
}
