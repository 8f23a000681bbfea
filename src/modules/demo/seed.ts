import { Faker, en_US, en } from '@faker-js/faker';
import { sql, type Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { refreshStatistics } from '../../server/db/maintenance.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentStatus, DB, StoredLifecycleStatus } from '../../server/db/types.ts';
import { ensureClinicStructure, type ClinicStructure } from './clinic.ts';

export type SeedOptions = {
  tenantId: string;
  patients: number;
  now: Date;
  /** Same seed, same people. */
  seed?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
};

const LANGUAGES = ['en', 'en', 'en', 'en', 'en', 'en', 'es', 'es', 'zh', 'vi', 'fr', 'pt'];
const ZONES = ['America/New_York', 'America/New_York', 'America/New_York', 'America/Chicago', 'America/Los_Angeles'];

type PatientRow = {
  id: string;
  mrn: string;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  birth_date: string;
  sex: string;
  phone: string | null;
  email: string | null;
  address_line: string;
  city: string;
  postal_code: string;
  language: string;
  time_zone: string;
  lifecycle_status: StoredLifecycleStatus;
  created_at: string;
  region: string;
  source_channel: string | null;
  source_campaign: string | null;
  utm_source: string | null;
  utm_medium: string | null;
};

/** Where patients first came from, roughly as a community clinic sees it. */
const SOURCES: Array<{ weight: number; value: { channel: string; campaign?: string; utmSource?: string; utmMedium?: string } | null }> = [
  { weight: 30, value: null },
  { weight: 22, value: { channel: 'referral' } },
  { weight: 14, value: { channel: 'walk-in' } },
  { weight: 12, value: { channel: 'google ads', campaign: 'new-patients', utmSource: 'google', utmMedium: 'cpc' } },
  { weight: 9, value: { channel: 'website' } },
  { weight: 7, value: { channel: 'instagram', campaign: 'smile-check', utmSource: 'instagram', utmMedium: 'social' } },
  { weight: 6, value: { channel: 'insurer directory' } },
];

type AppointmentRow = {
  patient_id: string;
  practitioner_id: string;
  location_id: string;
  service_id: string;
  starts_at: string;
  ends_at: string;
  time_zone: string;
  status: AppointmentStatus;
};

/**
 * Adds synthetic patients, each with a visit history and perhaps future appointments, in batches
 * inserted through one JSON parameter each (fast on both engines). Every batch is audited.
 */
export async function seedPatients(db: Kysely<DB>, options: SeedOptions): Promise<{ patients: number; appointments: number }> {
  const faker = new Faker({ locale: [en_US, en] });
  faker.seed(options.seed ?? 20261122);
  const context = { tenantId: options.tenantId, actor: { type: 'system', id: null } as const };
  const clinic = await withTenant(db, context, (scope) =>
    ensureClinicStructure(scope, {
      patientCount: options.patients,
      names: () => ({ given: faker.person.firstName(), family: faker.person.lastName() }),
      now: options.now,
    }),
  );
  const startMrn = await withTenant(db, context, async (scope) => {
    const row = await scope.tx.selectFrom('patient').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n) + 100_001;
  });

  const booked = new Set<string>();
  const batchSize = options.batchSize ?? 1000;
  let appointments = 0;
  for (let done = 0; done < options.patients; done += batchSize) {
    const size = Math.min(batchSize, options.patients - done);
    const patients: PatientRow[] = [];
    const visits: AppointmentRow[] = [];
    for (let i = 0; i < size; i++) {
      const patient = syntheticPatient(faker, startMrn + done + i, options.now);
      const history = syntheticAppointments(faker, patient, clinic, options.now, booked);
      patient.lifecycle_status = lifecycleFrom(history, faker);
      patients.push(patient);
      visits.push(...history);
    }
    await withTenant(db, context, async (scope) => {
      await sql`
        insert into patient (tenant_id, id, mrn, given_name, family_name, preferred_name, birth_date, sex, phone, email,
                             address_line, city, region, postal_code, country, language, time_zone, lifecycle_status,
                             source_channel, source_campaign, utm_source, utm_medium, created_at, updated_at)
        select ${options.tenantId}::uuid, r.id, r.mrn, r.given_name, r.family_name, r.preferred_name, r.birth_date, r.sex,
               r.phone, r.email, r.address_line, r.city, r.region, r.postal_code, 'US', r.language, r.time_zone,
               r.lifecycle_status, r.source_channel, r.source_campaign, r.utm_source, r.utm_medium, r.created_at, r.created_at
        from json_to_recordset(${JSON.stringify(patients)}::json) as r(
          id uuid, mrn text, given_name text, family_name text, preferred_name text, birth_date date, sex text, phone text,
          email text, address_line text, city text, region text, postal_code text, language text, time_zone text,
          lifecycle_status text, source_channel text, source_campaign text, utm_source text, utm_medium text,
          created_at timestamptz)`.execute(scope.tx);
      if (visits.length) {
        await sql`
          insert into appointment (tenant_id, patient_id, practitioner_id, location_id, service_id, starts_at, ends_at,
                                   time_zone, status, created_at, updated_at)
          select ${options.tenantId}::uuid, r.patient_id, r.practitioner_id, r.location_id, r.service_id, r.starts_at,
                 r.ends_at, r.time_zone, r.status, r.starts_at - interval '14 days', r.starts_at
          from json_to_recordset(${JSON.stringify(visits)}::json) as r(
            patient_id uuid, practitioner_id uuid, location_id uuid, service_id uuid, starts_at timestamptz,
            ends_at timestamptz, time_zone text, status text)`.execute(scope.tx);
      }
      await scope.audit({
        action: 'patient.seed',
        entityType: 'patient',
        detail: { patients: patients.length, appointments: visits.length, firstMrn: patients[0]?.mrn },
      });
    });
    appointments += visits.length;
    options.onProgress?.(done + size, options.patients);
  }
  await refreshStatistics(db);
  return { patients: options.patients, appointments };
}

