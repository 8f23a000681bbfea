import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestTenant, manualClock, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant, type Actor } from '../../server/db/scope.ts';
import { consentState, recordConsent } from '../messaging/consent.ts';
import { loadPatientRecord } from '../patients/record.ts';
import { runImport } from './run-import.ts';
import { createImportRun, type NewImportRun } from './runs.ts';

const SYSTEM: Actor = { type: 'system', id: null };
/** Ada says yes to texts and to marketing email, Ben no to texts, Cy nothing. */
const FIRST = 'MRN,First Name,Last Name,SMS opt in,Email marketing opt-in\nC-1,Ada,Lane,yes,Y\nC-2,Ben,Moss,No,\nC-3,Cy,Hart,,\n';

for (const engine of engines()) {
  describe(`CSV import of consent (${engine})`, () => {
    let database: TestDatabase;
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      await database.dispose();
    });

    const asTenant = <T>(tenant: TestTenant, work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, { tenantId: tenant.id, actor: SYSTEM }, work);

    async function importFile(tenant: TestTenant, csv: string, options: Partial<NewImportRun> = {}) {
      const queued = await asTenant(tenant, (scope) => createImportRun(scope, { filename: 'consent.csv', csv, dryRun: false, ...options }, clock()));
      return runImport({ db: database.db, clock }, { tenantId: tenant.id, runId: queued.id });
    }
    const patientId = (tenant: TestTenant, mrn: string) =>
      asTenant(tenant, async (s) => (await s.tx.selectFrom('patient').select('id').where('mrn', '=', mrn).executeTakeFirst())?.id);
    const ledger = (tenant: TestTenant) =>
      asTenant(tenant, (s) =>
        s.tx
          .selectFrom('consent_event as c')
          .innerJoin('patient as p', 'p.id', 'c.patient_id')
          .select(['p.mrn', 'c.channel', 'c.purpose', 'c.status', 'c.source', 'c.note', 'c.recorded_by'])
          .orderBy('p.mrn')
          .orderBy('c.recorded_at')
          .orderBy('c.channel')
          .orderBy('c.purpose')
          .execute(),
      );
    /** Ledger, timeline and audit rows about consent: what an import that changes nothing must leave alone. */
    const traces = (tenant: TestTenant) =>
      asTenant(tenant, async (s) => ({
        ledger: (await s.tx.selectFrom('consent_event').select('id').execute()).length,
        timeline: (await s.tx.selectFrom('timeline_event').select('id').where('kind', 'like', 'consent.%').execute()).length,
        audit: (await s.tx.selectFrom('audit_event').select('id').where('action', 'like', 'consent.%').execute()).length,
      }));
    const patient = async (tenant: TestTenant, mrn: string) => {
      const id = (await patientId(tenant, mrn))!;
      return (await asTenant(tenant, (s) => loadPatientRecord(s, id, clock())))!;
    };
    const answer = async (tenant: TestTenant, mrn: string, channel: string, purpose: string) => {
      const id = (await patientId(tenant, mrn))!;
      const state = await asTenant(tenant, (s) => consentState(s, id));
      const found = state.find((a) => a.channel === channel && a.purpose === purpose)!;
      return { status: found.status, source: found.source };
    };

    test('consent columns write ledger rows with source import and a note naming the file and run, with timeline and audit', async () => {
      const tenant = await createTestTenant(database);
      const run = await importFile(tenant, FIRST);
      assert.deepEqual(run.counts, { created: 3, updated: 0, unchanged: 0, failed: 0, sentToReview: 0 });
      const note = `CSV import of "consent.csv" (import run ${run.id})`;
      const rows = await ledger(tenant);
      assert.deepEqual(
        rows.map((r) => `${r.mrn} ${r.channel}:${r.purpose}=${r.status}`),
        [
          'C-1 email:marketing=granted', 'C-1 sms:billing=granted', 'C-1 sms:care=granted',
          'C-2 sms:billing=withdrawn', 'C-2 sms:care=withdrawn', 'C-2 sms:education=withdrawn', 'C-2 sms:marketing=withdrawn', 'C-2 sms:research=withdrawn',
        ],
      );
      assert.ok(rows.every((r) => r.source === 'import' && r.note === note && r.recorded_by === null));
      assert.deepEqual(await answer(tenant, 'C-1', 'sms', 'care'), { status: 'granted', source: 'import' });
      assert.deepEqual(await answer(tenant, 'C-3', 'sms', 'care'), { status: 'default', source: null });

      const timeline = await asTenant(tenant, (s) => s.tx.selectFrom('timeline_event').select(['kind', 'summary']).where('kind', 'like', 'consent.%').orderBy('summary').execute());
      assert.deepEqual(timeline, [
        { kind: 'consent.granted', summary: 'Consented to care, billing by sms (import)' },
        { kind: 'consent.granted', summary: 'Consented to marketing by email (import)' },
        { kind: 'consent.withdrawn', summary: 'Withdrew consent for care, billing, education, marketing, research by sms (import)' },
      ]);
      const audit = await asTenant(tenant, (s) => s.tx.selectFrom('audit_event').select('action').where('action', 'like', 'consent.%').orderBy('action').execute());
      assert.deepEqual(audit.map((a) => a.action), ['consent.grant', 'consent.grant', 'consent.withdraw']);
    });

    test('importing the same file again writes nothing; a later no withdraws and a later yes grants again', async () => {
      const tenant = await createTestTenant(database);
      await importFile(tenant, FIRST);
      const before = await traces(tenant);
      const ada = await patient(tenant, 'C-1');
      clock.advance(60_000);

      const again = await importFile(tenant, FIRST);
      assert.deepEqual(again.counts, { created: 0, updated: 0, unchanged: 3, failed: 0, sentToReview: 0 });
      assert.deepEqual(await traces(tenant), before, 'no ledger, timeline or audit rows');

      clock.advance(60_000);
      const later = await importFile(tenant, 'MRN,Email marketing opt-in,SMS opt in\nC-1,no,\nC-2,,yes\n', { filename: 'later.csv' });
      assert.deepEqual(later.counts, { created: 0, updated: 2, unchanged: 0, failed: 0, sentToReview: 0 });
      assert.deepEqual(await answer(tenant, 'C-1', 'email', 'marketing'), { status: 'withdrawn', source: 'import' });
      assert.deepEqual(await answer(tenant, 'C-2', 'sms', 'care'), { status: 'granted', source: 'import' }, "an import's own withdrawal may be granted again");
      assert.deepEqual(await answer(tenant, 'C-2', 'sms', 'marketing'), { status: 'withdrawn', source: 'import' }, 'a channel-wide yes does not grant marketing');
      const after = (await traces(tenant)).ledger;
      assert.equal(after, before.ledger + 3);
      const adaAfter = await patient(tenant, 'C-1');
      assert.equal(adaAfter.version, ada.version, 'a consent answer does not touch the patient record');
      assert.equal(adaAfter.updatedAt, ada.updatedAt);
    });

    test('a bad value is a problem naming the column and value, and nothing of its row is stored', async () => {
      const tenant = await createTestTenant(database);
      await importFile(tenant, FIRST);
      const before = await traces(tenant);
      const csv = 'MRN,First Name,Last Name,City,Text consent\nC-1,Ada,Lane,Chicopee,perhaps\nC-9,Dee,Park,,maybe\nC-10,Eve,Ng,,X\n';
      const run = await importFile(tenant, csv, { filename: 'bad.csv' });
      const message = 'must be yes or no (also Y/N, true/false, 1/0, X, opt-in/opt-out, granted/withdrawn)';
      assert.deepEqual(run.problems, [
        { line: 2, field: 'Text consent', value: 'perhaps', message },
        { line: 3, field: 'Text consent', value: 'maybe', message },
      ]);
      assert.deepEqual(run.counts, { created: 1, updated: 0, unchanged: 0, failed: 2, sentToReview: 0 });
      assert.equal(await patientId(tenant, 'C-9'), undefined);
      const ada = await patient(tenant, 'C-1');
      assert.equal(ada.address.city ?? null, null, "the bad row's other changes are not stored either");
      assert.equal((await traces(tenant)).ledger, before.ledger + 2, "only Eve's answers");
    });

    test('a dry run counts and reports as the real run would, and stores nothing', async () => {
      const tenant = await createTestTenant(database);
      const dry = await importFile(tenant, `${FIRST}C-4,Dot,Reyes,sure,\n`, { dryRun: true });
      assert.deepEqual(dry.counts, { created: 3, updated: 0, unchanged: 0, failed: 1, sentToReview: 0 });
      assert.deepEqual(dry.problems.map((p) => [p.line, p.field, p.value]), [[5, 'SMS opt in', 'sure']]);
      assert.deepEqual(await traces(tenant), { ledger: 0, timeline: 0, audit: 0 });

      await importFile(tenant, FIRST);
      const before = await traces(tenant);
      const withdraw = await importFile(tenant, 'MRN,SMS opt in\nC-1,no\n', { dryRun: true });
      assert.deepEqual(withdraw.counts, { created: 0, updated: 1, unchanged: 0, failed: 0, sentToReview: 0 });
      assert.deepEqual(await traces(tenant), before);
      assert.deepEqual(await answer(tenant, 'C-1', 'sms', 'care'), { status: 'granted', source: 'import' });
    });

    test("a yes does not go over a withdrawal the patient gave in Rapport; the run says so", async () => {
      const tenant = await createTestTenant(database);
      await importFile(tenant, FIRST);
      const ada = (await patientId(tenant, 'C-1'))!;
      clock.advance(60_000);
      await asTenant(tenant, (s) => recordConsent(s, { patientId: ada, channels: ['sms'], purposes: ['care', 'billing', 'education', 'marketing', 'research'], status: 'withdrawn', source: 'keyword', note: 'Replied STOP by SMS' }, clock()));
      const before = await traces(tenant);
      clock.advance(60_000);

      const again = await importFile(tenant, FIRST, { filename: 'old-export.csv' });
      assert.deepEqual(again.counts, { created: 0, updated: 0, unchanged: 3, failed: 0, sentToReview: 0 });
      assert.deepEqual(await traces(tenant), before);
      assert.deepEqual(await answer(tenant, 'C-1', 'sms', 'care'), { status: 'withdrawn', source: 'keyword' });
      assert.ok(again.warnings.includes('Line 2: "SMS opt in" grants SMS care, SMS billing, but the patient withdrew that consent in Rapport; the withdrawal stands.'), again.warnings.join('\n'));
    });
  });
}
