import type { TenantScope } from '../../server/db/scope.ts';
import { ensureDemoScheduling } from './scheduling.ts';

/** The demo clinic's structure: where care happens, who gives it, and what is offered. */
const LOCATIONS = [
  { name: 'Riverside Clinic', address_line: '120 Riverside Drive', city: 'Springfield', postal_code: '01103', phone: '+14135550100' },
  { name: 'Hillcrest Family Practice', address_line: '45 Hillcrest Avenue', city: 'Springfield', postal_code: '01108', phone: '+14135550101' },
  { name: 'Downtown Eye & Dental', address_line: '9 Main Street', city: 'Springfield', postal_code: '01101', phone: '+14135550102' },
];

const DEPARTMENTS = [
  { name: 'Family Medicine', location: 0, services: [['New patient consultation', 40], ['Follow-up visit', 20], ['Annual physical', 30]] },
  { name: 'Pediatrics', location: 1, services: [['Well-child visit', 30], ['Childhood vaccination', 15]] },
  { name: 'Cardiology', location: 0, services: [['Cardiology check-in', 30]] },
  { name: 'Dental', location: 2, services: [['Dental cleaning', 45], ['Dental check-up', 30]] },
  { name: 'Ophthalmology', location: 2, services: [['Eye exam', 30]] },
] as const;

const SPECIALTY: Record<string, string> = {
  'Family Medicine': 'Family medicine',
  Pediatrics: 'Pediatrics',
  Cardiology: 'Cardiology',
  Dental: 'Dentistry',
  Ophthalmology: 'Ophthalmology',
};

export type ClinicStructure = {
  timeZone: string;
  practitioners: Array<{ id: string; locationId: string; services: Array<{ id: string; minutes: number }> }>;
};

/**
 * Creates the demo clinic's locations, departments, services and enough practitioners for
 * `patientCount` patients (about one per 800), or tops up an existing clinic; then its scheduling
 * (rooms, booking rules, weekly hours, holidays) when it has none, or hours for new practitioners.
 */
export async function ensureClinicStructure(
  scope: TenantScope,
  input: { patientCount: number; names: () => { given: string; family: string }; now: Date },
): Promise<ClinicStructure> {
  const tenant = await scope.tx.selectFrom('tenant').select('time_zone').executeTakeFirstOrThrow();
  let locations = await scope.tx.selectFrom('location').select(['id', 'name']).orderBy('created_at').execute();
  if (locations.length === 0) {
    locations = await scope.tx
      .insertInto('location')
      .values(LOCATIONS.map((l) => ({ ...l, tenant_id: scope.tenantId, time_zone: tenant.time_zone })))
      .returning(['id', 'name'])
      .execute();
    for (const d of DEPARTMENTS) {
      const location = locations[d.location] ?? locations[0]!;
      const dept = await scope.tx
        .insertInto('department')
        .values({ tenant_id: scope.tenantId, location_id: location.id, name: d.name })
        .returning('id')
        .executeTakeFirstOrThrow();
      await scope.tx
        .insertInto('service')
        .values(d.services.map(([name, minutes]) => ({ tenant_id: scope.tenantId, department_id: dept.id, name, duration_minutes: minutes })))
        .execute();
    }
    await scope.audit({ action: 'clinic.create', entityType: 'location', detail: { locations: locations.length } });
  }

  const departments = await scope.tx
    .selectFrom('department')
    .select(['id', 'name', 'location_id'])
    .orderBy('created_at')
    .orderBy('name')
    .execute();
  // Seeded visits happen at a location; video services are left to the booking flows.
  const services = await scope.tx.selectFrom('service').select(['id', 'department_id', 'duration_minutes']).where('mode', '=', 'in_person').execute();
  const wanted = Math.max(8, Math.ceil(input.patientCount / 800));
  const existing = await scope.tx.selectFrom('practitioner').select(['id', 'department_id']).where('active', '=', true).where('organization_id', 'is', null).execute();
  const known = existing.length;
  if (existing.length < wanted && departments.length > 0) {
    const fresh = Array.from({ length: wanted - existing.length }, (_, i) => {
      const dept = departments[(existing.length + i) % departments.length]!;
      const name = input.names();
      return {
        tenant_id: scope.tenantId,
        department_id: dept.id,
        prefix: 'Dr.',
        given_name: name.given,
        family_name: name.family,
        specialty: SPECIALTY[dept.name] ?? dept.name,
        email: `${name.given}.${name.family}.${existing.length + i}@clinic.example.org`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
      };
    });
    for (let i = 0; i < fresh.length; i += 500) {
      existing.push(
        ...(await scope.tx.insertInto('practitioner').values(fresh.slice(i, i + 500)).returning(['id', 'department_id']).execute()),
      );
    }
    await scope.audit({ action: 'practitioner.create', entityType: 'practitioner', detail: { created: fresh.length } });
  }
  await ensureDemoScheduling(scope, { now: input.now, timeZone: tenant.time_zone, newPractitionerIds: existing.slice(known).map((p) => p.id) });

  return {
    timeZone: tenant.time_zone,
    practitioners: existing.map((p) => {
      const dept = departments.find((d) => d.id === p.department_id) ?? departments[0]!;
      return {
        id: p.id,
        locationId: dept.location_id,
        services: services
          .filter((s) => s.department_id === dept.id)
          .map((s) => ({ id: s.id, minutes: s.duration_minutes })),
      };
    }),
  };
}
