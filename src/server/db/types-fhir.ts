/**
 * Tables of the FHIR API (migration 0009_fhir), kept by hand beside the migration. The migration
 * adds no table: it adds `task.version` (read with sql in src/modules/fhir/resources/task.ts,
 * since TaskTable lives in types.ts) and a search function.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FhirTables {}
