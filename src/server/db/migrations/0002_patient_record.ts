import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * Patient 360: the full patient record (demographics, preferences, source, custom fields), its
 * identifiers, extra contact points, household links and tags; the field-level change history;
 * one timeline for every touch; tasks; leads; duplicate candidates and reversible merges; saved
 * views. Also the extensions search and scheduling rely on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A patient counts as lapsed when their last kept visit is older than this many days.
ALTER TABLE tenant ADD COLUMN lapsed_after_days integer NOT NULL DEFAULT 548
  CHECK (lapsed_after_days BETWEEN 30 AND 3650);
-- A clinic's administrator changes its own settings; the row policy keeps it to their tenant.
GRANT UPDATE (name, time_zone, lapsed_after_days) ON tenant TO rapport_app;

-- Lapsed is derived, never stored: stored statuses are lead, active, inactive and deceased.
UPDATE patient SET lifecycle_status = 'active' WHERE lifecycle_status = 'lapsed';
ALTER TABLE patient DROP CONSTRAINT patient_lifecycle_status_check;
ALTER TABLE patient ADD CONSTRAINT patient_lifecycle_status_check
  CHECK (lifecycle_status IN ('lead', 'active', 'inactive', 'deceased'));

ALTER TABLE patient
  ADD COLUMN gender_identity text,
  ADD COLUMN pronouns text,
  ADD COLUMN region text,
  ADD COLUMN country text CHECK (country ~ '^[A-Z]{2}$'),
  ADD COLUMN phone_use text NOT NULL DEFAULT 'mobile' CHECK (phone_use IN ('home', 'work', 'mobile', 'other')),
  ADD COLUMN email_use text NOT NULL DEFAULT 'home' CHECK (email_use IN ('home', 'work', 'mobile', 'other')),
  ADD COLUMN preferred_channel text CHECK (preferred_channel IN ('sms', 'email', 'phone', 'portal', 'mail')),
  ADD COLUMN quiet_hours_start time,
  ADD COLUMN quiet_hours_end time,
  ADD COLUMN custom_fields jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(custom_fields) = 'object'),
  ADD COLUMN source_channel text,
  ADD COLUMN source_campaign text,
  ADD COLUMN source_referrer text,
  ADD COLUMN utm_source text,
  ADD COLUMN utm_medium text,
  ADD COLUMN utm_campaign text,
  ADD COLUMN utm_term text,
  ADD COLUMN utm_content text,
  ADD COLUMN last_visit_at timestamptz,
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD COLUMN merged_into_id uuid,
  ADD CONSTRAINT patient_quiet_hours_check CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)),
  ADD CONSTRAINT patient_merged_into_fk FOREIGN KEY (tenant_id, merged_into_id) REFERENCES patient (tenant_id, id);

CREATE INDEX patient_last_visit_idx ON patient (tenant_id, last_visit_at);
CREATE INDEX patient_email_idx ON patient (tenant_id, lower(email));
CREATE INDEX patient_phone_idx ON patient (tenant_id, phone);
CREATE INDEX patient_birth_date_idx ON patient (tenant_id, birth_date);

-- The effective lifecycle: an active patient whose last kept visit (or, without one, whose
-- registration) is older than the tenant's threshold, and who has nothing booked, is lapsed.
CREATE FUNCTION patient_lifecycle(status text, last_visit_at timestamptz, created_at timestamptz,
                                  lapsed_after_days integer, at timestamptz,
                                  next_visit_at timestamptz DEFAULT NULL) RETURNS text
  LANGUAGE sql IMMUTABLE
  AS $fn$
    SELECT CASE
      WHEN status = 'active' AND next_visit_at IS NULL
           AND coalesce(last_visit_at, created_at) < at - make_interval(days => lapsed_after_days)
        THEN 'lapsed'
      ELSE status
    END
  $fn$;

-- last_visit_at follows the appointments whatever writes them (booking, import, seed).
CREATE FUNCTION patient_refresh_last_visit() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    -- A join on the primary key, so the plan stays an index look-up per changed patient even
    -- before the table has statistics.
    UPDATE patient p
       SET last_visit_at = (SELECT max(a.starts_at) FROM appointment a
                             WHERE a.tenant_id = p.tenant_id AND a.patient_id = p.id AND a.status = 'fulfilled')
      FROM (SELECT DISTINCT tenant_id, patient_id FROM changed_rows) c
     WHERE p.tenant_id = c.tenant_id AND p.id = c.patient_id;
    RETURN NULL;
  END
  $fn$;
