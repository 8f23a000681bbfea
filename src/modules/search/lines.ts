import { sql } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { LifecycleStatus } from '../../server/db/types.ts';
import type { PatientSearchHit } from './ranking.ts';
import type { PatientSearchLine } from './schema.ts';

type LineRow = {
  id: string;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  birth_date: string | null;
  sex: string | null;
  mrn: string | null;
  phone: string | null;
  email: string | null;
  city: string | null;
  lifecycle_status: LifecycleStatus;
  last_visit_at: Date | string | null;
};

/**
 * What a result line shows, in the hits' order: enough to tell two John Smiths apart (date of
 * birth, sex, MRN, phone, email, town, status, last visit). The status is the effective one:
 * an active patient without a recent kept visit reads as lapsed.
 */
export async function searchResultLines(scope: TenantScope, hits: PatientSearchHit[], now: Date): Promise<PatientSearchLine[]> {
  if (hits.length === 0) return [];
  const { rows } = await sql<LineRow>`
    select p.id, p.given_name, p.family_name, p.preferred_name, p.birth_date, p.sex, p.mrn, p.phone, p.email, p.city,
           patient_lifecycle(p.lifecycle_status, p.last_visit_at, p.created_at, t.lapsed_after_days, ${now.toISOString()}::timestamptz)
             as lifecycle_status,
           p.last_visit_at
      from unnest(${hits.map((h) => h.id)}::uuid[]) as c(id)
      join patient p on p.tenant_id = ${scope.tenantId}::uuid and p.id = c.id
      join tenant t on t.id = p.tenant_id`.execute(scope.tx);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return hits.flatMap((hit) => {
    const r = byId.get(hit.id);
    if (!r) return [];
    return [
      {
        id: r.id,
        givenName: r.given_name,
        familyName: r.family_name,
        preferredName: r.preferred_name,
        birthDate: r.birth_date,
        sex: r.sex,
        mrn: r.mrn,
        phone: r.phone,
        email: r.email,
        city: r.city,
        lifecycleStatus: r.lifecycle_status,
        lastVisitAt: r.last_visit_at ? new Date(r.last_visit_at).toISOString() : null,
        score: hit.score,
        matchedOn: hit.matchedOn,
      },
    ];
  });
}
