import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_foundation.ts';
import * as m0002 from './0002_patient_record.ts';
import * as m0003 from './0003_patient_search.ts';
import * as m0004 from './0004_duplicates.ts';
import * as m0005 from './0005_import_run.ts';
import * as m0006 from './0006_scheduling.ts';
import * as m0007 from './0007_communications.ts';

/** Every migration, in order. Append new ones; never edit one that has landed. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_patient_record': m0002,
  '0003_patient_search': m0003,
  '0004_duplicates': m0004,
  '0005_import_run': m0005,
  '0006_scheduling': m0006,
  '0007_communications': m0007,
};
