import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Client } from 'fhir-kit-client';
import type { Bundle, CapabilityStatement, Patient } from '@medplum/fhirtypes';
import { buildTestApp } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { fhirTenant, newPatient } from './fhir-test-helpers.ts';

/** The API driven by a FHIR client library nobody here wrote, over real HTTP on loopback. */
for (const engine of engines()) {
  describe(`FHIR R4 API through fhir-kit-client (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let baseUrl: string;
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database);
      await app.listen({ host: '127.0.0.1', port: 0 });
      baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/fhir/R4`;
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    test('capability statement, create, read, search with paging, update with If-Match, conditional create, $everything', async () => {
      const t = await fhirTenant(app, database);
      const client = new Client({ baseUrl, customHeaders: { Authorization: `Bearer ${t.token}` } });

      const cs = (await client.capabilityStatement()) as unknown as CapabilityStatement;
      assert.ok(cs.rest?.[0]?.resource?.some((r) => r.type === 'Patient'));

      const created = (await client.create({ resourceType: 'Patient', body: newPatient('Kitson', 'Kira', { birthDate: '1975-03-04', identifier: [{ system: 'urn:example:ehr', value: 'K-1' }] }) })) as Patient;
      assert.ok(created.id);
      const read = (await client.read({ resourceType: 'Patient', id: created.id! })) as Patient;
      assert.equal(read.birthDate, '1975-03-04');

      for (let i = 0; i < 3; i++) await client.create({ resourceType: 'Patient', body: newPatient('Kitson', `Kid${i}`) });
      const page1 = (await client.search({ resourceType: 'Patient', searchParams: { family: 'kitson', _count: 2 } })) as unknown as Bundle<Patient>;
      assert.equal(page1.entry?.length, 2);
      const page2 = (await client.nextPage({ bundle: page1 as never })) as unknown as Bundle<Patient>;
      assert.equal(page2.entry?.length, 2);
      const ids = new Set([...page1.entry!, ...page2.entry!].map((e) => e.resource!.id));
      assert.equal(ids.size, 4);

      const updated = (await client.update({ resourceType: 'Patient', id: created.id!, body: { ...read, birthDate: '1975-03-05' }, options: { headers: { 'If-Match': 'W/"1"' } } })) as Patient;
      assert.equal(updated.meta?.versionId, '2');
      await assert.rejects(
        client.update({ resourceType: 'Patient', id: created.id!, body: { ...read, birthDate: '1975-03-06' }, options: { headers: { 'If-Match': 'W/"1"' } } }),
        (error: { response?: { status: number } }) => error.response?.status === 412,
      );

      const again = (await client.create({ resourceType: 'Patient', body: newPatient('Kitson', 'Kira'), options: { headers: { 'If-None-Exist': 'identifier=urn:example:ehr|K-1' } } })) as Patient;
      assert.equal(again.id, created.id);
      assert.equal(await t.count('patient'), 4);

      const everything = (await client.operation({ name: '$everything', resourceType: 'Patient', id: created.id!, method: 'GET' })) as unknown as Bundle;
      assert.equal(everything.entry?.[0]?.resource?.id, created.id);

      await assert.rejects(
        client.read({ resourceType: 'Patient', id: '00000000-0000-4000-8000-000000000000' }),
        (error: { response?: { status: number; data?: { resourceType?: string } } }) => error.response?.status === 404 && error.response.data?.resourceType === 'OperationOutcome',
      );
    });
  });
}
