// Duplicate-detection benchmark: seed a clinic with the real CLI (100,000 patients by default) in a
// temporary PGlite directory, plant a known set of duplicates (copies of seeded patients with the
// mistakes people make: typos, nicknames, swapped day and month, a new phone, missing fields, a
// married name...) and hard negatives (twins, namesakes, a father and son of one name), scan the
// whole tenant, and print the time and precision and recall against the planted set.
// Usage: node bench/duplicates.ts [--patients N] [--duplicates N] [--negatives N]
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Faker, en, en_US } from '@faker-js/faker';
import { sql } from 'kysely';
import { scanTenantForDuplicates } from '../src/modules/duplicates/detect.ts';
import { openDatabase } from '../src/server/db/connection.ts';
import { withTenant } from '../src/server/db/scope.ts';
import { machine, run } from './lib.ts';

const { values } = parseArgs({
  options: {
    patients: { type: 'string', default: '100000' },
    duplicates: { type: 'string', default: '1000' },
    negatives: { type: 'string', default: '300' },
    /** Print the reasons of every look-alike flagged clear and every planted duplicate missed. */
    explain: { type: 'boolean', default: false },
  },
});
const PATIENTS = Number(values.patients);
const DUPLICATES = Number(values.duplicates);
const NEGATIVES = Number(values.negatives);

type Person = {
  id: string;
  mrn: string | null;
  given_name: string;
  family_name: string;
  birth_date: string | null;
  sex: string | null;
  phone: string | null;
  email: string | null;
  address_line: string | null;
  city: string | null;
  postal_code: string | null;
};
type Planted = { original: string; copy: Person; kind: string; duplicate: boolean };

const faker = new Faker({ locale: [en_US, en] });
faker.seed(4242);
const NICKNAMES: Record<string, string> = {
  william: 'Bill', robert: 'Bob', elizabeth: 'Liz', richard: 'Rick', james: 'Jim', john: 'Jack', margaret: 'Maggie',
  katherine: 'Kate', michael: 'Mike', thomas: 'Tom', joseph: 'Joe', charles: 'Charlie', edward: 'Ed', christopher: 'Chris',
  daniel: 'Dan', david: 'Dave', anthony: 'Tony', steven: 'Steve', alexander: 'Alex', patricia: 'Pat', jennifer: 'Jen',
  susan: 'Sue', deborah: 'Debbie', rebecca: 'Becky', samuel: 'Sam', benjamin: 'Ben', matthew: 'Matt', andrew: 'Andy',
  nicholas: 'Nick', timothy: 'Tim', kenneth: 'Ken', ronald: 'Ron', donald: 'Don', jessica: 'Jess', joshua: 'Josh',
  victoria: 'Vicky', abigail: 'Abby', dorothy: 'Dot', barbara: 'Barb', gregory: 'Greg', jeffrey: 'Jeff', douglas: 'Doug',
};

/** One typing mistake: two neighbouring letters swapped, or one letter changed. */
function typo(word: string): string {
  if (word.length < 4) return `${word}${word.at(-1)}`;
  const i = faker.number.int({ min: 1, max: word.length - 2 });
  if (faker.datatype.boolean()) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  const letter = faker.string.alpha({ length: 1, casing: 'lower', exclude: [word[i]!.toLowerCase()] });
  return word.slice(0, i) + letter + word.slice(i + 1);
}

