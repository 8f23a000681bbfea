import type { TenantScope } from '../../server/db/scope.ts';
import { findPatients } from '../search/patient-search.ts';

/** The patient list's search box runs on the fuzzy patient search (the list audits what it shows). */
export const searchForList = (scope: TenantScope, q: string, limit: number) => findPatients(scope, { q, limit });
