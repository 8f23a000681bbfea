import type { ColumnType, Generated } from 'kysely';

/** Tables of the HL7 v2 listener (migration 0010_hl7), kept by hand beside the migration. */

export type Hl7MessageStatus = 'processed' | 'error';

export interface Hl7MessageTable {
  tenant_id: string;
  id: Generated<string>;
  received_at: ColumnType<Date, Date | string, Date | string>;
  sending_application: string;
  sending_facility: string;
  control_id: string;
  message_type: string;
  content_hash: string;
  status: Hl7MessageStatus;
  ack_code: 'AA' | 'AE';
  ack: string;
  error_code: string | null;
  error_message: string | null;
  patient_id: string | null;
  entity_type: string | null;
  entity_id: string | null;
  remote_address: string | null;
  raw: string;
}

export interface Hl7Tables {
  hl7_message: Hl7MessageTable;
}
