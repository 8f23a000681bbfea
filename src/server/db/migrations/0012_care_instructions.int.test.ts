import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { engines, openTestDatabase, type TestDatabase } from '../../../../test/helpers/database.ts';
import { DEFAULT_TEMPLATES } from '../../../modules/journeys/defaults.ts';
import { migrateToLatest } from '../migrate.ts';
import { migrations } from './index.ts';

/**
 * Migration 0012 on clinics created before it: the shipped follow-up template, where it is still
 * exactly what Rapport shipped, becomes the one with care instructions; an edited one is left alone.
 */

const OLD_SUBJECT = 'Thank you for visiting {{clinic.name}}';
const OLD_BODY =
  'Hi {{patient.firstName}},\n\nThank you for coming in yesterday for your {{appointment.service}} with {{appointment.practitioner}}.\n\nCare after your visit: follow the advice you were given at the clinic, and call us on {{clinic.phone}} if anything worries you. In an emergency, call your local emergency number.\n\nHow did we do? It takes a minute: {{links.survey}}\n\n{{clinic.name}}';
const EDITED_BODY = OLD_BODY.replace('Care after your visit:', 'After your visit:');
const NEW = DEFAULT_TEMPLATES.find((t) => t.key === 'visit.followup' && t.channel === 'email')!;

for (const engine of engines()) {
  describe(`migration 0012: care instructions (${engine})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(engine, { migrate: false });
    });
    after(async () => database.dispose());

    test('an unedited follow-up template is brought up to date; edited ones, other languages and other keys are not', async () => {
      // The schema as it was before 0012.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see the schema as it was, not DB
      const db = database.db as unknown as Kysely<any>;
      const before0012 = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0012'));
      const { error } = await new Migrator({ db, provider: { getMigrations: async () => before0012 }, migrationTableName: 'schema_migration', migrationLockTableName: 'schema_migration_lock' }).migrateToLatest();
      assert.equal(error, undefined);

      // Four clinics as they were: as shipped, edited in the body, edited in the subject, and one with a Spanish copy.
      const tenants: Record<string, string> = {};
      for (const slug of ['shipped', 'edited-body', 'edited-subject', 'translated']) {
        const row = await sql<{ id: string }>`INSERT INTO tenant (name, slug, time_zone) VALUES (${slug}, ${slug}, 'America/New_York') RETURNING id`.execute(db);
        tenants[slug] = row.rows[0]!.id;
      }
      const template = (tenant: string, fields: { subject?: string; body?: string; language?: string; key?: string; version?: number }) =>
        sql`INSERT INTO message_template (tenant_id, key, name, channel, language, purpose, subject, body, version)
            VALUES (${tenants[tenant]}, ${fields.key ?? 'visit.followup'}, 'After your visit', 'email', ${fields.language ?? 'en'}, 'care',
                    ${fields.subject ?? OLD_SUBJECT}, ${fields.body ?? OLD_BODY}, ${fields.version ?? 1})`.execute(db);
      await template('shipped', {});
      await template('shipped', { key: 'visit.thanks' });
      // Edited, then put back exactly: byte for byte the shipped text, so it is updated too.
      await template('translated', { version: 3 });
      await template('translated', { language: 'es' });
      await template('edited-body', { body: EDITED_BODY, version: 2 });
      await template('edited-subject', { subject: 'Thanks from {{clinic.name}}', version: 2 });

      assert.deepEqual(await migrateToLatest(database.db), ['0012_care_instructions']);

      const rows = await sql<{ slug: string; key: string; language: string; subject: string; body: string; version: number }>`
        SELECT t.slug, m.key, m.language, m.subject, m.body, m.version FROM message_template m JOIN tenant t ON t.id = m.tenant_id
        ORDER BY t.slug, m.key, m.language`.execute(db);
      const summary = rows.rows.map((r) => [r.slug, r.key, r.language, r.body === NEW.body ? 'new' : r.body === OLD_BODY ? 'old' : 'own', r.version]);
      assert.deepEqual(summary, [
        ['edited-body', 'visit.followup', 'en', 'own', 2],
        ['edited-subject', 'visit.followup', 'en', 'old', 2],
        ['shipped', 'visit.followup', 'en', 'new', 2],
        ['shipped', 'visit.thanks', 'en', 'old', 1],
        ['translated', 'visit.followup', 'en', 'new', 4],
        ['translated', 'visit.followup', 'es', 'old', 1],
      ]);
      assert.ok(NEW.body.includes('{{appointment.careInstructions}}'));
      assert.equal(NEW.subject, OLD_SUBJECT, 'the subject did not change');

      // The new columns refuse an empty or overlong text.
      for (const bad of ['', 'x'.repeat(2001)]) {
        await assert.rejects(
          sql`INSERT INTO service (tenant_id, name, duration_minutes, care_instructions) VALUES (${tenants.shipped}, 'Cleaning', 30, ${bad})`.execute(db),
          /check constraint/,
        );
      }
      await sql`INSERT INTO service (tenant_id, name, duration_minutes, care_instructions) VALUES (${tenants.shipped}, 'Cleaning', 30, ${'x'.repeat(2000)})`.execute(db);
    });
  });
}
