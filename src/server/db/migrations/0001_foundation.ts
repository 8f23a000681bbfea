import { sql, type Kysely } from 'kysely';
import { APP_ROLE, isolateTenantTable } from './helpers.ts';

/**
 * Tenants, the clinic's structure (locations, departments, practitioners, services), patients and
 * appointments at their simplest, staff users with sessions and API tokens, and the audit log.
 * Later migrations extend these tables; this one is never edited once landed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
    BEGIN
      CREATE ROLE ${APP_ROLE} NOLOGIN NOINHERIT NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database on this server created it at the same moment
    END;
  END IF;
  IF NOT pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') THEN
    EXECUTE format('GRANT ${APP_ROLE} TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO ${APP_ROLE};

CREATE FUNCTION rapport_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE
  AS $fn$ SELECT nullif(current_setting('rapport.tenant_id', true), '')::uuid $fn$;

CREATE TABLE tenant (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  time_zone text NOT NULL DEFAULT 'UTC',
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenant ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_self ON tenant USING (id = rapport_current_tenant());
GRANT SELECT ON tenant TO ${APP_ROLE};

CREATE TABLE location (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL,
  address_line text,
  city text,
  postal_code text,
  phone text,
  time_zone text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE department (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  location_id uuid NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id)
);

CREATE TABLE practitioner (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  department_id uuid,
  prefix text,
  given_name text NOT NULL,
  family_name text NOT NULL,
  specialty text,
  email text,
  phone text,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES department (tenant_id, id)
);

CREATE TABLE service (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  department_id uuid,
  name text NOT NULL,
  duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 720),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES department (tenant_id, id)
);

CREATE TABLE patient (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  mrn text,
  given_name text NOT NULL,
  family_name text NOT NULL,
  preferred_name text,
  birth_date date,
  sex text CHECK (sex IN ('female', 'male', 'other', 'unknown')),
  phone text,
  email text,
  address_line text,
  city text,
  postal_code text,
  language text,
  time_zone text,
  lifecycle_status text NOT NULL DEFAULT 'active'
    CHECK (lifecycle_status IN ('lead', 'active', 'lapsed', 'inactive', 'deceased')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, mrn)
);
CREATE INDEX patient_name_idx ON patient (tenant_id, lower(family_name), lower(given_name), id);

CREATE TABLE appointment (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  practitioner_id uuid NOT NULL,
  location_id uuid NOT NULL,
  service_id uuid NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  time_zone text NOT NULL,
  status text NOT NULL CHECK (status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (ends_at > starts_at),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES service (tenant_id, id)
);
CREATE INDEX appointment_patient_idx ON appointment (tenant_id, patient_id, starts_at);
CREATE INDEX appointment_start_idx ON appointment (tenant_id, starts_at);

CREATE TABLE app_user (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text NOT NULL,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'clinician', 'front_desk', 'marketing')),
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  disabled_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
-- Sign-in starts from an email alone, so an email names one user across all tenants.
CREATE UNIQUE INDEX app_user_email_key ON app_user (lower(email));

CREATE TABLE auth_session (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  token_hash text NOT NULL UNIQUE,
  user_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ip text,
  user_agent text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES app_user (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE api_token (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  token_hash text NOT NULL UNIQUE,
  user_id uuid NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES app_user (tenant_id, id) ON DELETE CASCADE
);

-- Not tenant-owned: a failed sign-in may name an email no tenant has.
CREATE TABLE login_attempt (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email_key text NOT NULL,
  ip text NOT NULL,
  succeeded boolean NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempt_email_idx ON login_attempt (email_key, attempted_at);
CREATE INDEX login_attempt_ip_idx ON login_attempt (ip, attempted_at);

CREATE TABLE audit_event (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_token', 'system', 'public')),
  actor_id uuid,
  action text NOT NULL,
  entity_type text,
  entity_id text,
  patient_id uuid,
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  request_id text,
  ip text,
  user_agent text,
  detail jsonb,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_event_time_idx ON audit_event (tenant_id, occurred_at);
CREATE INDEX audit_event_patient_idx ON audit_event (tenant_id, patient_id, occurred_at) WHERE patient_id IS NOT NULL;

-- The audit log is append-only for everyone, the owner included.
CREATE FUNCTION audit_event_is_append_only() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$ BEGIN RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege'; END $fn$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only();
`,
    )
    .execute(db);

  for (const table of [
    'location',
    'department',
    'practitioner',
    'service',
    'patient',
    'appointment',
    'app_user',
    'auth_session',
    'api_token',
  ]) {
    await isolateTenantTable(db, table);
  }
  await isolateTenantTable(db, 'audit_event', ['SELECT', 'INSERT']);
}
