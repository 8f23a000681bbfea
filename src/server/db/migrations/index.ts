import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_patient_record.ts';
import * as m0003 from './0003_patient_search.ts';
import * as m0004 from './0004_duplicates.ts';
import * as m0005 from './0005_import_run.ts';
import * as m0006 from './0006_scheduling.ts';
import * as m0007 from './0007_communications.ts';
import * as m0008 from './0008_interop.ts';
import * as m0009 from './0009_fhir.ts';
import * as m0010 from './0010_hl7.ts';
import * as m0011 from './0011_webhooks.ts';
import * as m0012 from './0012_care_instructions.ts';

/** Every migration, in order. Append new ones; never edit one that has landed. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_patient_record': m0002,
  '0003_patient_search': m0003,
  '0004_duplicates': m0004,
  '0005_import_run': m0005,
  '0006_scheduling': m0006,
  '0007_communications': m0007,
  '0008_interop': m0008,
  '0009_fhir': m0009,
  '0010_hl7': m0010,
  '0011_webhooks': m0011,
  '0012_care_instructions': m0012,
};
