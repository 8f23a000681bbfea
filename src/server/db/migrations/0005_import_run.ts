import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * CSV imports of patients: one row per run, holding the file until the run finishes (then it is
 * cleared), the mapping and options it ran with, its progress (processed_rows is written in the
 * same transaction as each batch of rows, so a run resumes exactly where it stopped) and what it
 * did, with the problems of the rows it skipped.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE import_run (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  mapping jsonb NOT NULL CHECK (jsonb_typeof(mapping) = 'object'),
  options jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(options) = 'object'),
  dry_run boolean NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
  total_rows integer NOT NULL CHECK (total_rows >= 0),
  processed_rows integer NOT NULL DEFAULT 0 CHECK (processed_rows BETWEEN 0 AND total_rows),
  created integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  unchanged integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  sent_to_review integer NOT NULL DEFAULT 0,
  -- The first problems, as { line, field, value, message }; problem_count counts them all.
  problems jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(problems) = 'array'),
  problem_count integer NOT NULL DEFAULT 0,
  warnings jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(warnings) = 'array'),
  error text,
  -- The file itself, until the run ends.
  csv text,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES app_user (tenant_id, id)
);
CREATE INDEX import_run_recent_idx ON import_run (tenant_id, created_at DESC);
`,
    )
    .execute(db);
  // Runs are kept as a record of what was imported: updated while they run, never deleted.
  await isolateTenantTable(db, 'import_run', ['SELECT', 'INSERT', 'UPDATE']);
}