CREATE TRIGGER appointment_insert_last_visit AFTER INSERT ON appointment
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION patient_refresh_last_visit();
CREATE TRIGGER appointment_update_last_visit_new AFTER UPDATE ON appointment
  REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION patient_refresh_last_visit();
CREATE TRIGGER appointment_update_last_visit_old AFTER UPDATE ON appointment
  REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION patient_refresh_last_visit();

UPDATE patient p SET last_visit_at = v.last
  FROM (SELECT tenant_id, patient_id, max(starts_at) AS last FROM appointment
         WHERE status = 'fulfilled' GROUP BY tenant_id, patient_id) v
 WHERE v.tenant_id = p.tenant_id AND v.patient_id = p.id;

-- Identifiers other than the tenant's own MRN (patient.mrn): EHR ids, insurance member ids ...
CREATE TABLE patient_identifier (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  system text NOT NULL CHECK (length(system) BETWEEN 1 AND 200),
  value text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, system, value),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX patient_identifier_patient_idx ON patient_identifier (tenant_id, patient_id);

-- Contact points beyond the primary phone and email kept on the patient row.
CREATE TABLE patient_contact_point (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  system text NOT NULL CHECK (system IN ('phone', 'email')),
  value text NOT NULL,
  use text NOT NULL DEFAULT 'other' CHECK (use IN ('home', 'work', 'mobile', 'other')),
  rank integer NOT NULL DEFAULT 2,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX patient_contact_point_patient_idx ON patient_contact_point (tenant_id, patient_id);
CREATE INDEX patient_contact_point_value_idx ON patient_contact_point (tenant_id, system, lower(value));

-- Household: "patient_id is guardian of related_id", "patient_id shares a phone with related_id".
CREATE TABLE patient_link (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  related_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('guardian_of', 'shares_phone_with')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, patient_id, related_id, kind),
  CHECK (patient_id <> related_id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, related_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX patient_link_related_idx ON patient_link (tenant_id, related_id);

CREATE TABLE tag (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
  color text NOT NULL DEFAULT 'gray',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX tag_name_key ON tag (tenant_id, lower(name));

CREATE TABLE patient_tag (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  patient_id uuid NOT NULL,
  tag_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, patient_id, tag_id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, tag_id) REFERENCES tag (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX patient_tag_tag_idx ON patient_tag (tenant_id, tag_id);

-- Tenant-defined fields; values live in patient.custom_fields under the field's key.
CREATE TABLE custom_field (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  type text NOT NULL CHECK (type IN ('text', 'number', 'date', 'choice')),
  choices text[],
  required boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, key),
  CHECK ((type = 'choice') = (choices IS NOT NULL AND cardinality(choices) > 0))
);

-- Field-level history: every change to a patient, who made it, from what to what.
CREATE TABLE patient_change (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  change_set uuid NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_type text NOT NULL,
  actor_id uuid,
  field text NOT NULL,
  old_value jsonb,
  new_value jsonb,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX patient_change_patient_idx ON patient_change (tenant_id, patient_id, changed_at DESC);

-- Leads: a first call or web form, before (or linked to) a patient.
CREATE TABLE lead (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  given_name text NOT NULL,
  family_name text NOT NULL,
  birth_date date,
  phone text,
  email text,
  interest text,
  message text,
  stage text NOT NULL DEFAULT 'new' CHECK (stage IN ('new', 'contacted', 'qualified', 'converted', 'lost')),
  lost_reason text,
  owner_id uuid,
  patient_id uuid,
  origin text NOT NULL CHECK (origin IN ('staff', 'api', 'web_form', 'import')),
  source_channel text,
  source_campaign text,
  source_referrer text,
  utm_source text,
  utm_medium text,
  utm_campaign text,
  utm_term text,
  utm_content text,
  created_at timestamptz NOT NULL DEFAULT now(),
  stage_changed_at timestamptz NOT NULL DEFAULT now(),
  converted_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES app_user (tenant_id, id)
);
CREATE INDEX lead_stage_idx ON lead (tenant_id, stage, stage_changed_at DESC);
CREATE INDEX lead_patient_idx ON lead (tenant_id, patient_id);

-- One stream of every touch. kind is open-ended: later modules add kinds (appointment, message,
-- survey, payment, campaign ...) without changing this table. A lead's events carry lead_id and
-- gain patient_id when the lead converts.
CREATE TABLE timeline_event (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid,
  lead_id uuid,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_.]{0,62}$'),
  summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  actor_type text NOT NULL,
  actor_id uuid,
  subject_type text,
  subject_id uuid,
  PRIMARY KEY (tenant_id, id),
  CHECK (patient_id IS NOT NULL OR lead_id IS NOT NULL),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, lead_id) REFERENCES lead (tenant_id, id)
);
CREATE INDEX timeline_event_patient_idx ON timeline_event (tenant_id, patient_id, occurred_at DESC, recorded_at DESC, id DESC);
CREATE INDEX timeline_event_lead_idx ON timeline_event (tenant_id, lead_id, occurred_at DESC) WHERE lead_id IS NOT NULL;
CREATE INDEX timeline_event_subject_idx ON timeline_event (tenant_id, subject_type, subject_id) WHERE subject_id IS NOT NULL;

CREATE TABLE task (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description text,
  assignee_id uuid,
  due_at timestamptz,
  priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES app_user (tenant_id, id)
);
CREATE INDEX task_assignee_idx ON task (tenant_id, assignee_id, status, due_at);
CREATE INDEX task_patient_idx ON task (tenant_id, patient_id, status);
CREATE INDEX task_due_idx ON task (tenant_id, status, due_at);

-- Pairs of patients that may be one person. patient_a < patient_b, so a pair appears once.
CREATE TABLE duplicate_candidate (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_a uuid NOT NULL,
  patient_b uuid NOT NULL,
  score numeric(5, 4) NOT NULL CHECK (score BETWEEN 0 AND 1),
  reasons jsonb NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'merged', 'dismissed')),
  detected_by text NOT NULL CHECK (detected_by IN ('create', 'update', 'import', 'scan')),
  detected_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolved_by uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, patient_a, patient_b),
  CHECK (patient_a < patient_b),
  FOREIGN KEY (tenant_id, patient_a) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_b) REFERENCES patient (tenant_id, id)
);
CREATE INDEX duplicate_candidate_open_idx ON duplicate_candidate (tenant_id, status, score DESC);
CREATE INDEX duplicate_candidate_b_idx ON duplicate_candidate (tenant_id, patient_b);

