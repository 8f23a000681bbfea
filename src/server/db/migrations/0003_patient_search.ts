import { sql, type Kysely } from 'kysely';
import { APP_ROLE } from './helpers.ts';

/**
 * Patient search: every patient carries `search_keys`, the words one search box can find them by
 * (name tokens with their one-edit deletions, prefixes and double-metaphone codes; phone endings;
 * emails; MRN and other identifiers), kept by triggers and indexed by one GIN index.
 *
 * Row-level security lets an index serve a condition only when its operator is leakproof, and the
 * array operators are not, so under `rapport_app` the GIN index would never be used. Candidates
 * are therefore found by `rapport_patient_search_candidates`, a SECURITY DEFINER function that
 * filters on the caller's tenant itself and returns only patient ids; every row is then read
 * under row-level security as usual. See docs/decisions/0013-patient-search-keys.md.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Extensions may live outside the tables' schema (some hosts keep them in "extensions").
  const found = await sql<{ ext: string; tables: string }>`
    select (select extnamespace::regnamespace::text from pg_extension where extname = 'fuzzystrmatch') as ext,
           current_schema() as tables`.execute(db);
  const row = found.rows[0];
  if (!row?.ext || !row.tables) throw new Error('fuzzystrmatch is not installed (migration 0002 creates it)');
  const unaccentSchema = await sql<{ ns: string }>`
    select extnamespace::regnamespace::text as ns from pg_extension where extname = 'unaccent'`.execute(db);
  const ua = unaccentSchema.rows[0]?.ns;
  if (!ua) throw new Error('unaccent is not installed (migration 0002 creates it)');
  const ext = row.ext;
  const tables = row.tables;

  await sql
    .raw(
      `
-- A name folded for comparison: no accents, lower case, letters and digits, single spaces.
-- unaccent() is only STABLE because its dictionary could change; naming the dictionary pins it.
CREATE FUNCTION rapport_fold(s text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$ SELECT btrim(regexp_replace(lower(${ua}.unaccent('${ua}.unaccent'::regdictionary, s)), '[^a-z0-9]+', ' ', 'g')) $fn$;

-- The keys one folded name token is stored under:
--   =tok          the token itself (the exact tier)
--   ^t ^to ^tok ^toke  its prefixes of 1 to 4 letters ("joh smi", "j smith")
--   tok, and tok less any one letter (3+ letters)  symmetric deletion: two tokens share a key
--                 when they are one insertion, deletion, substitution or transposition apart
--   #JN           double-metaphone codes (sound-alikes: Smith/Smyth, Catherine/Kathryn)
CREATE FUNCTION rapport_name_token_keys(tok text) RETURNS text[]
  LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$
  DECLARE
    n integer := length(tok);
    keys text[] := ARRAY['=' || tok];
    code text;
    alt text;
  BEGIN
    IF n = 0 THEN RETURN ARRAY[]::text[]; END IF;
    FOR k IN 1..least(n, 4) LOOP keys := keys || ('^' || left(tok, k)); END LOOP;
    IF n >= 3 THEN
      keys := keys || tok;
      FOR i IN 1..n LOOP keys := keys || (left(tok, i - 1) || substr(tok, i + 1)); END LOOP;
    END IF;
    IF n >= 3 AND tok ~ '[a-z]' THEN
      code := ${ext}.dmetaphone(tok);
      alt := ${ext}.dmetaphone_alt(tok);
      IF code <> '' THEN keys := keys || ('#' || code); END IF;
      IF alt <> '' AND alt <> code THEN keys := keys || ('#' || alt); END IF;
    END IF;
    RETURN keys;
  END
  $fn$;

-- What a search for one folded token looks up: =tok (exact), its deletions and its one prefix key
-- (close), and its metaphone codes (#..., sounds alike). The caller sorts them into tiers.
CREATE FUNCTION rapport_name_query_keys(tok text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$
    SELECT array_agg(DISTINCT k) FROM unnest(rapport_name_token_keys(tok)) AS k
     WHERE NOT (k LIKE '^%') OR k = '^' || left(tok, 4)
  $fn$;

-- Phone endings: the last 4, 7 and 10 digits, so any format of a number (and a local number
-- without its area code) finds it.
CREATE FUNCTION rapport_phone_keys(phone text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$
    SELECT array_agg('ph:' || right(d, k)) FROM (SELECT regexp_replace(phone, '[^0-9]', '', 'g') AS d) AS x,
           unnest(ARRAY[4, 7, 10]) AS k
     WHERE length(d) >= k
  $fn$;

-- An identifier as typed in a search: lower case, letters and digits only ("MRN-0100001" = "mrn0100001").
CREATE FUNCTION rapport_identifier_key(value text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$ SELECT nullif(regexp_replace(lower(value), '[^a-z0-9]+', '', 'g'), '') $fn$;

-- Every key of one patient, from the row and its extra contact points and identifiers.
CREATE FUNCTION rapport_patient_search_keys(p_tenant uuid, p_id uuid, given text, family text, preferred text,
                                            phone text, email text, mrn text) RETURNS text[]
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$
    SELECT coalesce(array_agg(DISTINCT k ORDER BY k), ARRAY[]::text[]) FROM (
      SELECT unnest(rapport_name_token_keys(t)) AS k
        FROM regexp_split_to_table(rapport_fold(concat_ws(' ', given, family, preferred)), ' ') AS t
      UNION ALL
      SELECT unnest(rapport_phone_keys(v)) FROM (
        SELECT phone AS v
        UNION ALL
        SELECT value FROM patient_contact_point c WHERE c.tenant_id = p_tenant AND c.patient_id = p_id AND c.system = 'phone'
      ) AS phones
      UNION ALL
      SELECT unnest(ARRAY['em:' || e, 'eml:' || split_part(e, '@', 1)]) FROM (
        SELECT lower(btrim(email)) AS e
        UNION ALL
        SELECT lower(btrim(value)) FROM patient_contact_point c
         WHERE c.tenant_id = p_tenant AND c.patient_id = p_id AND c.system = 'email'
      ) AS emails WHERE e LIKE '_%@%'
      UNION ALL
      SELECT 'mrn:' || rapport_identifier_key(mrn)
      UNION ALL
      SELECT 'id:' || rapport_identifier_key(value) FROM patient_identifier i
       WHERE i.tenant_id = p_tenant AND i.patient_id = p_id
    ) AS all_keys WHERE k IS NOT NULL AND k <> ''
  $fn$;

ALTER TABLE patient ADD COLUMN search_keys text[] NOT NULL DEFAULT ARRAY[]::text[];
UPDATE patient SET search_keys = rapport_patient_search_keys(tenant_id, id, given_name, family_name, preferred_name, phone, email, mrn);

CREATE FUNCTION patient_set_search_keys() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    NEW.search_keys := rapport_patient_search_keys(NEW.tenant_id, NEW.id, NEW.given_name, NEW.family_name,
                                                   NEW.preferred_name, NEW.phone, NEW.email, NEW.mrn);
    RETURN NEW;
  END
  $fn$;
-- Only writes that touch a searched column recompute the keys (not last_visit_at, say).
CREATE TRIGGER patient_search_keys BEFORE INSERT OR UPDATE OF given_name, family_name, preferred_name, phone, email, mrn
  ON patient FOR EACH ROW EXECUTE FUNCTION patient_set_search_keys();

-- Extra contact points and identifiers are searched too: a change to one refreshes its patient(s).
CREATE FUNCTION patient_refresh_search_keys() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  DECLARE
    ids uuid[];
    tenant uuid;
  BEGIN
    IF TG_OP = 'DELETE' THEN
      ids := ARRAY[OLD.patient_id]; tenant := OLD.tenant_id;
    ELSIF TG_OP = 'UPDATE' THEN
      ids := ARRAY[OLD.patient_id, NEW.patient_id]; tenant := NEW.tenant_id;
    ELSE
      ids := ARRAY[NEW.patient_id]; tenant := NEW.tenant_id;
    END IF;
    UPDATE patient p
       SET search_keys = rapport_patient_search_keys(p.tenant_id, p.id, p.given_name, p.family_name, p.preferred_name,
                                                     p.phone, p.email, p.mrn)
     WHERE p.tenant_id = tenant AND p.id = ANY (ids);
    RETURN NULL;
  END
  $fn$;
CREATE TRIGGER patient_contact_point_search_keys AFTER INSERT OR UPDATE OR DELETE ON patient_contact_point
  FOR EACH ROW EXECUTE FUNCTION patient_refresh_search_keys();
CREATE TRIGGER patient_identifier_search_keys AFTER INSERT OR UPDATE OR DELETE ON patient_identifier
  FOR EACH ROW EXECUTE FUNCTION patient_refresh_search_keys();

-- Only searchable patients: archived and merged ones are never results. Without fastupdate: a
-- search would otherwise read the whole pending list (up to 4 MB) until a vacuum merges it, and
-- PGlite never vacuums on its own.
CREATE INDEX patient_search_keys_idx ON patient USING gin (search_keys) WITH (fastupdate = off)
  WHERE archived_at IS NULL AND merged_into_id IS NULL;

-- The ids of the calling tenant's searchable patients found by a search's tiers, narrowest first.
-- A tier is a list of groups and a group a list of keys: a patient is in a tier when, for each
-- group, it holds at least one of the keys. Later tiers run only while fewer than \`enough\` ids
-- were found; each tier brings at most \`max_rows\`.
-- SECURITY DEFINER so the GIN index can serve the array operators (see the top of this file);
-- it filters on rapport_current_tenant() itself, exactly like the tenant_isolation policy, and
-- returns nothing without a tenant. Keys reach the SQL only as quoted literals.
-- The plan is pinned to the GIN index: the tenant test is written so no (tenant_id, ...) btree
-- can serve it, and sequential scans are off. Without that, a never-analyzed table (PGlite has no
-- autovacuum) gets a plan that reads every patient of the tenant.
CREATE FUNCTION rapport_patient_search_candidates(tiers jsonb, enough integer, max_rows integer) RETURNS SETOF uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = ${tables}, pg_temp
  SET enable_seqscan = off
  AS $fn$
  DECLARE
    tenant uuid := rapport_current_tenant();
    cap integer := least(greatest(coalesce(max_rows, 1), 1), 1000);
    seen uuid[] := ARRAY[]::uuid[];
    tier jsonb;
    grp jsonb;
    query text;
    found_id uuid;
  BEGIN
    IF tenant IS NULL OR jsonb_typeof(tiers) IS DISTINCT FROM 'array' OR jsonb_array_length(tiers) > 5 THEN RETURN; END IF;
    FOR tier IN SELECT value FROM jsonb_array_elements(tiers) LOOP
      IF jsonb_typeof(tier) IS DISTINCT FROM 'array' OR jsonb_array_length(tier) NOT BETWEEN 1 AND 10 THEN RETURN; END IF;
      query := 'SELECT id FROM ${tables}.patient WHERE (tenant_id = $1) IS TRUE AND archived_at IS NULL AND merged_into_id IS NULL';
      FOR grp IN SELECT value FROM jsonb_array_elements(tier) LOOP
        IF jsonb_typeof(grp) IS DISTINCT FROM 'array' OR jsonb_array_length(grp) NOT BETWEEN 1 AND 100 THEN RETURN; END IF;
        query := query || format(' AND search_keys && %L::text[]', ARRAY(SELECT jsonb_array_elements_text(grp)));
      END LOOP;
      FOR found_id IN EXECUTE query || ' LIMIT $2' USING tenant, cap LOOP
        IF NOT found_id = ANY (seen) THEN
          seen := seen || found_id;
          RETURN NEXT found_id;
        END IF;
      END LOOP;
      EXIT WHEN cardinality(seen) >= coalesce(enough, 1);
    END LOOP;
  END
  $fn$;
REVOKE ALL ON FUNCTION rapport_patient_search_candidates(jsonb, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rapport_patient_search_candidates(jsonb, integer, integer) TO ${APP_ROLE};
`,
    )
    .execute(db);
}
