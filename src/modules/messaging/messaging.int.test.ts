import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, manualClock } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { startSmtpSink } from '../../../test/helpers/smtp-sink.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { MessageDetail, MessageView } from './schema.ts';

type Page = { items: MessageView[]; nextCursor: string | null };

// Sunday 22 November 2026, 09:00 in New York: outside quiet hours there.
const NOW = new Date('2026-11-22T14:00:00Z');

for (const engine of engines()) {
  describe(`messages (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    const clock = manualClock(NOW);
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
    });
    after(async () => {
      await app.close();
      await database.dispose();
    });

    async function setUp(role: 'admin' | 'front_desk' = 'front_desk') {
      const t = await signedInTenant(app, database, role);
      const patient = (given: string, contact: { email?: string; phone?: string } = {}) =>
        withTenant(database.db, t.system, async (s) => {
          const row = await s.tx
            .insertInto('patient')
            .values({ tenant_id: t.tenant.id, given_name: given, family_name: 'Outbox', birth_date: '1985-03-04', email: contact.email ?? null, phone: contact.phone ?? null, time_zone: 'America/New_York' })
            .returning('id')
            .executeTakeFirstOrThrow();
          return row.id;
        });
      const send = async (patientId: string, body: Record<string, unknown>) => {
        const res = await t.call<MessageView & ErrorBody>('POST', `/api/patients/${patientId}/messages`, body);
        assert.equal(res.status, 201, res.raw.body);
        clock.advance(1000); // each message a second after the last, so "newest first" has an order
        return res.body;
      };
      return { ...t, patient, send };
    }

    test('an email goes through SMTP; a refused address fails with the provider reason, shows its attempt, and a retry schedules it again', async () => {
      const t = await setUp();
      const ana = await t.patient('Ana', { email: 'ana.outbox@example.org' });
      const bea = await t.patient('Bea', { email: 'bounce.outbox@example.net' });
      const sent = await t.send(ana, { channel: 'email', subject: 'Your results are ready', body: 'Hello Ana, your results are ready.' });
      const refused = await t.send(bea, { channel: 'email', subject: 'Your results are ready', body: 'Hello Bea.' });
      assert.equal(sent.status, 'scheduled');
      assert.equal(refused.status, 'scheduled');

      const sink = await startSmtpSink({ rejectRecipients: /^bounce\./ });
      const options = outboxOptions(database.db, clock, { smtpUrl: sink.url });
      try {
        await drainOutbox(options);
        const delivered = await sink.waitFor(1);
        assert.equal(delivered.length, 1);
        assert.equal(delivered[0]!.subject, 'Your results are ready');

        const ok = await t.call<MessageDetail>('GET', `/api/messages/${sent.id}`);
        assert.equal(ok.status, 200);
        assert.equal(ok.body.status, 'sent');
        assert.equal(ok.body.provider, 'smtp');
        assert.equal(ok.body.to, 'ana.outbox@example.org');
        assert.match(ok.body.bodyText!, /your results are ready/);
        assert.match(ok.body.bodyHtml!, /your results are ready/);
        assert.deepEqual(ok.body.attemptLog.map((a) => [a.attempt, a.outcome, a.provider]), [[1, 'sent', 'smtp']]);
        assert.equal(ok.body.retryable, false);

        let failed = await t.call<MessageDetail>('GET', `/api/messages/${refused.id}`);
        assert.equal(failed.body.status, 'failed');
        assert.match(failed.body.reason!, /^SMTP 550/);
        assert.match(failed.body.reasonText!, /^the provider refused it: SMTP 550/);
        assert.deepEqual(failed.body.attemptLog.map((a) => [a.outcome, a.provider]), [['failed', 'smtp']]);
        assert.match(failed.body.attemptLog[0]!.detail!, /550/);
        assert.equal(failed.body.retryable, true);

        const notRetryable = await t.call<ErrorBody>('POST', `/api/messages/${sent.id}/retry`);
        assert.equal(notRetryable.status, 409);
        assert.equal(notRetryable.body.error.code, 'not_retryable');

        const retried = await t.call<MessageDetail>('POST', `/api/messages/${refused.id}/retry`);
        assert.equal(retried.status, 200, retried.raw.body);
        assert.equal(retried.body.status, 'scheduled');
        assert.equal(retried.body.reason, null);
        assert.equal(retried.body.dueAt, clock().toISOString());
        assert.ok((await t.audit()).some((a) => a.action === 'message.retry' && a.patient_id === bea && a.entity_id === refused.id));

        // Tried again, refused again: a second attempt on the record.
        await drainOutbox(options);
        failed = await t.call<MessageDetail>('GET', `/api/messages/${refused.id}`);
        assert.equal(failed.body.status, 'failed');
        assert.deepEqual(failed.body.attemptLog.map((a) => a.outcome), ['failed', 'failed']);
        assert.equal(sink.messages.length, 1);
      } finally {
        await options.adapters.close();
        await sink.close();
      }
    });

    test('the outbox lists newest first, filters by status, channel, purpose, patient and text, and pages by cursor', async () => {
      const t = await setUp();
      const ana = await t.patient('Ana', { email: 'ana.list@example.org', phone: '+14135550111' });
      const bea = await t.patient('Bea', { phone: '+14135550112' });
      const carl = await t.patient('Carl');
      const m1 = await t.send(ana, { channel: 'email', subject: 'Fasting before your test', body: 'Please do not eat after midnight.' });
      const m2 = await t.send(ana, { channel: 'sms', body: 'See you tomorrow.' });
      const m3 = await t.send(bea, { channel: 'sms', purpose: 'marketing', body: 'Flu shots are in.' });
      const m4 = await t.send(carl, { channel: 'email', subject: 'Hello', body: 'Hello Carl.' });
      const m5 = await t.send(ana, { channel: 'in_app', body: 'Your forms are ready to fill in.' });
      await drainOutbox(outboxOptions(database.db, clock));

      const all = await t.call<Page>('GET', '/api/messages');
      assert.deepEqual(all.body.items.map((m) => m.id), [m5.id, m4.id, m3.id, m2.id, m1.id]);
      const byId = new Map(all.body.items.map((m) => [m.id, m]));
      assert.deepEqual(byId.get(m2.id)!.patient, { id: ana, name: 'Ana Outbox' });
      assert.equal(byId.get(m2.id)!.status, 'sandboxed'); // no SMS provider: kept, never delivered
      assert.match(byId.get(m2.id)!.reasonText!, /not delivered/);
      assert.equal(byId.get(m1.id)!.status, 'sandboxed'); // no SMTP_URL either
      assert.deepEqual([byId.get(m3.id)!.status, byId.get(m3.id)!.reason, byId.get(m3.id)!.reasonText], ['not_sent', 'no_opt_in', 'the patient has not opted in']);
      assert.deepEqual([byId.get(m4.id)!.reason, byId.get(m4.id)!.reasonText], ['no_email_address', 'no email address on file']);
      assert.equal(byId.get(m5.id)!.status, 'delivered');
      assert.deepEqual(all.body.items.map((m) => m.retryable), [false, true, true, false, false]);
      assert.equal(byId.get(m1.id)!.createdBy.id, t.user.id);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/api/messages?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await t.call<Page>('GET', url);
        assert.equal(page.status, 200, page.raw.body);
        assert.ok(page.body.items.length <= 2);
        seen.push(...page.body.items.map((m) => m.id));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [m5.id, m4.id, m3.id, m2.id, m1.id]);

      const ids = async (query: string) => (await t.call<Page>('GET', `/api/messages?${query}`)).body.items.map((m) => m.id);
      assert.deepEqual(await ids('status=sandboxed'), [m2.id, m1.id]);
      assert.deepEqual(await ids('status=not_sent'), [m4.id, m3.id]);
      assert.deepEqual(await ids('channel=sms'), [m3.id, m2.id]);
      assert.deepEqual(await ids('purpose=marketing'), [m3.id]);
      assert.deepEqual(await ids(`patientId=${ana}`), [m5.id, m2.id, m1.id]);
      assert.deepEqual(await ids('q=carl'), [m4.id]);
      assert.deepEqual(await ids('q=fasting'), [m1.id]);
      assert.deepEqual(await ids(`q=${encodeURIComponent('100%_')}`), []);

      const patientPage = await t.call<Page>('GET', `/api/patients/${ana}/messages`);
      assert.deepEqual(patientPage.body.items.map((m) => [m.channel, m.status]), [['in_app', 'delivered'], ['sms', 'sandboxed'], ['email', 'sandboxed']]);

      const counts = await t.call<{ counts: Record<string, number>; total: number }>('GET', '/api/messages/counts');
      assert.equal(counts.body.total, 5);
      assert.deepEqual([counts.body.counts.sandboxed, counts.body.counts.not_sent, counts.body.counts.delivered, counts.body.counts.failed], [2, 2, 1, 0]);

      const audit = await t.audit();
      const list = audit.find((a) => a.action === 'message.list');
      assert.ok(list, 'the list read is audited');
      assert.ok(audit.some((a) => a.action === 'patient.messages.read' && a.patient_id === ana));

      const badCursor = await t.call<ErrorBody>('GET', '/api/messages?cursor=bm90LWEtY3Vyc29y');
      assert.equal(badCursor.status, 400);
      assert.equal(badCursor.body.error.fields?.[0]?.path, 'querystring.cursor');
      const badStatus = await t.call<ErrorBody>('GET', '/api/messages?status=lost');
      assert.equal(badStatus.status, 400);
      assert.match(badStatus.body.error.fields?.[0]?.path ?? '', /status/);
    });

    test('a one-off message the patient cannot receive is answered with its reason; bad input names the field; a repeated requestId sends once', async () => {
      const t = await setUp();
      const noEmail = await t.patient('Dan', { phone: '+14135550113' });
      const res = await t.call<MessageView>('POST', `/api/patients/${noEmail}/messages`, { channel: 'email', subject: 'Hello', body: 'Hello Dan.' });
      assert.equal(res.status, 201);
      assert.deepEqual([res.body.status, res.body.reason, res.body.reasonText], ['not_sent', 'no_email_address', 'no email address on file']);
      assert.ok((await t.audit()).some((a) => a.action === 'message.create' && a.patient_id === noEmail));

      const noSubject = await t.call<ErrorBody>('POST', `/api/patients/${noEmail}/messages`, { channel: 'email', body: 'Hello' });
      assert.equal(noSubject.status, 400);
      assert.deepEqual(noSubject.body.error.fields, [{ path: 'subject', message: 'is required for an email' }]);
      const smsSubject = await t.call<ErrorBody>('POST', `/api/patients/${noEmail}/messages`, { channel: 'sms', subject: 'Hi', body: 'Hello' });
      assert.equal(smsSubject.body.error.fields?.[0]?.path, 'subject');
      const emptyBody = await t.call<ErrorBody>('POST', `/api/patients/${noEmail}/messages`, { channel: 'sms', body: '   ' });
      assert.equal(emptyBody.status, 400);
      assert.equal(emptyBody.body.error.fields?.[0]?.path, 'body');
      const badChannel = await t.call<ErrorBody>('POST', `/api/patients/${noEmail}/messages`, { channel: 'fax', body: 'Hello' });
      assert.equal(badChannel.body.error.fields?.[0]?.path, 'channel');
      const tooLong = await t.call<ErrorBody>('POST', `/api/patients/${noEmail}/messages`, { channel: 'sms', body: 'x'.repeat(1601) });
      assert.deepEqual(tooLong.body.error.fields, [{ path: 'body', message: 'must be at most 1600 characters for SMS' }]);

      const body = { channel: 'sms', body: 'Your prescription is ready.', requestId: 'req-0001-abcdef' };
      const first = await t.call<MessageView>('POST', `/api/patients/${noEmail}/messages`, body);
      const again = await t.call<MessageView>('POST', `/api/patients/${noEmail}/messages`, body);
      assert.equal(first.status, 201);
      assert.equal(again.status, 200);
      assert.equal(again.body.id, first.body.id);
      assert.equal((await t.call<Page>('GET', `/api/patients/${noEmail}/messages?channel=sms`)).body.items.length, 1);

      const unknown = await t.call<ErrorBody>('POST', '/api/patients/00000000-0000-4000-8000-000000000000/messages', { channel: 'sms', body: 'Hello' });
      assert.equal(unknown.status, 404);
    });

    test("another clinic's messages and patients are not found, and marketing staff cannot read the outbox", async () => {
      const a = await setUp();
      const b = await setUp();
      const patient = await a.patient('Eve', { phone: '+14135550114' });
      const message = await a.send(patient, { channel: 'sms', body: 'Hello Eve.' });
      assert.equal((await b.call('GET', `/api/messages/${message.id}`)).status, 404);
      assert.equal((await b.call('POST', `/api/messages/${message.id}/retry`)).status, 404);
      assert.equal((await b.call('GET', `/api/patients/${patient}/messages`)).status, 404);
      assert.equal((await b.call('POST', `/api/patients/${patient}/messages`, { channel: 'sms', body: 'Hi' })).status, 404);
      assert.equal((await b.call('GET', `/api/patients/${patient}/consent`)).status, 404);
      assert.equal((await b.call('POST', `/api/patients/${patient}/consent`, { channels: ['sms'], purposes: ['marketing'], status: 'granted' })).status, 404);
      assert.deepEqual((await b.call<Page>('GET', '/api/messages')).body.items, []);
      assert.equal((await b.call('GET', '/api/messages/not-a-uuid')).status, 404);
      const refusals = (await b.audit()).filter((x) => x.outcome === 'failure');
      assert.ok(refusals.some((x) => x.action === 'message.read' && x.entity_id === message.id));
      assert.ok(refusals.some((x) => x.action === 'patient.consent.read' && x.entity_id === patient));

      const marketing = await signedInTenant(app, database, 'marketing');
      assert.equal((await marketing.call('GET', '/api/messages')).status, 403);
      assert.equal((await marketing.call('GET', '/api/messages/counts')).status, 200);
    });
  });
}
