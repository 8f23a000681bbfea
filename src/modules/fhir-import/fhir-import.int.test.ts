import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Bundle, Encounter, Patient, Resource } from '@medplum/fhirtypes';
import { createTestTenant, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant, type Actor } from '../../server/db/scope.ts';
import { processBundle } from './bundle.ts';
import { KEPT_TYPES } from './pipeline.ts';
import { totals } from './report.ts';
import { importFhirPath } from './run.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/synthea-r4');
const SYSTEM: Actor = { type: 'system', id: null };
const NOW = new Date('2026-11-22T14:00:00Z');

type FixtureBundle = { name: string; bundle: Bundle };
const fixtures: FixtureBundle[] = readdirSync(FIXTURES)
  .filter((n) => n.endsWith('.json'))
  .sort()
  .map((name) => ({ name, bundle: JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Bundle }));
const resources = (type: string) => fixtures.flatMap((f) => f.bundle.entry!.map((e) => e.resource!).filter((r) => r.resourceType === type));
const countOf = (type: string) => resources(type).length;
const allTypes = [...new Set(fixtures.flatMap((f) => f.bundle.entry!.map((e) => e.resource!.resourceType)))];
const TABLE_OF: Record<string, string> = {
  Patient: 'patient',
  Encounter: 'encounter',
  Immunization: 'immunization',
  Condition: 'condition',
  MedicationRequest: 'patient_medication',
  CarePlan: 'care_plan',
  Claim: 'claim',
};
const ROW_TABLES = ['patient', 'encounter', 'immunization', 'condition', 'patient_medication', 'care_plan', 'claim', 'organization', 'practitioner', 'external_ref', 'timeline_event', 'patient_tag', 'tag'] as const;

