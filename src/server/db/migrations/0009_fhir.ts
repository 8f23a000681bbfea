import { sql, type Kysely } from 'kysely';
import { APP_ROLE } from './helpers.ts';

/**
 * What the FHIR API needs beyond the tables it maps:
 *
 * - `task.version`, bumped by a trigger on every update whoever makes it, so a Task has a
 *   meta.versionId and a stale If-Match is refused like a Patient's or an Appointment's.
 * - An index for `_sort=-_lastUpdated` on patients.
 * - `rapport_fhir_patient_candidates`, the ids of the caller's searchable patients holding, for
 *   each group, one of its search keys (migration 0003). Patient search by name, phone, email or
 *   bare identifier narrows with it first: under row-level security the GIN index cannot serve the
 *   array operator (it is not leakproof), so, like `rapport_patient_search_candidates`, this is a
 *   SECURITY DEFINER function that filters on the caller's tenant itself. Unlike that one it has no
 *   cap, because FHIR search pages through every match; the exact FHIR semantics (prefix of a name
 *   part, phone ending, exact email) are applied to the candidates under row-level security.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const found = await sql<{ tables: string }>`select current_schema() as tables`.execute(db);
  const tables = found.rows[0]?.tables;
  if (!tables) throw new Error('no current schema');
  await sql
    .raw(
      `
ALTER TABLE task ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE FUNCTION task_bump_version() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
  END
  $fn$;
CREATE TRIGGER task_version BEFORE UPDATE ON task FOR EACH ROW EXECUTE FUNCTION task_bump_version();

CREATE INDEX patient_updated_idx ON patient (tenant_id, updated_at, id);

-- criteria: a JSON array of { "kind": "name" | "phone" | "email" | "identifier", "values": [text] }.
-- Each criterion must hold (AND); within one, any value may (OR). A name value's every token must
-- hold (AND) when it is the only value; with several values, the first token of each (OR).
CREATE FUNCTION rapport_fhir_patient_candidates(criteria jsonb) RETURNS SETOF uuid
  LANGUAGE plpgsql STABLE SECURITY DEFINER
  SET search_path = ${tables}, pg_temp
  SET enable_seqscan = off
  AS $fn$
  DECLARE
    tenant uuid := rapport_current_tenant();
    criterion jsonb;
    kind text;
    vals text[];
    grp text[];
    tokens text[];
    tok text;
    digits text;
    k integer;
    query text;
    groups integer := 0;
  BEGIN
    IF tenant IS NULL OR jsonb_typeof(criteria) IS DISTINCT FROM 'array' OR jsonb_array_length(criteria) > 20 THEN RETURN; END IF;
    query := 'SELECT id FROM ${tables}.patient WHERE (tenant_id = $1) IS TRUE AND archived_at IS NULL AND merged_into_id IS NULL';
    FOR criterion IN SELECT value FROM jsonb_array_elements(criteria) LOOP
      kind := criterion ->> 'kind';
      vals := ARRAY(SELECT jsonb_array_elements_text(criterion -> 'values'));
      IF cardinality(vals) NOT BETWEEN 1 AND 50 THEN RETURN; END IF;
      IF kind = 'name' AND cardinality(vals) = 1 THEN
        tokens := regexp_split_to_array(rapport_fold(vals[1]), ' ');
        FOREACH tok IN ARRAY tokens LOOP
          IF tok <> '' THEN
            query := query || format(' AND search_keys && %L::text[]', ARRAY['^' || left(tok, 4)]);
            groups := groups + 1;
          END IF;
        END LOOP;
        CONTINUE;
      END IF;
      grp := ARRAY[]::text[];
      FOREACH tok IN ARRAY vals LOOP
        IF kind = 'name' THEN
          tok := split_part(rapport_fold(tok), ' ', 1);
          IF tok <> '' THEN grp := grp || ('^' || left(tok, 4)); END IF;
        ELSIF kind = 'phone' THEN
          digits := regexp_replace(tok, '[^0-9]', '', 'g');
          k := CASE WHEN length(digits) >= 10 THEN 10 WHEN length(digits) >= 7 THEN 7 WHEN length(digits) >= 4 THEN 4 ELSE 0 END;
          IF k > 0 THEN grp := grp || ('ph:' || right(digits, k)); END IF;
        ELSIF kind = 'email' THEN
          grp := grp || ('em:' || lower(btrim(tok)));
        ELSIF kind = 'identifier' THEN
          grp := grp || ('id:' || rapport_identifier_key(tok)) || ('mrn:' || rapport_identifier_key(tok));
        END IF;
      END LOOP;
      grp := array_remove(grp, NULL);
      -- A criterion that gives no key cannot be looked up this way: the caller refuses such values.
      IF cardinality(grp) = 0 THEN RETURN; END IF;
      query := query || format(' AND search_keys && %L::text[]', grp);
      groups := groups + 1;
    END LOOP;
    IF groups = 0 THEN RETURN; END IF;
    RETURN QUERY EXECUTE query USING tenant;
  END
  $fn$;
REVOKE ALL ON FUNCTION rapport_fhir_patient_candidates(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rapport_fhir_patient_candidates(jsonb) TO ${APP_ROLE};
`,
    )
    .execute(db);
}