-- A merge keeps everything needed to undo it: both rows as they were and every row it moved.
CREATE TABLE patient_merge (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  survivor_id uuid NOT NULL,
  merged_id uuid NOT NULL,
  chosen jsonb NOT NULL,
  survivor_before jsonb NOT NULL,
  merged_before jsonb NOT NULL,
  moved jsonb NOT NULL,
  merged_at timestamptz NOT NULL DEFAULT now(),
  merged_by uuid,
  undone_at timestamptz,
  undone_by uuid,
  PRIMARY KEY (tenant_id, id),
  CHECK (survivor_id <> merged_id),
  FOREIGN KEY (tenant_id, survivor_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, merged_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX patient_merge_survivor_idx ON patient_merge (tenant_id, survivor_id, merged_at DESC);
CREATE INDEX patient_merge_merged_idx ON patient_merge (tenant_id, merged_id, merged_at DESC);

-- A named patient-list filter; shared views are visible to the whole tenant.
CREATE TABLE saved_view (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  owner_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  filters jsonb NOT NULL,
  shared boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES app_user (tenant_id, id) ON DELETE CASCADE
);

-- Fixed-window counters for public endpoints (web forms, booking), shared by every process.
CREATE TABLE rate_limit_counter (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
`,
    )
    .execute(db);

  for (const table of [
    'patient_identifier',
    'patient_contact_point',
    'patient_link',
    'tag',
    'patient_tag',
    'custom_field',
    'lead',
    'task',
    'duplicate_candidate',
    'saved_view',
  ]) {
    await isolateTenantTable(db, table);
  }
  // History, timeline and merges are written once; a merge is undone by a new row state, and
  // timeline rows only ever move between patients (merge) or gain a patient (lead conversion).
  await isolateTenantTable(db, 'patient_change', ['SELECT', 'INSERT', 'UPDATE']);
  await isolateTenantTable(db, 'timeline_event', ['SELECT', 'INSERT', 'UPDATE']);
  await isolateTenantTable(db, 'patient_merge', ['SELECT', 'INSERT', 'UPDATE']);
}