const validDate = (y: string, m: string, d: string) => {
  const date = new Date(`${y}-${m}-${d}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === `${y}-${m}-${d}`;
};

/** The birth date with one digit mistyped (still a real date). */
function digitOff(date: string): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pos = faker.helpers.arrayElement([3, 6, 9]);
    const digits = date.split('');
    digits[pos] = String((Number(digits[pos]) + faker.number.int({ min: 1, max: 9 })) % 10);
    const next = digits.join('');
    const [y, m, d] = next.split('-') as [string, string, string];
    if (next !== date && validDate(y, m, d)) return next;
  }
  return date;
}

const newPhone = () => `+1${faker.helpers.arrayElement(['413', '617', '508'])}55501${faker.string.numeric(2)}`;
const years = (date: string, n: number) => `${Number(date.slice(0, 4)) + n}${date.slice(4)}`.replace(/-02-29$/, '-02-28');

/** A second record of the same person, with the mistake `kind` names. */
function duplicateOf(p: Person, kind: string): Person {
  const c: Person = { ...p, id: randomUUID(), mrn: null };
  switch (kind) {
    case 'typo in given name':
      c.given_name = typo(p.given_name);
      break;
    case 'typo in family name':
      c.family_name = typo(p.family_name);
      break;
    case 'nickname':
      c.given_name = NICKNAMES[p.given_name.toLowerCase()] ?? typo(p.given_name);
      break;
    case 'day and month swapped': {
      const [y, m, d] = p.birth_date!.split('-') as [string, string, string];
      c.birth_date = m !== d && validDate(y, d, m) ? `${y}-${d}-${m}` : digitOff(p.birth_date!);
      break;
    }
    case 'birth date one digit off':
      c.birth_date = digitOff(p.birth_date!);
      break;
    case 'new phone, same email':
      c.phone = newPhone();
      break;
    case 'only name and birth date':
      Object.assign(c, { phone: null, email: null, address_line: null, city: null, postal_code: null });
      break;
    case 'married name, same email':
      c.family_name = faker.person.lastName();
      c.address_line = faker.location.streetAddress();
      break;
    case 'typo and one digit, nothing else':
      Object.assign(c, { given_name: typo(p.given_name), birth_date: digitOff(p.birth_date!), phone: null, email: null, address_line: null });
      break;
    case 're-registered as is':
      c.given_name = p.given_name.toUpperCase();
      c.address_line = p.address_line?.replace(/\bStreet\b/, 'St') ?? null;
      break;
  }
  return c;
}

/** Someone else who looks alike: a twin, a namesake, a father or son of the same name. */
function lookalikeOf(p: Person, kind: string): Person {
  const c: Person = { ...p, id: randomUUID(), mrn: null };
  if (kind === 'twin') {
    c.sex = faker.helpers.arrayElement(['female', 'male']);
    do c.given_name = faker.person.firstName(c.sex as 'female' | 'male');
    while (c.given_name[0] === p.given_name[0]);
    if (faker.datatype.boolean()) c.email = null;
  } else if (kind === 'namesake') {
    c.birth_date = faker.date.birthdate({ mode: 'age', min: 0, max: 95 }).toISOString().slice(0, 10);
    Object.assign(c, { phone: newPhone(), email: null, address_line: faker.location.streetAddress(), postal_code: faker.location.zipCode('#####') });
  } else {
    // The father of someone born after 1960, else the son (never born in the future).
    const born = Number(p.birth_date!.slice(0, 4));
    c.birth_date = years(p.birth_date!, born > 1960 ? faker.helpers.arrayElement([-32, -28]) : faker.helpers.arrayElement([27, 31]));
    c.email = null;
  }
  return c;
}

const DUPLICATE_KINDS = [
  'typo in given name', 'typo in family name', 'nickname', 'day and month swapped', 'birth date one digit off',
  'new phone, same email', 'only name and birth date', 'married name, same email', 'typo and one digit, nothing else', 're-registered as is',
];
const NEGATIVE_KINDS = ['twin', 'namesake', 'father or son of the same name'];

function plant(people: Person[]): Planted[] {
  const withDate = faker.helpers.shuffle(people.filter((p) => p.birth_date));
  const named = withDate.filter((p) => NICKNAMES[p.given_name.toLowerCase()]);
  const used = new Set<string>();
  const pick = (pool: Person[]) => {
    const p = pool.find((x) => !used.has(x.id)) ?? withDate.find((x) => !used.has(x.id))!;
    used.add(p.id);
    return p;
  };
  const planted: Planted[] = [];
  for (let i = 0; i < DUPLICATES; i++) {
    const kind = DUPLICATE_KINDS[i % DUPLICATE_KINDS.length]!;
    const original = pick(kind === 'nickname' ? named : withDate);
    planted.push({ original: original.id, copy: duplicateOf(original, kind), kind, duplicate: true });
  }
  for (let i = 0; i < NEGATIVES; i++) {
    const kind = NEGATIVE_KINDS[i % NEGATIVE_KINDS.length]!;
    const original = pick(withDate);
    planted.push({ original: original.id, copy: lookalikeOf(original, kind), kind, duplicate: false });
  }
  planted.forEach((p, i) => (p.copy.mrn = `PLANT${String(i + 1).padStart(6, '0')}`));
  return planted;
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

const dataDir = mkdtempSync(path.join(tmpdir(), 'rapport-bench-dup-'));
try {
  console.log(`machine: ${machine()}`);
  const env: NodeJS.ProcessEnv = { ...process.env, RAPPORT_DATA_DIR: dataDir, RAPPORT_DEMO: 'false', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  run(process.execPath, ['bin/rapport.js', 'tenant', 'create', '--name', 'Bench Clinic', '--time-zone', 'America/New_York'], env);
  const seeded = run(process.execPath, ['bin/rapport.js', 'seed', '--patients', String(PATIENTS), '--seed', '1'], env);
  console.log(`seed: ${seeded.stdout.trim()} (${(seeded.ms / 1000).toFixed(1)} s wall)`);

  const database = await openDatabase({ databaseUrl: undefined, dataDir, databasePoolMax: 1 });
  try {
    const tenantId = (await database.db.selectFrom('tenant').select('id').executeTakeFirstOrThrow()).id;
    const context = { tenantId, actor: { type: 'system', id: null } as const };
    const people = await withTenant(database.db, context, (s) =>
      s.tx.selectFrom('patient').select(['id', 'mrn', 'given_name', 'family_name', 'birth_date', 'sex', 'phone', 'email', 'address_line', 'city', 'postal_code']).orderBy('id').execute(),
    );
    const planted = plant(people);
    const started = performance.now();
    await withTenant(database.db, context, async (s) => {
      await sql`
        insert into patient (tenant_id, id, mrn, given_name, family_name, birth_date, sex, phone, email, address_line, city, postal_code)
        select ${tenantId}::uuid, r.id, r.mrn, r.given_name, r.family_name, r.birth_date, r.sex, r.phone, r.email, r.address_line, r.city, r.postal_code
          from json_to_recordset(${JSON.stringify(planted.map((p) => p.copy))}::json) as r(id uuid, mrn text, given_name text,
               family_name text, birth_date date, sex text, phone text, email text, address_line text, city text, postal_code text)`.execute(s.tx);
    });
    console.log(`planted ${DUPLICATES} duplicates and ${NEGATIVES} look-alikes in ${Math.round(performance.now() - started)} ms`);

    const scan = await scanTenantForDuplicates(
      { db: database.db, ...context },
      { onProgress: (done, total) => done % 20_000 === 0 && process.stderr.write(`  scanned ${done}/${total}\n`) },
    );
    console.log(`scan: ${scan.patients} patients, ${scan.pairsCompared} pairs compared, in ${(scan.ms / 1000).toFixed(1)} s`);
    const found = await withTenant(database.db, context, (s) =>
      s.tx.selectFrom('duplicate_candidate').select(['patient_a', 'patient_b', 'score', 'reasons']).execute(),
    );
    if (values.explain) explain(planted, found, people);
    report(planted, found.map((f) => ({ key: pairKey(f.patient_a, f.patient_b), level: Number(f.score) >= 0.9 ? 'clear' : 'likely' })), scan.ms, scan.patients);
  } finally {
    await database.close();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

function explain(planted: Planted[], found: Array<{ patient_a: string; patient_b: string; score: string; reasons: unknown }>, people: Person[]): void {
  const byKey = new Map(found.map((f) => [pairKey(f.patient_a, f.patient_b), f]));
  const byId = new Map(people.map((p) => [p.id, p]));
  for (const p of planted) {
    const f = byKey.get(pairKey(p.original, p.copy.id));
    const wrong = p.duplicate ? !f : f && Number(f.score) >= 0.9;
    if (!wrong) continue;
    console.log(`${p.duplicate ? 'missed' : 'flagged'} ${p.kind}: ${JSON.stringify(byId.get(p.original))} / ${JSON.stringify(p.copy)}`);
    if (f) console.log(`  ${f.score} ${JSON.stringify(f.reasons)}`);
  }
}

function report(planted: Planted[], found: Array<{ key: string; level: string }>, ms: number, patients: number): void {
  const truth = new Map(planted.filter((p) => p.duplicate).map((p) => [pairKey(p.original, p.copy.id), p.kind]));
  const negatives = new Map(planted.filter((p) => !p.duplicate).map((p) => [pairKey(p.original, p.copy.id), p.kind]));
  const levelOf = new Map(found.map((f) => [f.key, f.level]));
  console.log(`\n| found as | pairs | true (planted) | precision | recall |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const [label, levels] of [['clear', ['clear']], ['likely', ['likely']], ['clear or likely', ['clear', 'likely']]] as const) {
    const predicted = found.filter((f) => (levels as readonly string[]).includes(f.level));
    const tp = predicted.filter((f) => truth.has(f.key)).length;
    console.log(`| ${label} | ${predicted.length} | ${tp} | ${pct(tp, predicted.length)} | ${pct(tp, truth.size)} |`);
  }
  console.log(`\n| planted duplicate | pairs | found clear | found likely | missed |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const kind of DUPLICATE_KINDS) {
    const keys = [...truth].filter(([, k]) => k === kind).map(([key]) => key);
    const clear = keys.filter((k) => levelOf.get(k) === 'clear').length;
    const likely = keys.filter((k) => levelOf.get(k) === 'likely').length;
    console.log(`| ${kind} | ${keys.length} | ${clear} | ${likely} | ${keys.length - clear - likely} |`);
  }
  console.log(`\n| planted look-alike (not a duplicate) | pairs | flagged clear | flagged likely |`);
  console.log('|---|---:|---:|---:|');
  for (const kind of NEGATIVE_KINDS) {
    const keys = [...negatives].filter(([, k]) => k === kind).map(([key]) => key);
    console.log(`| ${kind} | ${keys.length} | ${keys.filter((k) => levelOf.get(k) === 'clear').length} | ${keys.filter((k) => levelOf.get(k) === 'likely').length} |`);
  }
  const other = found.filter((f) => !truth.has(f.key) && !negatives.has(f.key));
  console.log(`\nother pairs flagged (between seeded patients, or a planted copy and someone else): ${other.length} ` +
    `(${other.filter((f) => f.level === 'clear').length} clear)`);
  console.log(`scan throughput: ${Math.round(patients / (ms / 1000))} patients/s`);
}
