import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { asTenant, insertPatient, SYSTEM, type PatientFixture } from '../../../test/helpers/duplicates.ts';
import { findLikelyDuplicates, recordDuplicateCandidates, scanTenantForDuplicates, type PatientDraft } from './detect.ts';
import { MAX_BLOCK_SIZE } from './match-data.ts';

const maya: PatientFixture = {
  given_name: 'Maya',
  family_name: 'Okafor',
  birth_date: '1988-04-02',
  sex: 'female',
  phone: '+14135550111',
  email: 'maya.okafor@example.org',
  address_line: '12 Main Street',
  postal_code: '01002',
};
const draftOf = (p: PatientFixture, over: Partial<PatientDraft> = {}): PatientDraft => ({
  givenName: p.given_name,
  familyName: p.family_name,
  birthDate: p.birth_date ?? null,
  sex: p.sex ?? null,
  phones: p.phone ? [p.phone] : [],
  emails: p.email ? [p.email] : [],
  addressLine: p.address_line ?? null,
  postalCode: p.postal_code ?? null,
  identifiers: [],
  ...over,
});

for (const engine of engines()) {
  describe(`duplicate detection (${engine})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      await database.dispose();
    });

    const keysOf = (tenantId: string, patientId: string) =>
      asTenant(database, tenantId, async (s) =>
        (await s.tx.selectFrom('patient_match_key').select('key').where('patient_id', '=', patientId).orderBy('key').execute()).map((r) => r.key),
      );

    test('blocking keys follow the patient, its contact points and identifiers', async () => {
      const tenant = await createTestTenant(database);
      const id = await insertPatient(database, tenant.id, { ...maya, mrn: 'A-1' });
      assert.deepEqual(await keysOf(tenant.id, id), ['b:1988-2-4', 'e:maya.okafor@example.org', 'fd:AKFR|2-4', 'fy:AKFR|1988', 'm:A-1', 'n:AKFR|M', 'p:14135550111']);
      const swapped = await insertPatient(database, tenant.id, { ...maya, birth_date: '1988-02-04', phone: null, email: null });
      assert.ok((await keysOf(tenant.id, swapped)).includes('b:1988-2-4'), 'day and month swapped share the key');
      await asTenant(database, tenant.id, async (s) => {
        await s.tx.updateTable('patient').set({ phone: '+14135550199' }).where('id', '=', id).execute();
        await s.tx.insertInto('patient_contact_point').values({ tenant_id: tenant.id, patient_id: id, system: 'email', value: 'M.O@Example.org' }).execute();
        await s.tx.insertInto('patient_identifier').values({ tenant_id: tenant.id, patient_id: id, system: 'urn:ehr', value: 'E-7' }).execute();
      });
      const keys = await keysOf(tenant.id, id);
      assert.ok(keys.includes('p:14135550199') && !keys.includes('p:14135550111'));
      assert.ok(keys.includes('e:m.o@example.org') && keys.includes('i:urn:ehr|E-7'));
      await asTenant(database, tenant.id, (s) => s.tx.deleteFrom('patient_contact_point').where('patient_id', '=', id).execute());
      assert.ok(!(await keysOf(tenant.id, id)).includes('e:m.o@example.org'));
    });

    test('finds a clear duplicate by name and birth date, and a likely one by email with a typo in the name', async () => {
      const tenant = await createTestTenant(database);
      const id = await insertPatient(database, tenant.id, maya);
      await insertPatient(database, tenant.id, { ...maya, given_name: 'Noor', family_name: 'Haddad', phone: null, email: null, birth_date: '1970-01-01' });
      const exact = await asTenant(database, tenant.id, (s) => findLikelyDuplicates(s, draftOf(maya, { phones: [], emails: [], addressLine: null })));
      assert.deepEqual(exact.map((m) => [m.patientId, m.level]), [[id, 'clear']]);
      assert.ok(exact[0]!.reasons.some((r) => r.detail === 'same date of birth 1988-04-02'));

      const typo = await asTenant(database, tenant.id, (s) =>
        findLikelyDuplicates(s, { givenName: 'Mya', familyName: 'Okafor', phones: [], emails: ['maya.okafor@example.org'], identifiers: [] }),
      );
      assert.equal(typo.length, 1);
      assert.equal(typo[0]!.patientId, id);
      assert.ok(['likely', 'clear'].includes(typo[0]!.level));
      assert.ok(typo[0]!.reasons.some((r) => r.detail === 'same email maya.okafor@example.org'));
    });

    test('finds through an extra contact point and an identifier; a shared identifier is decisive', async () => {
      const tenant = await createTestTenant(database);
      const id = await insertPatient(database, tenant.id, { ...maya, phone: null, email: null, birth_date: null });
      await asTenant(database, tenant.id, async (s) => {
        await s.tx.insertInto('patient_contact_point').values({ tenant_id: tenant.id, patient_id: id, system: 'phone', value: '+16175550142' }).execute();
        await s.tx.insertInto('patient_identifier').values({ tenant_id: tenant.id, patient_id: id, system: 'urn:ehr', value: 'E-42' }).execute();
      });
      const byPhone = await asTenant(database, tenant.id, (s) =>
        findLikelyDuplicates(s, { givenName: 'Maya', familyName: 'Okafor', phones: ['+16175550142'], emails: [], identifiers: [] }),
      );
      assert.deepEqual(byPhone.map((m) => m.patientId), [id]);
      const byIdentifier = await asTenant(database, tenant.id, (s) =>
        findLikelyDuplicates(s, { givenName: 'M', familyName: 'Okafor-Reyes', phones: [], emails: [], identifiers: [{ system: 'urn:ehr', value: 'E-42' }] }),
      );
      assert.deepEqual(byIdentifier.map((m) => [m.patientId, m.level]), [[id, 'clear']]);
    });

    test('leaves out archived and merged patients, the excluded id, and other tenants', async () => {
      const tenant = await createTestTenant(database);
      const other = await createTestTenant(database);
      const live = await insertPatient(database, tenant.id, maya);
      const archived = await insertPatient(database, tenant.id, { ...maya, archived_at: new Date() });
      await insertPatient(database, tenant.id, { ...maya, merged_into_id: live, archived_at: new Date() });
      await insertPatient(database, other.id, maya);
      const all = await asTenant(database, tenant.id, (s) => findLikelyDuplicates(s, draftOf(maya)));
      assert.deepEqual(all.map((m) => m.patientId), [live]);
      assert.notEqual(all[0]!.patientId, archived);
      const excluded = await asTenant(database, tenant.id, (s) => findLikelyDuplicates(s, draftOf(maya), { excludeId: live }));
      assert.deepEqual(excluded, []);
    });

    test('twins are likely, not clear; the matches returned are audited', async () => {
      const tenant = await createTestTenant(database);
      const sister = await insertPatient(database, tenant.id, maya);
      const matches = await asTenant(database, tenant.id, (s) => findLikelyDuplicates(s, draftOf(maya, { givenName: 'Zara' })));
      assert.deepEqual(matches.map((m) => [m.patientId, m.level]), [[sister, 'likely']]);
      const audit = await asTenant(database, tenant.id, (s) =>
        s.tx.selectFrom('audit_event').select(['action', 'patient_id']).where('action', '=', 'patient.duplicate_check').execute(),
      );
      assert.deepEqual(audit, [{ action: 'patient.duplicate_check', patient_id: sister }]);
    });

    test('recording candidates orders the pair, rescoring open ones and keeping dismissed ones', async () => {
      const tenant = await createTestTenant(database);
      const a = await insertPatient(database, tenant.id, maya);
      const b = await insertPatient(database, tenant.id, { ...maya, given_name: 'Mya' });
      const c = await insertPatient(database, tenant.id, { ...maya, given_name: 'Maia' });
      const rows = await asTenant(database, tenant.id, async (s) => {
        const matches = await findLikelyDuplicates(s, draftOf({ ...maya, given_name: 'Mya' }), { excludeId: b });
        assert.deepEqual(new Set(matches.map((m) => m.patientId)), new Set([a, c]));
        await recordDuplicateCandidates(s, b, [...matches, { patientId: b, score: 1, level: 'clear', reasons: [] }], 'create');
        await s.tx.updateTable('duplicate_candidate').set({ status: 'dismissed' }).where((eb) => eb.or([eb('patient_a', '=', c), eb('patient_b', '=', c)])).execute();
        await s.tx.updateTable('duplicate_candidate').set({ score: '0.5' }).execute();
        await recordDuplicateCandidates(s, b, matches, 'update');
        return s.tx.selectFrom('duplicate_candidate').select(['patient_a', 'patient_b', 'score', 'status', 'detected_by']).orderBy('status', 'desc').execute();
      });
      assert.equal(rows.length, 2);
      for (const r of rows) assert.ok(r.patient_a < r.patient_b);
      const [open, dismissed] = rows;
      assert.equal(open!.status, 'open');
      assert.notEqual(Number(open!.score), 0.5, 'an open pair is rescored');
      assert.equal(open!.detected_by, 'create', 'first detection is kept');
      assert.equal(dismissed!.status, 'dismissed');
      assert.equal(Number(dismissed!.score), 0.5, 'a dismissed pair keeps its decision');
    });

    test('a tenant scan finds every planted pair once across batch boundaries and ignores over-shared keys', async () => {
      const tenant = await createTestTenant(database);
      const pairs: Array<[string, string]> = [];
      const people: PatientFixture[] = [
        maya,
        { given_name: 'Robert', family_name: 'Lindqvist', birth_date: '1971-11-30', sex: 'male', phone: '+15085550100', email: null },
        { given_name: 'Elizabeth', family_name: 'Tanaka', birth_date: '1995-06-08', sex: 'female', phone: null, email: 'liz.t@example.net' },
      ];
      const copies: PatientFixture[] = [
        { ...maya, family_name: 'Okafro', phone: null },
        { given_name: 'Bob', family_name: 'Lindqvist', birth_date: '1971-11-30', sex: 'male', phone: null, email: null },
        { given_name: 'Liz', family_name: 'Tanaka', birth_date: '1995-08-06', sex: 'female', phone: null, email: 'liz.t@example.net' },
      ];
      for (let i = 0; i < people.length; i++) {
        pairs.push([await insertPatient(database, tenant.id, people[i]!), await insertPatient(database, tenant.id, copies[i]!)]);
      }
      // Strangers sharing the clinic's switchboard number: too many to say anything about identity.
      await asTenant(database, tenant.id, (s) =>
        s.tx
          .insertInto('patient')
          .values(Array.from({ length: MAX_BLOCK_SIZE + 1 }, (_, i) => ({ tenant_id: tenant.id, given_name: `Given${i}`, family_name: `Family${i}`, phone: '+14135550100', birth_date: `19${50 + (i % 40)}-01-${String(1 + (i % 28)).padStart(2, '0')}` })))
          .execute(),
      );
      const progress: number[] = [];
      const result = await scanTenantForDuplicates({ db: database.db, tenantId: tenant.id, actor: SYSTEM }, { batchSize: 2, onProgress: (n) => progress.push(n) });
      assert.equal(result.patients, 6 + MAX_BLOCK_SIZE + 1);
      assert.equal(progress.at(-1), result.patients);
      const found = await asTenant(database, tenant.id, (s) =>
        s.tx.selectFrom('duplicate_candidate').select(['patient_a', 'patient_b', 'detected_by', 'reasons']).execute(),
      );
      const key = (x: string, y: string) => [x, y].sort().join('|');
      assert.deepEqual(new Set(found.map((f) => key(f.patient_a, f.patient_b))), new Set(pairs.map(([x, y]) => key(x, y))));
      assert.equal(found.length, 3);
      assert.equal(result.clear + result.likely, 3);
      assert.ok(found.every((f) => f.detected_by === 'scan'));
      const again = await scanTenantForDuplicates({ db: database.db, tenantId: tenant.id, actor: SYSTEM });
      assert.equal(again.clear + again.likely, 3, 'a second scan finds the same pairs');
      assert.equal((await asTenant(database, tenant.id, (s) => s.tx.selectFrom('duplicate_candidate').select('id').execute())).length, 3);
    });
  });
}
