import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant } from '../../server/db/scope.ts';
import { ensureClinicStructure } from './clinic.ts';
import { seedPatients } from './seed.ts';

const now = new Date('2026-11-22T15:00:00Z');
const system = { type: 'system', id: null } as const;

for (const engine of engines()) {
  describe(`demo clinic scheduling (${engine})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      await database.dispose();
    });

    const facts = (tenantId: string) =>
      withTenant(database.db, { tenantId, actor: system }, async ({ tx }) => ({
        practitioners: await tx.selectFrom('practitioner').select(['id', 'department_id']).execute(),
        rules: await tx.selectFrom('availability_rule').select(['practitioner_id', 'location_id', 'weekday', 'start_time', 'end_time']).execute(),
        rooms: await tx.selectFrom('room').select(['location_id', 'name']).execute(),
        locations: await tx.selectFrom('location').select(['id']).execute(),
        departments: await tx.selectFrom('department').select(['id', 'location_id']).execute(),
        services: await tx.selectFrom('service').selectAll().execute(),
        offeredBy: await tx.selectFrom('service_practitioner').select(['service_id', 'practitioner_id']).execute(),
        offeredAt: await tx.selectFrom('service_location').select(['service_id', 'location_id']).execute(),
        holidays: await tx.selectFrom('holiday').select(['date', 'name']).orderBy('date').execute(),
        appointments: await tx.selectFrom('appointment').select(['starts_at', 'ends_at', 'practitioner_id', 'time_zone']).execute(),
      }));

    test('a new demo clinic has rooms, booking rules, offerings, weekly hours and holidays', async () => {
      const tenant = await createTestTenant(database);
      await seedPatients(database.db, { tenantId: tenant.id, patients: 40, now, seed: 7 });
      const f = await facts(tenant.id);

      for (const l of f.locations) {
        const rooms = f.rooms.filter((r) => r.location_id === l.id).length;
        assert.ok(rooms >= 2 && rooms <= 3, `two or three rooms per location: ${rooms}`);
      }
      for (const p of f.practitioners) {
        const mine = f.rules.filter((r) => r.practitioner_id === p.id);
        const home = f.departments.find((d) => d.id === p.department_id)!.location_id;
        assert.deepEqual([...new Set(mine.filter((r) => r.weekday <= 5).map((r) => r.weekday))], [1, 2, 3, 4, 5]);
        assert.ok(mine.every((r) => r.location_id === home), 'hours at the department\'s location');
        assert.deepEqual(
          [...new Set(mine.filter((r) => r.weekday <= 5).map((r) => `${r.start_time.slice(0, 5)}-${r.end_time.slice(0, 5)}`))].sort(),
          ['08:00-12:00', '13:00-17:00'],
        );
      }
      const saturdays = f.rules.filter((r) => r.weekday === 6).length;
      assert.ok(saturdays > 0 && saturdays < f.practitioners.length, `some practitioners work Saturday mornings: ${saturdays}`);

      for (const s of f.services) {
        assert.ok(f.offeredBy.some((o) => o.service_id === s.id), `${s.name} has practitioners`);
        assert.ok(f.offeredAt.some((o) => o.service_id === s.id), `${s.name} has a location`);
        if (s.public_booking) assert.deepEqual([s.min_notice_minutes, s.max_advance_days], [120, 90], `${s.name}: booking rules`);
      }
      const byName = (name: string) => f.services.find((s) => s.name === name)!;
      assert.equal(byName('New patient consultation').eligibility, 'new');
      assert.deepEqual([byName('Telehealth follow-up').mode, byName('Telehealth follow-up').duration_minutes], ['video', 20]);
      assert.ok(f.services.filter((s) => s.currency === 'USD' && s.price_cents).length >= 3, 'a few prices in USD');
      assert.ok(f.services.some((s) => s.buffer_after_minutes >= 5), 'some services have buffers');
      assert.deepEqual(f.holidays, [{ date: '2026-12-25', name: 'Christmas Day' }, { date: '2027-01-01', name: "New Year's Day" }]);
      assert.ok(f.appointments.length > 40);
    });

    test('an existing demo clinic without hours is topped up once; new practitioners get hours later', async () => {
      const tenant = await createTestTenant(database);
      const names = () => ({ given: 'Sam', family: 'Lee' });
      // A clinic as seeded before scheduling existed: structure and practitioners, no hours.
      await withTenant(database.db, { tenantId: tenant.id, actor: system }, async (scope) => {
        const loc = await scope.tx.insertInto('location').values({ tenant_id: tenant.id, name: 'Riverside Clinic', time_zone: 'America/New_York' }).returning('id').executeTakeFirstOrThrow();
        const dept = await scope.tx.insertInto('department').values({ tenant_id: tenant.id, name: 'Family Medicine', location_id: loc.id }).returning('id').executeTakeFirstOrThrow();
        await scope.tx.insertInto('service').values({ tenant_id: tenant.id, department_id: dept.id, name: 'New patient consultation', duration_minutes: 40 }).execute();
        await scope.tx.insertInto('practitioner').values([0, 1, 2].map((i) => ({ tenant_id: tenant.id, department_id: dept.id, given_name: 'Old', family_name: `Hand ${i}`, email: `old${i}@clinic.example.org` }))).execute();
      });
      const run = (patientCount: number) => withTenant(database.db, { tenantId: tenant.id, actor: system }, (scope) => ensureClinicStructure(scope, { patientCount, names, now: new Date('2026-12-28T12:00:00Z') }));

      await run(1);
      const first = await facts(tenant.id);
      assert.equal(first.practitioners.length, 8, 'topped up to eight practitioners');
      assert.deepEqual(new Set(first.rules.map((r) => r.practitioner_id)).size, 8, 'everyone has hours');
      assert.deepEqual(first.rooms.map((r) => r.name).sort(), ['Exam room 1', 'Exam room 2', 'Procedure room']);
      assert.deepEqual(first.holidays.map((h) => h.date), ['2027-01-01', '2027-12-25'], 'the coming holidays, not past ones');
      assert.equal(first.services.find((s) => s.name === 'New patient consultation')!.eligibility, 'new');
      assert.equal(first.offeredBy.length, 8 * 2, 'both services offered by all eight');

      // An admin clears one practitioner's hours; a second run leaves that alone.
      const cleared = first.practitioners[0]!.id;
      await withTenant(database.db, { tenantId: tenant.id, actor: system }, (scope) => scope.tx.deleteFrom('availability_rule').where('practitioner_id', '=', cleared).execute());
      await run(1);
      const second = await facts(tenant.id);
      assert.equal(second.rules.length, first.rules.length - first.rules.filter((r) => r.practitioner_id === cleared).length);
      assert.equal(second.rooms.length, 3);
      assert.equal(second.holidays.length, 2);

      // More patients bring more practitioners, and only they get hours and services.
      await run(8_000);
      const third = await facts(tenant.id);
      const fresh = third.practitioners.filter((p) => !first.practitioners.some((q) => q.id === p.id));
      assert.equal(fresh.length, 2);
      for (const p of fresh) {
        assert.ok(third.rules.some((r) => r.practitioner_id === p.id));
        assert.equal(third.offeredBy.filter((o) => o.practitioner_id === p.id).length, 2);
      }
      assert.ok(!third.rules.some((r) => r.practitioner_id === cleared));
    });
  });
}
