import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestTenant, manualClock, type TestTenant } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { withTenant } from '../../server/db/scope.ts';
import { startHl7Listener } from './listener.ts';
import { fixture, framed, hl7Client, rawExchange, readAck } from './testing.ts';

const system = { type: 'system' as const, id: null };

/** A synthetic ADT^A04 for a made-up person, with the segment separator of choice. */
function a04(controlId: string, id: string, given: string, family: string, sep = '\r') {
  return [
    `MSH|^~\\&|RegApp|NorthClinic|Rapport|Clinic|20260101090000+0000||ADT^A04^ADT_A01|${controlId}|P|2.5`,
    'EVN|A04|20260101090000+0000',
    `PID|1||${id}^^^NorthMRN^MR||${family}^${given}||19750304|F|||12 Elm Street^^Springfield^MA^01103^USA||(413) 555-0142^PRN^PH~^NET^Internet^${given.toLowerCase()}@example.org||en`,
    'PV1|1|O',
  ].join(sep);
}

for (const engine of engines()) {
  describe(`HL7 v2 over MLLP (${engine})`, () => {
    let database: TestDatabase;
    const clock = manualClock(new Date('2026-11-22T14:00:00Z'));
    before(async () => {
      database = await openTestDatabase(engine);
    });
    after(async () => database.dispose());

    async function listen(tenant: TestTenant) {
      return startHl7Listener({ db: database.db, clock, host: '127.0.0.1', port: 0, tenant: { id: tenant.id, slug: tenant.slug } });
    }
    const inTenant = <T>(tenant: TestTenant, work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, { tenantId: tenant.id, actor: system }, work);
    const counts = (tenant: TestTenant) =>
      inTenant(tenant, async ({ tx }) => ({
        patients: Number((await tx.selectFrom('patient').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
        appointments: Number((await tx.selectFrom('appointment').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
        encounters: Number((await tx.selectFrom('encounter').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
        processed: Number((await tx.selectFrom('hl7_message').select((e) => e.fn.countAll().as('n')).where('status', '=', 'processed').executeTakeFirstOrThrow()).n),
      }));

    /** The directory the SIU fixtures name: GH Clinic with Room01 and Room02, Dr Robert GE, the biopsy service. */
    async function siuDirectory(tenant: TestTenant) {
      return inTenant(tenant, async ({ tx }) => {
        const location = await tx.insertInto('location').values({ tenant_id: tenant.id, name: 'GH Clinic', time_zone: 'Europe/Berlin' }).returning('id').executeTakeFirstOrThrow();
        const rooms = await tx
          .insertInto('room')
          .values(['Room01', 'Room02'].map((name) => ({ tenant_id: tenant.id, location_id: location.id, name })))
          .returning(['id', 'name'])
          .execute();
        const practitioner = await tx.insertInto('practitioner').values({ tenant_id: tenant.id, given_name: 'Robert', family_name: 'Ge' }).returning('id').executeTakeFirstOrThrow();
        const service = await tx.insertInto('service').values({ tenant_id: tenant.id, name: 'Biopsy of colon (procedure)', duration_minutes: 30 }).returning('id').executeTakeFirstOrThrow();
        return { locationId: location.id, practitionerId: practitioner.id, serviceId: service.id, room: Object.fromEntries(rooms.map((r) => [r.name, r.id])) };
      });
    }

    test('the ADT fixtures register, update, admit and discharge one patient through a real MLLP client', async () => {
      const tenant = await createTestTenant(database);
      const listener = await listen(tenant);
      const client = hl7Client(listener.port);
      try {
        const registered = readAck(await client.send(fixture('ADT-A04-01')));
        assert.equal(registered.code, 'AA');
        assert.equal(registered.controlId, 'MSG00001');
        // The fixture's phone numbers are not real numbers: ignored, and said so in warnings.
        assert.ok(registered.errors.some((e) => e.severity === 'W' && e.location.startsWith('PID^1^13')), JSON.stringify(registered.errors));

        const patient = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient').selectAll().executeTakeFirstOrThrow());
        assert.equal(patient.given_name, 'ADAM');
        assert.equal(patient.family_name, 'EVERYMAN');
        assert.equal(patient.birth_date, '1988-08-18');
        assert.equal(patient.sex, 'male');
        assert.equal(patient.address_line, '1000 Hospital Lane, Ste. 123');
        assert.equal(patient.city, 'Ann Arbor');
        assert.equal(patient.region, 'MI');
        assert.equal(patient.postal_code, '99999');
        assert.equal(patient.country, 'US');
        assert.equal(patient.language, 'ar');
        assert.equal(patient.lifecycle_status, 'deceased', 'PID-30 of the fixture says Y (died 2008)');
        const identifiers = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient_identifier').select(['system', 'value']).execute());
        assert.deepEqual(identifiers, [{ system: 'test1', value: 'PATID1234' }], 'the MR is kept with its assigning authority; the SSN is not kept');

        // A08 and A01 carry the same control id as A04 with other content: each is applied once.
        assert.equal(readAck(await client.send(fixture('ADT-A08-01'))).code, 'AA');
        assert.equal(readAck(await client.send(fixture('ADT-A01-01'))).code, 'AA');
        let encounter = await inTenant(tenant, ({ tx }) => tx.selectFrom('encounter').selectAll().executeTakeFirstOrThrow());
        assert.equal(encounter.patient_id, patient.id);
        assert.equal(encounter.status, 'in-progress');
        assert.equal(encounter.class_code, 'P');
        assert.equal(encounter.source, 'hl7');
        assert.equal(new Date(encounter.started_at).toISOString(), '2015-02-08T10:24:19.000Z');

        assert.equal(readAck(await client.send(fixture('ADT-A03-01'))).code, 'AA');
        encounter = await inTenant(tenant, ({ tx }) => tx.selectFrom('encounter').selectAll().executeTakeFirstOrThrow());
        assert.equal(encounter.status, 'finished');
        assert.equal(new Date(encounter.ended_at!).toISOString(), '2015-02-09T10:24:19.000Z');

        assert.deepEqual(await counts(tenant), { patients: 1, appointments: 0, encounters: 1, processed: 4 });
        const audit = await inTenant(tenant, ({ tx }) => tx.selectFrom('audit_event').select(['action', 'actor_type', 'request_id']).where('patient_id', '=', patient.id).execute());
        assert.ok(audit.some((a) => a.action === 'patient.create' && a.actor_type === 'system' && a.request_id === 'hl7:MSG00001'));
        assert.ok(audit.some((a) => a.action === 'encounter.discharge'));
      } finally {
        await client.close();
        await listener.close();
      }
    });

    test('the A40 fixture merges the MRG-1 patient into the PID patient through the duplicates merge; unknown ids get AE', async () => {
      const tenant = await createTestTenant(database);
      const listener = await listen(tenant);
      const client = hl7Client(listener.port, '2.5');
      const fixtureClient = hl7Client(listener.port, '2.8');
      try {
        // Before either record exists the merge cannot be applied: AE, nothing changed.
        const unknown = readAck(await fixtureClient.send(fixture('ADT-A40-01')));
        assert.equal(unknown.code, 'AE');
        assert.equal(unknown.errors[0]!.code, '204');
        assert.match(unknown.errors[0]!.message, /PID-3/);
        assert.deepEqual(await counts(tenant), { patients: 0, appointments: 0, encounters: 0, processed: 0 });

        const bcbs = (controlId: string, id: string, family: string) => a04(controlId, id, 'Test', family).replace('^^^NorthMRN^MR', '^^^BCBS^MR');
        assert.equal(readAck(await client.send(bcbs('K1', '12345', 'Test'))).code, 'AA');
        assert.equal(readAck(await client.send(bcbs('K2', '56789', 'Tess'))).code, 'AA');

        // The sender resends the same A40 (same MSH-10): now both records exist and it is applied.
        assert.equal(readAck(await fixtureClient.send(fixture('ADT-A40-01'))).code, 'AA');
        const rows = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient').select(['id', 'family_name', 'merged_into_id', 'archived_at']).execute());
        const survivor = rows.find((r) => r.family_name === 'Test')!;
        const merged = rows.find((r) => r.family_name === 'Tess')!;
        assert.equal(merged.merged_into_id, survivor.id);
        assert.ok(merged.archived_at);
        assert.equal(survivor.merged_into_id, null);
        const merge = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient_merge').select(['survivor_id', 'merged_id', 'undone_at']).executeTakeFirstOrThrow());
        assert.deepEqual(merge, { survivor_id: survivor.id, merged_id: merged.id, undone_at: null });
        const ids = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient_identifier').select('value').where('patient_id', '=', survivor.id).orderBy('value').execute());
        assert.deepEqual(ids.map((i) => i.value), ['12345', '56789']);
        const audit = await inTenant(tenant, ({ tx }) => tx.selectFrom('audit_event').select('patient_id').where('action', '=', 'patient.merge').execute());
        assert.deepEqual(audit.map((a) => a.patient_id).sort(), [survivor.id, merged.id].sort());
        // A later A40 for the same pair (new control id) finds nothing left to merge.
        const again = readAck(await fixtureClient.send(fixture('ADT-A40-01').replace('8919-40', '8919-41')));
        assert.equal(again.code, 'AA');
        assert.equal(again.errors[0]!.severity, 'I');
      } finally {
        await client.close();
        await fixtureClient.close();
        await listener.close();
      }
    });

    test('the SIU fixtures book, reschedule, modify and cancel an appointment with via hl7; S26 records a no-show', async () => {
      const tenant = await createTestTenant(database);
      const directory = await siuDirectory(tenant);
      const listener = await listen(tenant);
      const client = hl7Client(listener.port);
      try {
        const booked = readAck(await client.send(fixture('SIU-S12-01')));
        assert.equal(booked.code, 'AA', JSON.stringify(booked.errors));
        const appointment = () => inTenant(tenant, ({ tx }) => tx.selectFrom('appointment').selectAll().executeTakeFirstOrThrow());
        let a = await appointment();
        // 09:30 at +02:15, in the past and outside any hours: the external scheduler owns the diary.
        assert.equal(new Date(a.starts_at).toISOString(), '2021-09-24T07:15:00.000Z');
        assert.equal(new Date(a.ends_at).toISOString(), '2021-09-24T08:05:00.000Z');
        assert.equal(a.booked_via, 'hl7');
        assert.equal(a.practitioner_id, directory.practitionerId);
        assert.equal(a.service_id, directory.serviceId);
        assert.equal(a.room_id, directory.room.Room01);

        assert.equal(readAck(await client.send(fixture('SIU-S13-01'))).code, 'AA');
        assert.equal(readAck(await client.send(fixture('SIU-S14-01'))).code, 'AA');
        a = await appointment();
        assert.equal(a.room_id, directory.room.Room02, 'S14 moved the visit from Room01 to Room02');
        assert.equal(readAck(await client.send(fixture('SIU-S15-01'))).code, 'AA');
        a = await appointment();
        assert.equal(a.status, 'cancelled');
        assert.match(a.cancel_reason!, /Cancelled in SCHApp: Appointment cancelled\./);
        const events = await inTenant(tenant, ({ tx }) => tx.selectFrom('appointment_event').select(['action', 'via']).orderBy('occurred_at').orderBy('id').execute());
        assert.deepEqual(events.map((e) => e.action).sort(), ['booked', 'cancelled', 'rescheduled', 'rescheduled']);
        assert.ok(events.every((e) => e.via === 'hl7'));

        // A no-show needs a booked appointment: in another clinic, S12 then S26.
        const other = await createTestTenant(database);
        await siuDirectory(other);
        const otherListener = await listen(other);
        const otherClient = hl7Client(otherListener.port);
        try {
          assert.equal(readAck(await otherClient.send(fixture('SIU-S12-01'))).code, 'AA');
          assert.equal(readAck(await otherClient.send(fixture('SIU-S26-01'))).code, 'AA');
          const noshow = await inTenant(other, ({ tx }) => tx.selectFrom('appointment').select('status').executeTakeFirstOrThrow());
          assert.equal(noshow.status, 'noshow');
          const event = await inTenant(other, ({ tx }) => tx.selectFrom('appointment_event').select('via').where('action', '=', 'noshow').executeTakeFirstOrThrow());
          assert.equal(event.via, 'hl7');
        } finally {
          await otherClient.close();
          await otherListener.close();
        }
      } finally {
        await client.close();
        await listener.close();
      }
    });

    test('SIU for an unknown practitioner or appointment gets AE with ERR and stores nothing', async () => {
      const tenant = await createTestTenant(database);
      const listener = await listen(tenant);
      const client = hl7Client(listener.port);
      try {
        const unknownDirectory = readAck(await client.send(fixture('SIU-S12-01')));
        assert.equal(unknownDirectory.code, 'AE');
        assert.equal(unknownDirectory.errors[0]!.code, '204');
        assert.equal(unknownDirectory.errors[0]!.severity, 'E');
        assert.match(unknownDirectory.errors[0]!.message, /AIS-3 service 76164006/);
        const cancelUnknown = readAck(await client.send(fixture('SIU-S15-01')));
        assert.equal(cancelUnknown.code, 'AE');
        assert.match(cancelUnknown.errors[0]!.message, /No appointment in Rapport has the filler id 36996/);
        assert.deepEqual(await counts(tenant), { patients: 0, appointments: 0, encounters: 0, processed: 0 });
        const log = await inTenant(tenant, ({ tx }) => tx.selectFrom('hl7_message').select(['status', 'ack_code', 'error_code']).orderBy('received_at').execute());
        assert.deepEqual(log, [
          { status: 'error', ack_code: 'AE', error_code: '204' },
          { status: 'error', ack_code: 'AE', error_code: '204' },
        ]);
        // Once the practitioner, location and service exist, the resend of the same message is applied.
        await siuDirectory(tenant);
        assert.equal(readAck(await client.send(fixture('SIU-S12-01'))).code, 'AA');
      } finally {
        await client.close();
        await listener.close();
      }
    });

    test('a message sent twice with the same control id is applied once and gets the same ACK', async () => {
      const tenant = await createTestTenant(database);
      const listener = await listen(tenant);
      const client = hl7Client(listener.port, '2.5');
      try {
        const first = await client.send(a04('D1', 'X-1', 'Bea', 'Stone'));
        clock.advance(60_000);
        const second = await client.send(a04('D1', 'X-1', 'Bea', 'Stone'));
        assert.equal(readAck(first).code, 'AA');
        assert.equal(second, first);
        assert.deepEqual(await counts(tenant), { patients: 1, appointments: 0, encounters: 0, processed: 1 });
        const changes = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient_change').select('change_set').distinct().execute());
        assert.equal(changes.length, 1, 'one change set: the registration');
      } finally {
        await client.close();
        await listener.close();
      }
    });

    test('CR, LF and CRLF segment separators are all read the same', async () => {
      const tenant = await createTestTenant(database);
      const listener = await listen(tenant);
      try {
        const answers = await rawExchange(
          listener.port,
          framed(a04('S1', 'S-1', 'Cara', 'Reed', '\r'), a04('S2', 'S-2', 'Lena', 'Reed', '\n'), a04('S3', 'S-3', 'Mia', 'Reed', '\r\n')),
          3,
        );
        assert.deepEqual(answers.map((a) => readAck(a).code), ['AA', 'AA', 'AA']);
        const patients = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient').select(['given_name', 'email', 'phone', 'birth_date']).orderBy('given_name').execute());
        assert.deepEqual(patients, [
          { given_name: 'Cara', email: 'cara@example.org', phone: '+14135550142', birth_date: '1975-03-04' },
          { given_name: 'Lena', email: 'lena@example.org', phone: '+14135550142', birth_date: '1975-03-04' },
          { given_name: 'Mia', email: 'mia@example.org', phone: '+14135550142', birth_date: '1975-03-04' },
        ]);
        // The same message with other separators is the same message: a resend.
        const [again] = await rawExchange(listener.port, framed(a04('S1', 'S-1', 'Cara', 'Reed', '\r\n')), 1);
        assert.equal(again, answers[0]);
      } finally {
        await listener.close();
      }
    });

    test('truncated, garbled, unsupported, headless and wrong-version messages get AR/AE with ERR; nothing is stored; the next message works', async () => {
      const tenant = await createTestTenant(database);
      const listener = await listen(tenant);
      try {
        const good = a04('G1', 'G-1', 'Nora', 'Vale');
        const bad = [
          good.slice(0, good.indexOf('||Vale')), // cut inside PID, before the name
          a04('B2', 'B-2', 'Ivy', 'Vale').replace('\rPV1|1|O', '\rPV'), // cut inside a segment name
          `${a04('B3', 'B-3', 'Ivy', 'Vale')}\r\u0000\u0001\u00ff\u0002garbage`,
          a04('B4', 'B-4', 'Ivy', 'Vale').replace('ADT^A04^ADT_A01', 'ORU^R01^ORU_R01'),
          a04('B5', 'B-5', 'Ivy', 'Vale').replace('ADT^A04^ADT_A01', 'ADT^A99'),
          'PID|1||B-6^^^NorthMRN^MR||Vale^Ivy',
          a04('B7', 'B-7', 'Ivy', 'Vale').replace('|P|2.5', '|P|3.0'),
          a04('B8', 'B-8', 'Ivy', 'Vale').replace('|P|2.5', '|T|2.5'),
        ];
        // A frame that is never finished, then every bad message, then a good one: one connection.
        const answers = await rawExchange(listener.port, Buffer.concat([Buffer.from('\u000bMSH|^~\\&|half a frame'), framed(...bad, good)]), bad.length + 1);
        const acks = answers.map(readAck);
        assert.deepEqual(
          acks.map((a) => [a.code, a.errors[0]?.code]),
          [['AE', '101'], ['AR', '100'], ['AR', '102'], ['AR', '200'], ['AR', '201'], ['AR', '100'], ['AR', '203'], ['AR', '202'], ['AA', undefined]],
        );
        for (const ack of acks.slice(0, -1)) assert.ok(ack.errors[0]!.message.length > 10 && ack.errors[0]!.severity === 'E');
        assert.deepEqual(await counts(tenant), { patients: 1, appointments: 0, encounters: 0, processed: 1 });
        const stored = await inTenant(tenant, ({ tx }) => tx.selectFrom('patient').select('given_name').execute());
        assert.deepEqual(stored, [{ given_name: 'Nora' }]);

        // Bytes that are not MLLP at all, and a connection closed mid-frame, leave the listener serving.
        await rawExchange(listener.port, Buffer.from('GET / HTTP/1.1\r\n\r\n\u000bMSH|^~\\&|cut'), 0, 2_000).catch(() => []);
        const [next] = await rawExchange(listener.port, framed(a04('G2', 'G-2', 'Otto', 'Vale')), 1);
        assert.equal(readAck(next!).code, 'AA');
      } finally {
        await listener.close();
      }
    });
  });
}
