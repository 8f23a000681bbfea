import type { TenantScope } from '../../server/db/scope.ts';
import { summaryQuery, toSummary } from '../patients/list.ts';
import type { PatientSearchHit } from './ranking.ts';
import type { PatientSearchLine } from './schema.ts';

/**
 * What a result line shows, in the hits' order: the patient list's line (date of birth, sex, MRN,
 * phone, email, town, effective status, last visit ...), enough to tell two John Smiths apart,
 * with the score and what matched.
 */
export async function searchResultLines(scope: TenantScope, hits: PatientSearchHit[], now: Date): Promise<PatientSearchLine[]> {
  if (hits.length === 0) return [];
  const rows = await summaryQuery(scope, now).where('p.id', 'in', hits.map((h) => h.id)).execute();
  const byId = new Map(rows.map((r) => [r.id, toSummary(r)]));
  return hits.flatMap((hit) => {
    const line = byId.get(hit.id);
    if (!line) return [];
    const { id, givenName, familyName, preferredName, birthDate, sex, mrn, phone, email, city, lifecycleStatus, lastVisitAt } = line;
    const picked = { id, givenName, familyName, preferredName, birthDate, sex, mrn, phone, email, city, lifecycleStatus, lastVisitAt };
    return [{ ...picked, score: hit.score, matchedOn: hit.matchedOn }];
  });
}
