import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { engines, openTestDatabase } from '../../test/helpers/database.ts';
import { signIn } from '../modules/auth/service.ts';
import { DEMO_PATIENTS, ensureFirstClinic } from './bootstrap.ts';
import { withSystem, withTenant } from './db/scope.ts';
import { testConfig } from '../../test/helpers/app.ts';

const logger = pino({ level: 'silent' });

for (const engine of engines()) {
  describe(`first start (${engine})`, () => {
    test('creates the demo clinic and one administrator once; a second start creates nothing', async () => {
      const database = await openTestDatabase(engine);
      try {
        const now = new Date('2026-11-22T15:00:00Z');
        const first = await ensureFirstClinic(database.db, { demo: true, now, logger });
        assert.ok(first);
        const again = await ensureFirstClinic(database.db, { demo: true, now, logger });
        assert.equal(again, null);

        const tenants = await withSystem(database.db, (tx) => tx.selectFrom('tenant').select(['id', 'name']).execute());
        assert.deepEqual(tenants, [{ id: first.tenantId, name: 'Demo Clinic' }]);
        const counts = await withTenant(database.db, { tenantId: first.tenantId, actor: { type: 'system', id: null } }, async (s) => {
          const count = async (table: 'patient' | 'practitioner' | 'location' | 'department' | 'service' | 'app_user' | 'tag' | 'patient_tag' | 'lead' | 'task' | 'timeline_event' | 'custom_field' | 'duplicate_candidate') =>
            Number((await s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
          const past = await s.tx
            .selectFrom('appointment')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('starts_at', '<', now)
            .where('status', '=', 'fulfilled')
            .executeTakeFirstOrThrow();
          const future = await s.tx
            .selectFrom('appointment')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('starts_at', '>', now)
            .where('status', '=', 'booked')
            .executeTakeFirstOrThrow();
          return {
            patients: await count('patient'),
            practitioners: await count('practitioner'),
            locations: await count('location'),
            departments: await count('department'),
            services: await count('service'),
            users: await count('app_user'),
            tags: await count('tag'),
            tagged: await count('patient_tag'),
            leads: await count('lead'),
            tasks: await count('task'),
            timeline: await count('timeline_event'),
            customFields: await count('custom_field'),
            duplicates: await count('duplicate_candidate'),
            past: Number(past.n),
            future: Number(future.n),
          };
        });
        assert.equal(counts.patients, DEMO_PATIENTS + 4, 'the demo patients and four registered twice');
        assert.ok(counts.duplicates >= 4, `the duplicate review queue has the twice-registered patients: ${counts.duplicates}`);
        assert.equal(counts.users, 1);
        assert.ok(counts.tags >= 5 && counts.tagged > 20 && counts.customFields === 3, `tags and fields: ${JSON.stringify(counts)}`);
        assert.ok(counts.leads >= 8 && counts.tasks >= 8 && counts.timeline > 100, `relationships: ${JSON.stringify(counts)}`);
        assert.ok(counts.locations >= 2 && counts.departments >= 3 && counts.practitioners >= 5 && counts.services >= 5);
        assert.ok(counts.past > DEMO_PATIENTS, `visit history: ${counts.past}`);
        assert.ok(counts.future > 50, `future appointments: ${counts.future}`);

        const config = testConfig();
        const session = await signIn(
          { db: database.db, clock: () => now, config },
          { email: first.admin.email, password: first.admin.password, origin: {} },
        );
        assert.equal(session.principal.role, 'admin');
        assert.equal(session.principal.tenantName, 'Demo Clinic');
      } finally {
        await database.dispose();
      }
    });

    test('RAPPORT_DEMO=false starts an empty clinic with its administrator', async () => {
      const database = await openTestDatabase(engine);
      try {
        const first = await ensureFirstClinic(database.db, { demo: false, now: new Date(), logger });
        assert.ok(first);
        const patients = await withTenant(database.db, { tenantId: first.tenantId, actor: { type: 'system', id: null } }, (s) =>
          s.tx.selectFrom('patient').select('id').execute(),
        );
        assert.equal(patients.length, 0);
      } finally {
        await database.dispose();
      }
    });

    test('no two practitioners\' appointments overlap in the demo data', async () => {
      const database = await openTestDatabase(engine);
      try {
        const first = await ensureFirstClinic(database.db, { demo: true, now: new Date(), logger });
        assert.ok(first);
        const overlaps = await withTenant(database.db, { tenantId: first.tenantId, actor: { type: 'system', id: null } }, (s) =>
          s.tx
            .selectFrom('appointment as a')
            .innerJoin('appointment as b', (j) =>
              j.onRef('a.practitioner_id', '=', 'b.practitioner_id').onRef('a.id', '<', 'b.id').onRef('a.starts_at', '<', 'b.ends_at').onRef('b.starts_at', '<', 'a.ends_at'),
            )
            .select('a.id')
            .execute(),
        );
        assert.equal(overlaps.length, 0);
      } finally {
        await database.dispose();
      }
    });
  });
}
