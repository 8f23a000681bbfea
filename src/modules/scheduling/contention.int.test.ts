import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signedInTenant } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';

/**
 * Many clients racing for one slot, over real HTTP with a connection pool as wide as a production
 * process's: exactly one booking wins, every other request is told the slot is taken, and no two
 * active appointments of one practitioner overlap afterwards (checked by a self-join).
 */
for (const engine of engines()) {
  describe(`booking under contention (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let base: string;
    before(async () => {
      database = await openTestDatabase(engine, { poolMax: 20 });
      app = await buildTestApp(database, { clock: manualClock(new Date('2026-11-22T14:00:00Z')) });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    async function overlaps(tenantId: string): Promise<number> {
      return withTenant(database.db, { tenantId, actor: { type: 'system', id: null } }, async (scope) => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n
            from appointment a
            join appointment b on b.practitioner_id = a.practitioner_id and b.id > a.id
           where a.status in ('booked', 'arrived', 'fulfilled') and b.status in ('booked', 'arrived', 'fulfilled')
             and tstzrange(a.block_start, a.block_end) && tstzrange(b.block_start, b.block_end)`.execute(scope.tx);
        return rows[0]!.n;
      });
    }

    test('100 concurrent requests for one slot: exactly one 201, the rest 409, no overlapping rows', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const clinic = await createClinic(database, t.tenant.id, { patients: 100 });
      const statuses = await Promise.all(
        clinic.patientIds.map(async (patientId, i) => {
          const res = await fetch(`${base}/api/appointments`, {
            method: 'POST',
            headers: { cookie: t.cookie, 'content-type': 'application/json' },
            // Overlapping but not identical starts, so the database, not an equal-key check, decides.
            body: JSON.stringify({
              patientId,
              serviceId: clinic.serviceId,
              practitionerId: clinic.practitionerIds[0],
              locationId: clinic.locationId,
              startsAt: `2026-11-23T10:${String((i % 3) * 5).padStart(2, '0')}:00-05:00`,
            }),
          });
          const body = (await res.json()) as { error?: { code: string } };
          return { status: res.status, code: body.error?.code };
        }),
      );
      const created = statuses.filter((s) => s.status === 201).length;
      const conflicts = statuses.filter((s) => s.status === 409 && s.code === 'slot_taken').length;
      assert.deepEqual({ created, conflicts, other: statuses.length - created - conflicts }, { created: 1, conflicts: 99, other: 0 });
      assert.equal(await overlaps(t.tenant.id), 0);
      const rows = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('appointment').select('id').execute());
      assert.equal(rows.length, 1);
    });

    test('concurrent reschedules onto one free time: one moves, the rest are refused, nothing overlaps', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const clinic = await createClinic(database, t.tenant.id, { patients: 10 });
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${base}/api/appointments`, {
          method: 'POST',
          headers: { cookie: t.cookie, 'content-type': 'application/json' },
          body: JSON.stringify({
            patientId: clinic.patientIds[i],
            serviceId: clinic.serviceId,
            practitionerId: clinic.practitionerIds[0],
            locationId: clinic.locationId,
            startsAt: `2026-11-24T${String(9 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}:00-05:00`,
          }),
        });
        assert.equal(res.status, 201);
        ids.push(((await res.json()) as { id: string }).id);
      }
      const results = await Promise.all(
        ids.map((id) =>
          fetch(`${base}/api/appointments/${id}/reschedule`, {
            method: 'POST',
            headers: { cookie: t.cookie, 'content-type': 'application/json' },
            body: JSON.stringify({ startsAt: '2026-11-25T10:00:00-05:00', version: 1 }),
          }).then((r) => r.status),
        ),
      );
      assert.equal(results.filter((s) => s === 200).length, 1);
      assert.equal(results.filter((s) => s === 409).length, 9);
      assert.equal(await overlaps(t.tenant.id), 0);
    });
  });
}
