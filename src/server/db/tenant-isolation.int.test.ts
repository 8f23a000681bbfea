import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withSystem, withTenant, type Actor } from './scope.ts';

const system: Actor = { type: 'system', id: null };

for (const engine of engines()) {
  describe(`tenant isolation (${engine})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(() => database.dispose());

    async function tenantWithPatient(family: string) {
      const tenant = await createTestTenant(database);
      await withTenant(database.db, { tenantId: tenant.id, actor: system }, (scope) =>
        scope.tx.insertInto('patient').values({ tenant_id: tenant.id, given_name: 'Ada', family_name: family }).execute(),
      );
      return tenant;
    }

    test('a query without a tenant filter sees only its own tenant', async () => {
      const a = await tenantWithPatient('Alpha');
      const b = await tenantWithPatient('Bravo');
      const seen = await withTenant(database.db, { tenantId: a.id, actor: system }, (scope) =>
        // Deliberately no where(tenant_id = ...): the database must add it.
        scope.tx.selectFrom('patient').select(['family_name', 'tenant_id']).execute(),
      );
      assert.deepEqual(seen, [{ family_name: 'Alpha', tenant_id: a.id }]);
      const seenByB = await withTenant(database.db, { tenantId: b.id, actor: system }, (scope) =>
        scope.tx.selectFrom('patient').select('family_name').execute(),
      );
      assert.deepEqual(seenByB, [{ family_name: 'Bravo' }]);
    });

    test('the application role without a tenant setting sees nothing at all', async () => {
      await tenantWithPatient('Charlie');
      const rows = await database.db.transaction().execute(async (tx) => {
        await sql`set local role rapport_app`.execute(tx);
        return tx.selectFrom('patient').select('id').execute();
      });
      assert.equal(rows.length, 0);
    });

    test('the application role cannot bypass row-level security', async () => {
      const row = await database.db.transaction().execute(async (tx) => {
        await sql`set local role rapport_app`.execute(tx);
        const r = await sql<{ rolbypassrls: boolean; rolsuper: boolean }>`
          select rolbypassrls, rolsuper from pg_roles where rolname = current_user`.execute(tx);
        return r.rows[0];
      });
      assert.deepEqual(row, { rolbypassrls: false, rolsuper: false });
    });

    test("writing a row into another tenant is refused", async () => {
      const a = await tenantWithPatient('Delta');
      const b = await createTestTenant(database);
      await assert.rejects(
        withTenant(database.db, { tenantId: a.id, actor: system }, (scope) =>
          scope.tx.insertInto('patient').values({ tenant_id: b.id, given_name: 'Eve', family_name: 'Intruder' }).execute(),
        ),
        /row-level security/,
      );
      const updated = await withTenant(database.db, { tenantId: a.id, actor: system }, async (scope) => {
        const r = await scope.tx.updateTable('patient').set({ family_name: 'Hijacked' }).where('tenant_id', '=', b.id).executeTakeFirst();
        return Number(r.numUpdatedRows);
      });
      assert.equal(updated, 0);
    });

    test('the audit log is append-only for the application role and the owner', async () => {
      const a = await createTestTenant(database);
      await withTenant(database.db, { tenantId: a.id, actor: system }, (scope) => scope.audit({ action: 'test.write' }));
      await assert.rejects(
        withTenant(database.db, { tenantId: a.id, actor: system }, (scope) =>
          scope.tx.updateTable('audit_event').set({ action: 'tampered' }).execute(),
        ),
        /permission denied/,
      );
      await assert.rejects(
        withTenant(database.db, { tenantId: a.id, actor: system }, (scope) => scope.tx.deleteFrom('audit_event').execute()),
        /permission denied/,
      );
      await assert.rejects(withSystem(database.db, (tx) => tx.deleteFrom('audit_event').execute()), /append-only/);
      const rows = await withTenant(database.db, { tenantId: a.id, actor: system }, (scope) =>
        scope.tx.selectFrom('audit_event').select('action').execute(),
      );
      assert.deepEqual(rows, [{ action: 'test.write' }]);
    });

    test('audit records roll back with the work they describe', async () => {
      const a = await createTestTenant(database);
      await assert.rejects(
        withTenant(database.db, { tenantId: a.id, actor: system }, async (scope) => {
          await scope.audit({ action: 'patient.create' });
          throw new Error('boom');
        }),
      );
      const count = await withTenant(database.db, { tenantId: a.id, actor: system }, (scope) =>
        scope.tx.selectFrom('audit_event').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      );
      assert.equal(count.n, 0);
    });

    test('concurrent transactions of different tenants do not interleave', async () => {
      const tenants = await Promise.all(['P', 'Q', 'R', 'S'].map((f) => tenantWithPatient(f)));
      const results = await Promise.all(
        tenants.flatMap((t) =>
          Array.from({ length: 5 }, () =>
            withTenant(database.db, { tenantId: t.id, actor: system }, async (scope) => {
              const before = await scope.tx.selectFrom('patient').select('family_name').execute();
              await new Promise((r) => setImmediate(r));
              const current = await sql<{ t: string }>`select current_setting('rapport.tenant_id') as t`.execute(scope.tx);
              return { expected: t.id, got: current.rows[0]?.t, rows: before.length };
            }),
          ),
        ),
      );
      for (const r of results) {
        assert.equal(r.got, r.expected);
        assert.equal(r.rows, 1);
      }
    });
  });
}