function syntheticPatient(faker: Faker, mrnNumber: number, now: Date): PatientRow {
  const sex = faker.helpers.weightedArrayElement([
    { weight: 49, value: 'female' },
    { weight: 49, value: 'male' },
    { weight: 1, value: 'other' },
    { weight: 1, value: 'unknown' },
  ]);
  const given = faker.person.firstName(sex === 'female' || sex === 'male' ? sex : undefined);
  const family = faker.person.lastName();
  const birth = faker.date.birthdate({ mode: 'age', min: 0, max: 95, refDate: now });
  const source = faker.helpers.weightedArrayElement(SOURCES);
  // 555-01xx numbers are reserved for fiction; example.com/.org/.net can never be real mailboxes.
  const phone = faker.datatype.boolean(0.93)
    ? `+1${faker.helpers.arrayElement(['413', '617', '508', '212', '860'])}55501${faker.string.numeric(2)}`
    : null;
  const email = faker.datatype.boolean(0.85)
    ? `${given}.${family}${faker.number.int({ min: 1, max: 999 })}@${faker.helpers.arrayElement(['example.com', 'example.org', 'example.net'])}`
        .toLowerCase()
        .replace(/[^a-z0-9.@]/g, '')
    : null;
  return {
    id: faker.string.uuid(),
    mrn: `MRN${String(mrnNumber).padStart(7, '0')}`,
    given_name: given,
    family_name: family,
    preferred_name: faker.datatype.boolean(0.08) ? faker.person.firstName() : null,
    birth_date: birth.toISOString().slice(0, 10),
    sex,
    phone,
    email,
    address_line: faker.location.streetAddress(),
    city: faker.location.city(),
    postal_code: faker.location.zipCode('#####'),
    language: faker.helpers.arrayElement(LANGUAGES),
    time_zone: faker.helpers.arrayElement(ZONES),
    lifecycle_status: 'active',
    // Registered in the last four years, and never before they were born.
    created_at: new Date(Math.min(now.getTime(), Math.max(faker.date.past({ years: 4, refDate: now }).getTime(), birth.getTime() + 86_400_000))).toISOString(),
    region: 'MA',
    source_channel: source?.channel ?? null,
    source_campaign: source?.campaign ?? null,
    utm_source: source?.utmSource ?? null,
    utm_medium: source?.utmMedium ?? null,
  };
}

/** Past visits over three years and up to two future bookings, never two at once for one practitioner. */
function syntheticAppointments(
  faker: Faker,
  patient: PatientRow,
  clinic: ClinicStructure,
  now: Date,
  booked: Set<string>,
): AppointmentRow[] {
  const rows: AppointmentRow[] = [];
  const practitioner = faker.helpers.arrayElement(clinic.practitioners);
  if (practitioner.services.length === 0) return rows;
  const pastCount = faker.helpers.weightedArrayElement([
    { weight: 8, value: 0 },
    { weight: 20, value: 1 },
    { weight: 25, value: 2 },
    { weight: 22, value: 3 },
    { weight: 15, value: 4 },
    { weight: 10, value: 6 },
  ]);
  const futureCount = faker.helpers.weightedArrayElement([
    { weight: 55, value: 0 },
    { weight: 35, value: 1 },
    { weight: 10, value: 2 },
  ]);
  const today = DateTime.fromJSDate(now, { zone: clinic.timeZone }).startOf('day');
  const plan = [
    ...Array.from({ length: pastCount }, () => ({ dayOffset: -faker.number.int({ min: 1, max: 3 * 365 }) })),
    ...Array.from({ length: futureCount }, () => ({ dayOffset: faker.number.int({ min: 1, max: 90 }) })),
  ];
  for (const { dayOffset } of plan) {
    const service = faker.helpers.arrayElement(practitioner.services);
    for (let attempt = 0; attempt < 8; attempt++) {
      let day = today.plus({ days: dayOffset + attempt });
      if (day.weekday > 5) day = day.plus({ days: 8 - day.weekday });
      // Slots on the hour or half hour within the demo's weekly hours: 08:00-11:30 and 13:00-16:30.
      const slot = faker.number.int({ min: 0, max: 15 });
      const start = day.set({ hour: slot < 8 ? 8 : 13 }).plus({ minutes: 30 * (slot % 8) });
      const key = `${practitioner.id}|${start.toISODate()}|${start.toFormat('HH:mm')}`;
      if (booked.has(key)) continue;
      booked.add(key);
      const past = start.toJSDate() < now;
      rows.push({
        patient_id: patient.id,
        practitioner_id: practitioner.id,
        location_id: practitioner.locationId,
        service_id: service.id,
        starts_at: start.toUTC().toISO()!,
        ends_at: start.plus({ minutes: Math.min(service.minutes, 30) }).toUTC().toISO()!,
        time_zone: clinic.timeZone,
        status: past
          ? faker.helpers.weightedArrayElement([
              { weight: 84, value: 'fulfilled' as const },
              { weight: 8, value: 'noshow' as const },
              { weight: 8, value: 'cancelled' as const },
            ])
          : 'booked',
      });
      break;
    }
  }
  return rows;
}

/** The stored status; "lapsed" is derived later from the last kept visit, so it is never written. */
function lifecycleFrom(visits: AppointmentRow[], faker: Faker): StoredLifecycleStatus {
  if (visits.length === 0) return faker.datatype.boolean(0.5) ? 'lead' : 'active';
  if (faker.datatype.boolean(0.004)) return 'deceased';
  if (faker.datatype.boolean(0.02)) return 'inactive';
  return 'active';
}
