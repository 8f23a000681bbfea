import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * Blocking keys for duplicate detection: for every patient, the short strings two records of one
 * person are likely to share (a phonetic name key, the birth date with day and month in order, each
 * phone's digits, each email, the MRN, each identifier). Finding candidates for a record is then one
 * indexed equality join, whatever wrote the patient: triggers keep the keys in step with patient,
 * patient_contact_point and patient_identifier, so patient create, update, import and merge need not
 * know about them.
 *
 * Why a table and not expression indexes: under row-level security PostgreSQL only uses an index
 * for a condition whose functions are leakproof; lower(), dmetaphone() and regexp_replace() are not,
 * so `where dmetaphone(family_name) = $1` would scan the whole tenant. `key = $1` on a stored text
 * column is leakproof and uses the index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Extensions may live outside the tables' schema (some hosts keep them in "extensions").
  const found = await sql<{ ext: string | null }>`
    select (select extnamespace::regnamespace::text from pg_extension where extname = 'fuzzystrmatch') as ext`.execute(db);
  const ext = found.rows[0]?.ext;
  if (!ext) throw new Error('fuzzystrmatch is not installed (migration 0002 creates it)');
  await sql
    .raw(
      `
-- 'b:' year with month and day in ascending order, so a day/month swap lands on the same key.
CREATE FUNCTION patient_birth_match_key(birth date) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT 'b:' || extract(year FROM birth)::int || '-'
                 || least(extract(month FROM birth), extract(day FROM birth))::int || '-'
                 || greatest(extract(month FROM birth), extract(day FROM birth))::int $fn$;

-- The name keys, by double metaphone (Jonson and Johnson both sound JNSN):
--   'n:'  family and given name: a birth date mistyped or missing;
--   'fy:' family name and birth year, 'fd:' family name and birth day and month (in either order):
--         a given name changed (nickname, typo) together with one wrong digit in the birth date.
CREATE FUNCTION patient_name_match_keys(given text, family text, birth date) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN coalesce(${ext}.dmetaphone(family), '') <> '' THEN ARRAY[
            'n:' || ${ext}.dmetaphone(family) || '|' || coalesce(${ext}.dmetaphone(given), ''),
            'fy:' || ${ext}.dmetaphone(family) || '|' || extract(year FROM birth)::int,
            'fd:' || ${ext}.dmetaphone(family) || '|' || substr(patient_birth_match_key(birth), 8)
          ] END $fn$;

-- 'p:' a phone's digits, 'e:' an email in lower case.
CREATE FUNCTION contact_match_key(system text, value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE system
                   WHEN 'phone' THEN 'p:' || nullif(regexp_replace(value, '[^0-9]', '', 'g'), '')
                   WHEN 'email' THEN 'e:' || nullif(lower(btrim(value)), '')
                 END $fn$;

-- 'i:' system and value; an MRN kept by a merge as an identifier counts as an MRN ('m:').
CREATE FUNCTION identifier_match_key(system text, value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT CASE WHEN system = 'urn:rapport:previous-mrn' THEN 'm:' || btrim(value)
                      ELSE 'i:' || system || '|' || btrim(value) END $fn$;

CREATE FUNCTION patient_match_keys(given text, family text, birth date, phone text, email text, mrn text) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $fn$ SELECT array_remove(coalesce(patient_name_match_keys(given, family, birth), ARRAY[]::text[]) || ARRAY[
            patient_birth_match_key(birth),
            contact_match_key('phone', phone),
            contact_match_key('email', email),
            'm:' || nullif(btrim(mrn), '')
          ], NULL) $fn$;

CREATE TABLE patient_match_key (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  patient_id uuid NOT NULL,
  source text NOT NULL CHECK (source IN ('patient', 'contact_point', 'identifier')),
  source_id uuid NOT NULL,
  key text NOT NULL,
  PRIMARY KEY (tenant_id, source, source_id, key),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX patient_match_key_key_idx ON patient_match_key (tenant_id, key, patient_id);
CREATE INDEX patient_match_key_patient_idx ON patient_match_key (tenant_id, patient_id);

-- Inserts are per statement (a bulk import or seed inserts thousands of rows at once); updates and
-- deletes are per row, and a patient update only when a keyed column really changed (appointments
-- touch last_visit_at on every booking, which must cost nothing here).
CREATE FUNCTION patient_match_key_add_patients() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    INSERT INTO patient_match_key (tenant_id, patient_id, source, source_id, key)
    SELECT n.tenant_id, n.id, 'patient', n.id, k
      FROM new_rows n, unnest(patient_match_keys(n.given_name, n.family_name, n.birth_date, n.phone, n.email, n.mrn)) k;
    RETURN NULL;
  END
  $fn$;
CREATE TRIGGER patient_match_key_insert AFTER INSERT ON patient
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_match_key_add_patients();

CREATE FUNCTION patient_match_key_refresh_patient() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    DELETE FROM patient_match_key WHERE tenant_id = NEW.tenant_id AND source = 'patient' AND source_id = NEW.id;
    INSERT INTO patient_match_key (tenant_id, patient_id, source, source_id, key)
    SELECT NEW.tenant_id, NEW.id, 'patient', NEW.id, k
      FROM unnest(patient_match_keys(NEW.given_name, NEW.family_name, NEW.birth_date, NEW.phone, NEW.email, NEW.mrn)) k;
    RETURN NULL;
  END
  $fn$;
CREATE TRIGGER patient_match_key_update AFTER UPDATE OF given_name, family_name, birth_date, phone, email, mrn ON patient
  FOR EACH ROW
  WHEN ((OLD.given_name, OLD.family_name, OLD.birth_date, OLD.phone, OLD.email, OLD.mrn)
        IS DISTINCT FROM (NEW.given_name, NEW.family_name, NEW.birth_date, NEW.phone, NEW.email, NEW.mrn))
  EXECUTE FUNCTION patient_match_key_refresh_patient();

-- Contact points and identifiers (TG_ARGV[0] says which): new rows add their key, changed or
-- deleted rows drop theirs first.
CREATE FUNCTION patient_match_key_add_side_rows() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    INSERT INTO patient_match_key (tenant_id, patient_id, source, source_id, key)
    SELECT n.tenant_id, n.patient_id, TG_ARGV[0], n.id,
           CASE TG_ARGV[0] WHEN 'contact_point' THEN contact_match_key(n.system, n.value) ELSE identifier_match_key(n.system, n.value) END
      FROM new_rows n
     WHERE CASE TG_ARGV[0] WHEN 'contact_point' THEN contact_match_key(n.system, n.value) ELSE identifier_match_key(n.system, n.value) END IS NOT NULL;
    RETURN NULL;
  END
  $fn$;

CREATE FUNCTION patient_match_key_refresh_side_row() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  DECLARE
    k text;
  BEGIN
    DELETE FROM patient_match_key WHERE tenant_id = OLD.tenant_id AND source = TG_ARGV[0] AND source_id = OLD.id;
    IF TG_OP = 'UPDATE' THEN
      k := CASE TG_ARGV[0] WHEN 'contact_point' THEN contact_match_key(NEW.system, NEW.value) ELSE identifier_match_key(NEW.system, NEW.value) END;
      IF k IS NOT NULL THEN
        INSERT INTO patient_match_key (tenant_id, patient_id, source, source_id, key) VALUES (NEW.tenant_id, NEW.patient_id, TG_ARGV[0], NEW.id, k);
      END IF;
    END IF;
    RETURN NULL;
  END
  $fn$;

CREATE TRIGGER patient_match_key_insert AFTER INSERT ON patient_contact_point
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_match_key_add_side_rows('contact_point');
CREATE TRIGGER patient_match_key_change AFTER UPDATE OR DELETE ON patient_contact_point
  FOR EACH ROW EXECUTE FUNCTION patient_match_key_refresh_side_row('contact_point');
CREATE TRIGGER patient_match_key_insert AFTER INSERT ON patient_identifier
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patient_match_key_add_side_rows('identifier');
CREATE TRIGGER patient_match_key_change AFTER UPDATE OR DELETE ON patient_identifier
  FOR EACH ROW EXECUTE FUNCTION patient_match_key_refresh_side_row('identifier');

INSERT INTO patient_match_key (tenant_id, patient_id, source, source_id, key)
SELECT p.tenant_id, p.id, 'patient', p.id, k
  FROM patient p, unnest(patient_match_keys(p.given_name, p.family_name, p.birth_date, p.phone, p.email, p.mrn)) k;
INSERT INTO patient_match_key (tenant_id, patient_id, source, source_id, key)
SELECT c.tenant_id, c.patient_id, 'contact_point', c.id, contact_match_key(c.system, c.value)
  FROM patient_contact_point c WHERE contact_match_key(c.system, c.value) IS NOT NULL;
INSERT INTO patient_match_key (tenant_id, patient_id, source, source_id, key)
SELECT i.tenant_id, i.patient_id, 'identifier', i.id, identifier_match_key(i.system, i.value)
  FROM patient_identifier i;
`,
    )
    .execute(db);
  // Written and cleared only by the triggers above, which run as the application role.
  await isolateTenantTable(db, 'patient_match_key', ['SELECT', 'INSERT', 'DELETE']);
}
