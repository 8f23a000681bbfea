import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * Tables of the HL7 v2 listener: the log of messages received over MLLP, with the ACK each got.
 * A message that was applied (AA) is also the key that makes a resend harmless: the same sender,
 * control id (MSH-10) and content find the stored ACK instead of being applied twice. A message that
 * failed (AE) is kept for staff to see but is no such key, so a corrected resend is processed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE hl7_message (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  received_at timestamptz NOT NULL,
  sending_application text NOT NULL CHECK (length(sending_application) <= 227),
  sending_facility text NOT NULL CHECK (length(sending_facility) <= 227),
  control_id text NOT NULL CHECK (length(control_id) BETWEEN 1 AND 199),
  message_type text NOT NULL CHECK (length(message_type) BETWEEN 1 AND 20),
  -- sha256 of the segments joined by CR, MSH-7 left out: a resend may be stamped anew.
  content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  status text NOT NULL CHECK (status IN ('processed', 'error')),
  ack_code text NOT NULL CHECK (ack_code IN ('AA', 'AE')),
  ack text NOT NULL,
  error_code text,
  error_message text,
  patient_id uuid,
  entity_type text,
  entity_id uuid,
  remote_address text,
  raw text NOT NULL,
  PRIMARY KEY (tenant_id, id),
  -- The message log says which record a message touched when it came; a later merge does not rewrite it.
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  CHECK ((status = 'processed') = (ack_code = 'AA'))
);
CREATE UNIQUE INDEX hl7_message_once_idx ON hl7_message (tenant_id, sending_application, sending_facility, control_id, content_hash)
  WHERE status = 'processed';
CREATE INDEX hl7_message_received_idx ON hl7_message (tenant_id, received_at DESC, id DESC);
`,
    )
    .execute(db);
  await isolateTenantTable(db, 'hl7_message', ['SELECT', 'INSERT']);
}
