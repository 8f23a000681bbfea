import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { AppError } from '../../server/errors.ts';
import { createTenant, findTenantBySlug } from './service.ts';

for (const engine of engines()) {
  describe(`tenants (${engine})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      await database.dispose();
    });

    test('a slug the public booking site uses for its own pages is refused, as are bad slugs and zones; nothing is stored', async () => {
      for (const [input, path, message] of [
        [{ name: 'Manage Clinic', slug: 'manage' }, 'slug', /"manage" is reserved/],
        [{ name: 'Spaces', slug: 'two words' }, 'slug', /lowercase letters/],
        [{ name: 'Zone', slug: 'zone-clinic', timeZone: 'Mars/Olympus' }, 'timeZone', /not an IANA time zone/],
      ] as const) {
        await assert.rejects(createTenant(database.db, input), (error: unknown) => {
          assert.ok(error instanceof AppError);
          assert.equal(error.status, 400);
          assert.equal(error.fields?.[0]?.path, path);
          assert.match(error.message, message);
          return true;
        });
        assert.equal(await findTenantBySlug(database.db, input.slug), undefined);
      }
      const ok = await createTenant(database.db, { name: 'Managed Care', slug: 'managed-care' });
      assert.equal(ok.slug, 'managed-care');
    });
  });
}
