import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestTenant, createTestUser, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { asTenant, insertClinic, insertPatient } from '../../../test/helpers/duplicates.ts';
import { withTenant, type Actor, type TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';
import { PATIENT_REFERENCES } from '../patients/references.ts';
import { mergePatients, undoMerge, type MergeInput } from './merge.ts';

type World = { tenant: TestTenant; actor: Actor; survivor: string; merged: string; friend: string; tagShared: string; tagOwn: string };

const isAppError = (status: number, pattern: RegExp) => (e: unknown) =>
  e instanceof AppError && e.status === status && pattern.test(e.message) ? true : assert.fail(`expected ${status} ${pattern}, got ${String(e)}`);

for (const engine of engines()) {
  describe(`merging patients (${engine})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      await database.dispose();
    });

    const as = <T>(w: World, work: (s: TenantScope) => Promise<T>) => withTenant(database.db, { tenantId: w.tenant.id, actor: w.actor }, work);
    const merge = (w: World, input: Partial<MergeInput> = {}) =>
      as(w, (s) => mergePatients(s, { survivorId: w.survivor, mergedId: w.merged, choices: {}, ...input }));

    /** Two records of one person, with something in every table that points at patients. */
    async function world(): Promise<World> {
      const tenant = await createTestTenant(database);
      const user = await createTestUser(database, tenant, 'front_desk');
      const actor: Actor = { type: 'user', id: user.id, role: 'front_desk' };
      const clinic = await insertClinic(database, tenant.id);
      const survivor = await insertPatient(database, tenant.id, {
        mrn: 'A-1', given_name: 'Maya', family_name: 'Okafor', birth_date: '1988-04-02', sex: 'female',
        phone: '+14135550111', email: 'maya@example.org', address_line: '12 Main Street', postal_code: '01002',
      });
      const merged = await insertPatient(database, tenant.id, {
        mrn: 'A-2', given_name: 'Maya', family_name: 'Okafor-Reyes', birth_date: '1988-04-02', sex: 'female',
        phone: '+14135550122', email: null, city: 'Amherst', quiet_hours_start: '21:00:00', quiet_hours_end: '07:30:00',
        custom_fields: JSON.stringify({ allergy: 'penicillin', nested: { a: [1, 2.5] } }), source_channel: 'web', utm_source: 'flyer',
      });
      const friend = await insertPatient(database, tenant.id, { given_name: 'Noor', family_name: 'Haddad' });
      const ids = await asTenant(database, tenant.id, async (s) => {
        const tx = s.tx;
        const t = tenant.id;
        const [tagShared, tagOwn] = await Promise.all(
          ['vip', 'diabetic'].map(async (name) => (await tx.insertInto('tag').values({ tenant_id: t, name }).returning('id').executeTakeFirstOrThrow()).id),
        );
        await tx.insertInto('patient_tag').values([
          { tenant_id: t, patient_id: survivor, tag_id: tagShared! },
          { tenant_id: t, patient_id: merged, tag_id: tagShared! },
          { tenant_id: t, patient_id: merged, tag_id: tagOwn! },
        ]).execute();
        const visit = { tenant_id: t, practitioner_id: clinic.practitionerId, location_id: clinic.locationId, service_id: clinic.serviceId, time_zone: 'America/New_York' };
        await tx.insertInto('appointment').values([
          { ...visit, patient_id: merged, starts_at: '2026-01-05T15:00:00Z', ends_at: '2026-01-05T15:30:00Z', status: 'fulfilled' },
          { ...visit, patient_id: merged, starts_at: '2027-01-05T15:00:00Z', ends_at: '2027-01-05T15:30:00Z', status: 'booked' },
          { ...visit, patient_id: survivor, starts_at: '2025-06-05T15:00:00Z', ends_at: '2025-06-05T15:30:00Z', status: 'fulfilled' },
        ]).execute();
        await tx.insertInto('timeline_event').values({ tenant_id: t, patient_id: merged, occurred_at: new Date('2026-01-05T15:00:00Z'), kind: 'note', summary: 'Called about results', actor_type: 'system' }).execute();
        await tx.insertInto('task').values({ tenant_id: t, patient_id: merged, title: 'Send records' }).execute();
        await tx.insertInto('lead').values({ tenant_id: t, given_name: 'Maya', family_name: 'Okafor-Reyes', origin: 'web_form', patient_id: merged }).execute();
        await tx.insertInto('patient_identifier').values({ tenant_id: t, patient_id: merged, system: 'urn:ehr', value: 'E-1' }).execute();
        await tx.insertInto('patient_contact_point').values({ tenant_id: t, patient_id: merged, system: 'email', value: 'maya.work@example.net', use: 'work' }).execute();
        await tx.insertInto('patient_link').values([
          { tenant_id: t, patient_id: merged, related_id: friend, kind: 'guardian_of' },
          { tenant_id: t, patient_id: friend, related_id: merged, kind: 'shares_phone_with' },
          { tenant_id: t, patient_id: survivor, related_id: merged, kind: 'shares_phone_with' },
        ]).execute();
        await tx.insertInto('patient_change').values({ tenant_id: t, patient_id: merged, change_set: crypto.randomUUID(), actor_type: 'system', field: 'city', old_value: 'null', new_value: '"Amherst"' }).execute();
        const [a, b] = [survivor, merged].sort();
        await tx.insertInto('duplicate_candidate').values({ tenant_id: t, patient_a: a!, patient_b: b!, score: '0.9500', reasons: '[]', detected_by: 'scan' }).execute();
        return { tagShared: tagShared!, tagOwn: tagOwn! };
      });
      return { tenant, actor, survivor, merged, friend, ...ids };
    }

    /** Both patient rows, whole (to_jsonb), without version and updated_at. */
    const rows = (w: World) =>
      asTenant(database, w.tenant.id, async (s) => {
        const { rows: r } = await sql<{ id: string; row: Record<string, unknown> }>`
          select id, to_jsonb(p) - 'version' - 'updated_at' as row from patient p where id in (${w.survivor}, ${w.merged}) order by id`.execute(s.tx);
        return r;
      });
    /** Every row that points at either patient, by table and column, with its key. */
    const pointers = (w: World) =>
      asTenant(database, w.tenant.id, async (s) => {
        const out: Record<string, unknown[]> = {};
        for (const ref of PATIENT_REFERENCES) {
          const cols = [...new Set([...ref.key, ref.column])].map((c) => sql.ref(c));
          // The events the merge and undo write about themselves are new rows, not moved ones.
          const own = ref.table === 'timeline_event' ? sql`and kind not in ('patient.merged', 'patient.merge_undone')` : sql``;
          const { rows: r } = await sql`select ${sql.join(cols)} from ${sql.table(ref.table)}
            where ${sql.ref(ref.column)} in (${w.survivor}, ${w.merged}) ${own} order by ${sql.join(cols)}`.execute(s.tx);
          out[`${ref.table}.${ref.column}`] = r;
        }
        return out;
      });
    const candidate = (w: World) =>
      asTenant(database, w.tenant.id, async (s) => (await sql<{ row: unknown }>`select to_jsonb(c) as row from duplicate_candidate c`.execute(s.tx)).rows);
    const count = (w: World, table: 'patient_merge' | 'patient_change' | 'timeline_event', patientId?: string) =>
      asTenant(database, w.tenant.id, async (s) => {
        let q = s.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
        if (patientId && table !== 'patient_merge') q = q.where('patient_id', '=', patientId);
        return Number((await q.executeTakeFirstOrThrow()).n);
      });

    test('a merge moves every link to the survivor, takes the chosen values and keeps what would be lost', async () => {
      const w = await world();
      const result = await merge(w, { choices: { familyName: 'merged', mrn: 'merged' }, expectedVersions: { survivor: 1, merged: 1 } });
      assert.deepEqual(result.changedFields.sort(), ['city', 'customFields', 'familyName', 'mrn', 'quietHours', 'source'].sort());
      assert.equal(result.chosen.phone, 'survivor');
      assert.equal(result.chosen.city, 'merged', 'an empty survivor field takes the merged value by default');
      await asTenant(database, w.tenant.id, async (s) => {
        const p = await s.tx.selectFrom('patient').selectAll().where('id', 'in', [w.survivor, w.merged]).execute();
        const sv = p.find((x) => x.id === w.survivor)!;
        const mg = p.find((x) => x.id === w.merged)!;
        assert.deepEqual([sv.family_name, sv.mrn, sv.city, sv.phone, sv.version], ['Okafor-Reyes', 'A-2', 'Amherst', '+14135550111', 2]);
        assert.deepEqual([sv.quiet_hours_start, sv.custom_fields, sv.utm_source], ['21:00:00', { allergy: 'penicillin', nested: { a: [1, 2.5] } }, 'flyer']);
        assert.equal(new Date(sv.last_visit_at!).toISOString(), '2026-01-05T15:00:00.000Z', 'the last visit follows the moved appointments');
        assert.deepEqual([mg.merged_into_id, mg.mrn, mg.version, mg.last_visit_at], [w.survivor, null, 2, null]);
        assert.ok(mg.archived_at);
        const extras = await s.tx.selectFrom('patient_contact_point').select(['system', 'value']).where('patient_id', '=', w.survivor).orderBy('value').execute();
        assert.deepEqual(extras, [{ system: 'phone', value: '+14135550122' }, { system: 'email', value: 'maya.work@example.net' }]);
        const ids = await s.tx.selectFrom('patient_identifier').select(['system', 'value']).where('patient_id', '=', w.survivor).orderBy('system').execute();
        assert.deepEqual(ids, [{ system: 'urn:ehr', value: 'E-1' }, { system: 'urn:rapport:previous-mrn', value: 'A-1' }]);
        const tags = await s.tx.selectFrom('patient_tag').select(['patient_id', 'tag_id']).execute();
        assert.deepEqual(new Set(tags.map((t) => `${t.patient_id}:${t.tag_id}`)), new Set([`${w.survivor}:${w.tagShared}`, `${w.survivor}:${w.tagOwn}`, `${w.merged}:${w.tagShared}`]));
        const links = await s.tx.selectFrom('patient_link').select(['patient_id', 'related_id', 'kind']).orderBy('kind').orderBy('patient_id').execute();
        assert.deepEqual(new Set(links.map((l) => `${l.patient_id}>${l.related_id}:${l.kind}`)), new Set([
          `${w.survivor}>${w.friend}:guardian_of`, `${w.friend}>${w.survivor}:shares_phone_with`, `${w.survivor}>${w.merged}:shares_phone_with`,
        ]));
        for (const table of ['appointment', 'task', 'lead'] as const) {
          const left = await s.tx.selectFrom(table).select('id').where('patient_id', '=', w.merged).execute();
          assert.equal(left.length, 0, `${table} rows left on the merged record`);
        }
        const changes = await s.tx.selectFrom('patient_change').select(['patient_id', 'field', 'old_value', 'new_value']).execute();
        assert.ok(changes.some((c) => c.patient_id === w.survivor && c.field === 'familyName' && c.old_value === 'Okafor' && c.new_value === 'Okafor-Reyes'));
        assert.ok(changes.some((c) => c.patient_id === w.merged && c.field === 'city'), "the merged record's own history stays with it");
        assert.ok(changes.some((c) => c.patient_id === w.merged && c.field === 'mergedIntoId' && c.new_value === w.survivor));
        const events = await s.tx.selectFrom('timeline_event').select(['patient_id', 'kind', 'subject_id']).orderBy('recorded_at').execute();
        assert.deepEqual(events.map((e) => [e.patient_id, e.kind]), [[w.survivor, 'note'], [w.survivor, 'patient.merged']]);
        assert.equal(events[1]!.subject_id, result.id);
        const audit = await s.tx.selectFrom('audit_event').select(['action', 'patient_id', 'actor_id']).where('action', '=', 'patient.merge').execute();
        assert.deepEqual(new Set(audit.map((a) => a.patient_id)), new Set([w.survivor, w.merged]));
        assert.ok(audit.every((a) => a.actor_id === w.actor.id));
      });
      assert.deepEqual(result.stayed.map((x) => [x.table, x.column, x.reason, x.rows]).sort(), [
        ['patient_link', 'related_id', 'links_the_two_records', 1],
        ['patient_tag', 'patient_id', 'already_on_survivor', 1],
      ]);
      assert.equal(result.mergedBy, w.actor.id);
      assert.equal(((await candidate(w))[0]!.row as { status: string }).status, 'merged');
    });

    test('undo restores both patient rows, every link and the review queue exactly as they were', async () => {
      const w = await world();
      const [rowsBefore, pointersBefore, candidateBefore] = [await rows(w), await pointers(w), await candidate(w)];
      const merged = await merge(w, { choices: { familyName: 'merged', mrn: 'merged', email: 'survivor', sex: 'merged' } });
      assert.notDeepEqual(await pointers(w), pointersBefore, 'the merge moved rows');
      const undone = await as(w, (s) => undoMerge(s, merged.id));
      assert.ok(undone.undoneAt);
      assert.equal(undone.undoneBy, w.actor.id);
      assert.deepEqual(await rows(w), rowsBefore);
      assert.deepEqual(await pointers(w), pointersBefore);
      assert.deepEqual(await candidate(w), candidateBefore);
      await asTenant(database, w.tenant.id, async (s) => {
        const v = await s.tx.selectFrom('patient').select(['id', 'version']).where('id', 'in', [w.survivor, w.merged]).execute();
        assert.ok(v.every((x) => x.version === 3), 'undo bumps the version instead of reusing one');
        const extra = await s.tx.selectFrom('patient_contact_point').select('value').where('patient_id', '=', w.survivor).execute();
        assert.deepEqual(extra, [], 'contact points the merge added are gone');
        const kinds = await s.tx.selectFrom('timeline_event').select(['patient_id', 'kind']).where('kind', '=', 'patient.merge_undone').execute();
        assert.deepEqual(new Set(kinds.map((k) => k.patient_id)), new Set([w.survivor, w.merged]));
        const audit = await s.tx.selectFrom('audit_event').select('patient_id').where('action', '=', 'patient.merge_undo').execute();
        assert.deepEqual(new Set(audit.map((a) => a.patient_id)), new Set([w.survivor, w.merged]));
      });
      await assert.rejects(as(w, (s) => undoMerge(s, merged.id)), isAppError(409, /already been undone/));
      const again = await merge(w, { choices: { mrn: 'merged' } });
      assert.equal(again.changedFields.includes('mrn'), true, 'the restored records can be merged again');
    });

    test('refuses a self-merge, unknown fields, missing or foreign patients, stale versions and a second merge', async () => {
      const w = await world();
      const other = await createTestTenant(database);
      const foreign = await insertPatient(database, other.id, { given_name: 'Maya', family_name: 'Okafor' });
      await assert.rejects(merge(w, { mergedId: w.survivor }), isAppError(400, /itself/));
      await assert.rejects(merge(w, { mergedId: w.survivor.toUpperCase() }), isAppError(400, /itself/));
      await assert.rejects(
        merge(w, { choices: { nickname: 'merged' } as never }),
        (e: unknown) => e instanceof AppError && e.code === 'validation_failed' && e.fields?.[0]?.path === 'choices.nickname',
      );
      await assert.rejects(merge(w, { choices: { sex: 'both' } as never }), isAppError(400, /choices.sex must be 'survivor' or 'merged'/));
      await assert.rejects(merge(w, { mergedId: foreign }), isAppError(404, /patient to merge was not found/));
      await assert.rejects(merge(w, { survivorId: foreign }), isAppError(404, /surviving patient was not found/));
      await assert.rejects(merge(w, { mergedId: 'not-a-uuid' }), isAppError(404, /not found/));
      await assert.rejects(merge(w, { expectedVersions: { survivor: 1, merged: 7 } }), isAppError(409, /merged record has changed since you looked \(version 7, now 1\)/));
      assert.equal(await count(w, 'patient_merge'), 0, 'a refused merge writes nothing');
      const refusals = await asTenant(database, w.tenant.id, (s) =>
        s.tx.selectFrom('audit_event').select(['patient_id', 'outcome']).where('action', '=', 'patient.merge').where('patient_id', 'is not', null).execute(),
      );
      assert.deepEqual(new Set(refusals.map((r) => `${r.patient_id}:${r.outcome}`)), new Set([`${w.survivor}:failure`, `${w.merged}:failure`]), 'but is audited');
      await merge(w);
      await assert.rejects(merge(w), isAppError(409, /already merged/));
      await assert.rejects(merge(w, { survivorId: w.merged, mergedId: w.survivor }), isAppError(409, /already merged/));
      await assert.rejects(merge(w, { survivorId: w.friend, mergedId: w.merged }), isAppError(409, /merged record was already merged/));
      await assert.rejects(as(w, (s) => undoMerge(s, crypto.randomUUID())), isAppError(404, /Merge was not found/));
      const archived = await insertPatient(database, w.tenant.id, { given_name: 'Old', family_name: 'Record', archived_at: new Date() });
      await assert.rejects(merge(w, { mergedId: archived, survivorId: w.friend }), isAppError(409, /archived/));
    });

    test('undo refuses to overwrite later work, and keeps later changes the merge did not make', async () => {
      const w = await world();
      const first = await merge(w, { choices: { familyName: 'merged' } });
      // A later edit to a field the merge did not set is kept through the undo.
      await as(w, (s) => s.tx.updateTable('patient').set({ language: 'es', version: sql`version + 1` }).where('id', '=', w.survivor).execute());
      await as(w, (s) => s.tx.updateTable('patient').set({ family_name: 'Okafor-Reyes-Lee' }).where('id', '=', w.survivor).execute());
      await assert.rejects(as(w, (s) => undoMerge(s, first.id)), isAppError(409, /familyName changed on the surviving record after the merge/));
      await as(w, (s) => s.tx.updateTable('patient').set({ family_name: 'Okafor-Reyes' }).where('id', '=', w.survivor).execute());
      const task = await as(w, (s) => s.tx.selectFrom('task').select('id').where('patient_id', '=', w.survivor).executeTakeFirstOrThrow());
      await as(w, (s) => s.tx.updateTable('task').set({ patient_id: w.friend }).where('id', '=', task.id).execute());
      await assert.rejects(as(w, (s) => undoMerge(s, first.id)), isAppError(409, /1 of the 1 task row\(s\) it moved no longer belong/));
      await as(w, (s) => s.tx.updateTable('task').set({ patient_id: w.survivor }).where('id', '=', task.id).execute());
      await as(w, (s) => undoMerge(s, first.id));
      const after = await as(w, (s) => s.tx.selectFrom('patient').select(['id', 'family_name', 'language']).where('id', '=', w.survivor).executeTakeFirstOrThrow());
      assert.deepEqual([after.family_name, after.language], ['Okafor', 'es']);
    });

    test('a survivor merged again must be unmerged first; chained merges undo in reverse order', async () => {
      const w = await world();
      const third = await insertPatient(database, w.tenant.id, { given_name: 'Maya', family_name: 'Okafor', birth_date: '1988-04-02' });
      const first = await merge(w);
      const second = await as(w, (s) => mergePatients(s, { survivorId: third, mergedId: w.survivor, choices: { mrn: 'merged' } }));
      await assert.rejects(as(w, (s) => undoMerge(s, first.id)), isAppError(409, /since been merged into another patient; undo that merge first/));
      await as(w, (s) => undoMerge(s, second.id));
      await as(w, (s) => undoMerge(s, first.id));
      const live = await as(w, (s) => s.tx.selectFrom('patient').select('id').where('archived_at', 'is', null).execute());
      assert.equal(live.length, 4);
      assert.equal(await count(w, 'timeline_event', w.merged), 2, "the merged record's note is back, with the restore event");
    });
  });
}
