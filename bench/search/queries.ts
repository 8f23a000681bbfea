// The query mix of bench/search.ts, built from real seeded patients, and the baseline it is read
// against. Not a benchmark itself (bench/run.ts only runs the .ts files directly in bench/).
import { sql } from 'kysely';
import type { TenantScope } from '../../src/server/db/scope.ts';

export type BenchQuery = { kind: string; text: string; patientId: string };

type Sampled = {
  id: string;
  given_name: string;
  family_name: string;
  birth_date: string | null;
  phone: string | null;
  email: string | null;
  mrn: string | null;
};

/** A small seeded generator, so every run asks the same questions of the same data. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One typing slip in a word of 4+ letters, never in its first letter: a swap of neighbours or a wrong letter. */
function misspell(word: string, random: () => number): string {
  if (word.length < 4) return word;
  const i = 1 + Math.floor(random() * (word.length - 2));
  if (random() < 0.5 && word[i] !== word[i + 1]) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  const letters = 'abcdefghijklmnopqrstuvwxyz'.replace(word[i]!.toLowerCase(), '');
  return word.slice(0, i) + letters[Math.floor(random() * letters.length)] + word.slice(i + 1);
}

const usPhone = (e164: string) => {
  const d = e164.replace(/\D/g, '').slice(-10);
  return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
};
const usDate = (iso: string) => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;

const KINDS: Array<{ kind: string; make(p: Sampled, random: () => number): string | null }> = [
  { kind: 'exact name', make: (p) => `${p.given_name} ${p.family_name}` },
  { kind: 'misspelled name', make: (p, r) => `${misspell(p.given_name, r)} ${misspell(p.family_name, r)}` },
  { kind: 'partial name', make: (p) => `${p.given_name.slice(0, 3)} ${p.family_name.slice(0, 3)}` },
  { kind: 'phone, other format', make: (p) => (p.phone ? usPhone(p.phone) : null) },
  { kind: 'family name + DOB', make: (p) => (p.birth_date ? `${p.family_name} ${usDate(p.birth_date)}` : null) },
  { kind: 'email', make: (p) => p.email },
  { kind: 'MRN', make: (p) => p.mrn?.toLowerCase() ?? null },
];

/** `count` queries, as many of each kind, each about a different patient picked at random. */
export async function buildQueries(scope: TenantScope, count: number, seed: number): Promise<BenchQuery[]> {
  const random = generator(seed);
  const total = Number(
    (await scope.tx.selectFrom('patient').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
  );
  // The seed numbers MRNs from 100001 up; pick by MRN so the sample needs no scan.
  const mrns = new Set<string>();
  while (mrns.size < Math.min(total, count * 2)) mrns.add(`MRN${String(100001 + Math.floor(random() * total)).padStart(7, '0')}`);
  const sampled: Sampled[] = await scope.tx
    .selectFrom('patient')
    .select(['id', 'given_name', 'family_name', 'birth_date', 'phone', 'email', 'mrn'])
    .where('mrn', 'in', [...mrns])
    .execute();
  const queries: BenchQuery[] = [];
  let next = 0;
  for (let i = 0; i < count && next < sampled.length; i++) {
    const { kind, make } = KINDS[i % KINDS.length]!;
    let text: string | null = null;
    let patient: Sampled | undefined;
    while (!text && next < sampled.length) {
      patient = sampled[next++]!;
      text = make(patient, random);
    }
    if (text && patient) queries.push({ kind, text, patientId: patient.id });
  }
  return queries;
}

/**
 * The patient list's search before this one (listPatients at the start of Patient 360): `like
 * '%term%'` over names, email and MRN, phone digits, in name order, with the list's columns.
 */
export async function baselineSearch(scope: TenantScope, q: string, limit: number): Promise<string[]> {
  const term = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const digits = q.replace(/\D/g, '');
  const rows = await scope.tx
    .selectFrom('patient as p')
    .select((eb) => [
      'p.id',
      'p.mrn',
      'p.given_name',
      'p.family_name',
      'p.preferred_name',
      'p.birth_date',
      'p.sex',
      'p.phone',
      'p.email',
      'p.lifecycle_status',
      eb
        .selectFrom('appointment as a')
        .select((a) => a.fn.max('a.starts_at').as('x'))
        .whereRef('a.patient_id', '=', 'p.id')
        .where('a.status', '=', 'fulfilled')
        .as('last_visit_at'),
    ])
    .where('p.archived_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb(sql`lower(p.given_name || ' ' || p.family_name)`, 'like', term),
        eb(sql`lower(p.family_name || ', ' || p.given_name)`, 'like', term),
        eb(sql`lower(coalesce(p.preferred_name, ''))`, 'like', term),
        eb(sql`lower(coalesce(p.email, ''))`, 'like', term),
        eb(sql`lower(coalesce(p.mrn, ''))`, 'like', term),
        ...(digits.length >= 3 ? [eb(sql`regexp_replace(coalesce(p.phone, ''), '\\D', '', 'g')`, 'like', `%${digits}%`)] : []),
      ]),
    )
    .orderBy(sql`lower(p.family_name)`)
    .orderBy(sql`lower(p.given_name)`)
    .orderBy('p.id')
    .limit(limit)
    .execute();
  await scope.audit({ action: 'patient.search', entityType: 'patient', detail: { returned: rows.length, patientIds: rows.map((r) => r.id) } });
  return rows.map((r) => r.id);
}
