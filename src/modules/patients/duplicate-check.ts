import type { TenantScope } from '../../server/db/scope.ts';
import { findLikelyDuplicates, recordDuplicateCandidates } from '../duplicates/detect.ts';
import type { DuplicateCheck } from './service.ts';
import type { ValidPatientWrite } from './validate.ts';

/** The duplicate check patient registration runs, fed from the validated, normalised write. */
export function duplicateCheck(detectedBy: 'create' | 'import'): DuplicateCheck {
  return {
    find: (scope: TenantScope, write: ValidPatientWrite) => {
      const c = write.columns;
      return findLikelyDuplicates(scope, {
        givenName: c.given_name ?? '',
        familyName: c.family_name ?? '',
        ...(c.preferred_name ? { preferredName: c.preferred_name } : {}),
        ...(c.birth_date ? { birthDate: c.birth_date } : {}),
        ...(c.sex ? { sex: c.sex } : {}),
        phones: [c.phone, ...(write.extraPhones ?? []).map((p) => p.value)].filter((p): p is string => Boolean(p)),
        emails: [c.email, ...(write.extraEmails ?? []).map((e) => e.value)].filter((e): e is string => Boolean(e)),
        ...(c.address_line ? { addressLine: c.address_line } : {}),
        ...(c.postal_code ? { postalCode: c.postal_code } : {}),
        ...(c.mrn ? { mrn: c.mrn } : {}),
        identifiers: write.identifiers ?? [],
      });
    },
    record: (scope, patientId, matches) => recordDuplicateCandidates(scope, patientId, matches as never, detectedBy),
  };
}