for (const engine of engines()) {
  describe(`FHIR import of the Synthea bundles (${engine})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => {
      await database.dispose();
    });

    const asTenant = <T>(tenant: TestTenant, work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, { tenantId: tenant.id, actor: SYSTEM }, work);
    const rowCounts = (tenant: TestTenant) =>
      asTenant(tenant, async (scope) => {
        const out: Record<string, number> = {};
        for (const table of ROW_TABLES) out[table] = Number((await scope.tx.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
        return out;
      });
    const importAll = (tenant: TestTenant) => importFhirPath({ db: database.db, clock: () => NOW }, { tenantId: tenant.id, path: FIXTURES, dryRun: false }, { batchEntries: 1500 });

    test('every Synthea bundle: every kept type stored as the bundles hold it, the rest reported as not kept; a re-import changes nothing', async () => {
      const tenant = await createTestTenant(database);
      const { report } = await importAll(tenant);

      assert.equal(report.resources, fixtures.reduce((n, f) => n + f.bundle.entry!.length, 0));
      assert.equal(totals(report).failed, 0, JSON.stringify(report.failures.slice(0, 5)));
      const uniqueOrgs = new Set(resources('Organization').map((r) => r.id)).size;
      const uniqueNpis = new Set(resources('Practitioner').map((r) => (r as { identifier: Array<{ value: string }> }).identifier[0]!.value)).size;
      for (const type of allTypes) {
        const c = report.byType[type]!;
        if (!KEPT_TYPES.includes(type)) {
          assert.deepEqual(c, { created: 0, updated: 0, unchanged: 0, skipped: countOf(type), failed: 0 }, type);
          assert.deepEqual(report.skipped.find((s) => s.type === type), { type, reason: 'not kept by Rapport', count: countOf(type) });
        } else if (type === 'Organization' || type === 'Practitioner') {
          // The same organization (and its practitioner) appears in several patients' bundles.
          assert.equal(c.created, type === 'Organization' ? uniqueOrgs : uniqueNpis, type);
          assert.equal(c.created + c.unchanged, countOf(type), type);
        } else {
          assert.equal(c.created, countOf(type), type);
        }
      }
      assert.ok(report.byType.Observation!.skipped > 0, 'the fixtures hold observations');

      const rows = await rowCounts(tenant);
      for (const [type, table] of Object.entries(TABLE_OF)) assert.equal(rows[table], countOf(type), table);
      assert.equal(rows.organization, uniqueOrgs);
      assert.equal(rows.practitioner, uniqueNpis);
      assert.equal(rows.timeline_event! - countOf('Patient'), countOf('Encounter') + countOf('Immunization'), 'one event per encounter and per immunization (besides "record created")');

      await asTenant(tenant, async (scope) => {
        // Directory: every practitioner has its organization and no staff account.
        const practitioners = await scope.tx.selectFrom('practitioner').select(['organization_id', 'user_id']).execute();
        assert.ok(practitioners.every((p) => p.organization_id !== null && p.user_id === null));
        // EOBs filled in their claims.
        const paid = await scope.tx.selectFrom('claim').select((eb) => eb.fn.countAll<number>().as('n')).where('outcome', '=', 'complete').executeTakeFirstOrThrow();
        assert.equal(Number(paid.n), countOf('ExplanationOfBenefit'));

        // A diabetic patient carries the clinical tag named by the condition.
        const diabetic = resources('Condition').find((c) => /diabetes/i.test(JSON.stringify((c as { code?: unknown }).code)) && JSON.stringify((c as { clinicalStatus?: unknown }).clinicalStatus).includes('"active"'))!;
        const display = (diabetic as { code: { text: string } }).code.text;
        const patientRef = (diabetic as { subject: { reference: string } }).subject.reference;
        const fixture = fixtures.find((f) => f.bundle.entry!.some((e) => e.fullUrl === patientRef))!;
        const patient = fixture.bundle.entry!.find((e) => e.fullUrl === patientRef)!.resource as Patient;
        const tagged = await scope.tx
          .selectFrom('patient_tag as pt')
          .innerJoin('tag as t', 't.id', 'pt.tag_id')
          .innerJoin('patient as p', 'p.id', 'pt.patient_id')
          .select(['p.given_name', 'p.family_name', 'p.last_visit_at'])
          .where('t.name', '=', display)
          .execute();
        assert.ok(tagged.some((p) => p.family_name === patient.name![0]!.family), `${patient.name![0]!.family} is tagged "${display}"`);

        // last_visit_at is the latest of the patient's encounters.
        const latest = fixture.bundle.entry!.map((e) => e.resource!).filter((r): r is Encounter => r.resourceType === 'Encounter').map((e) => Date.parse(e.period!.start!)).reduce((a, b) => Math.max(a, b));
        const row = await scope.tx.selectFrom('patient').select('last_visit_at').where('family_name', '=', patient.name![0]!.family!).where('given_name', '=', patient.name![0]!.given![0]!).executeTakeFirstOrThrow();
        assert.equal(row.last_visit_at?.getTime(), latest);

        // Clinical rows are audited once per patient, as the import.
        const audited = await scope.tx.selectFrom('audit_event').select('patient_id').where('action', '=', 'patient.import').execute();
        assert.equal(new Set(audited.map((a) => a.patient_id)).size, countOf('Patient'));
      });

      const again = await importAll(tenant);
      const t = totals(again.report);
      assert.equal(t.created, 0);
      assert.equal(t.updated, 0);
      assert.equal(t.failed, 0);
      assert.equal(t.unchanged, again.report.resources - t.skipped);
      assert.deepEqual(await rowCounts(tenant), rows, 'no row added by the second import');
    });

    test('a changed patient is updated; the same person under another resource id is the same patient', async () => {
      const tenant = await createTestTenant(database);
      const source = fixtures[0]!.bundle;
      const first = await asTenant(tenant, (scope) => processBundle(scope, source, { now: NOW }));
      const patientLocation = first.entry![0]!.response!.location!;
      assert.match(patientLocation, /^Patient\/[0-9a-f-]{36}$/);

      const changed = structuredClone(source);
      const patient = changed.entry![0]!.resource as Patient;
      patient.telecom = [{ system: 'phone', value: '(413) 555-0142', use: 'mobile' }];
      const second = await asTenant(tenant, (scope) => processBundle(scope, changed, { now: NOW }));
      assert.equal(second.entry![0]!.response!.status, '200 OK');
      assert.equal(second.entry![0]!.response!.location, patientLocation);
      const phones = await asTenant(tenant, (scope) => scope.tx.selectFrom('patient').select(['phone', 'version']).execute());
      assert.deepEqual(phones.map((p) => p.phone), ['+14135550142']);
      assert.equal(phones[0]!.version, 2);

      // Another system's export of the same person: new resource ids, same identifiers.
      const other = structuredClone(source);
      const ids = new Map<string, string>();
      for (const entry of other.entry!) {
        const fresh = crypto.randomUUID();
        ids.set(entry.fullUrl!, `urn:uuid:${fresh}`);
        entry.fullUrl = `urn:uuid:${fresh}`;
        (entry.resource as Resource).id = fresh;
      }
      const rewritten = JSON.parse(JSON.stringify(other).replace(/urn:uuid:[0-9a-f-]{36}/g, (u) => ids.get(u) ?? u)) as Bundle;
      const third = await asTenant(tenant, (scope) => processBundle(scope, rewritten, { now: NOW }));
      assert.equal(third.entry![0]!.response!.location, patientLocation, 'matched by identifier');
      const counts = await rowCounts(tenant);
      assert.equal(counts.patient, 1);
    });
  });
}
