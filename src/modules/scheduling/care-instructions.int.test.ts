import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestUser, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.ts';
import { withTenant } from '../../server/db/scope.ts';
import { DEFAULT_TEMPLATES } from '../journeys/defaults.ts';
import { CARE_INSTRUCTIONS_FALLBACK } from '../messaging/render.ts';
import { validateTemplate } from '../messaging/templates.ts';
import type { OutboxWorkerOptions } from '../messaging/worker.ts';
import type { AppointmentView } from './appointments.ts';
import type { Service } from './directory-schema.ts';

/**
 * Care instructions after a visit: a service's (Clinic setup), a visit's own (written by a
 * clinician at or after completion), and the follow-up email the day after, which carries the
 * visit's, else the service's, else a general line.
 */

// Sunday 22 November 2026, 09:00 in New York.
const NOW = new Date('2026-11-22T14:00:00Z');
// Monday 23 November, 10:00, 11:00 and 12:00 in New York.
const VISITS = ['2026-11-23T15:00:00Z', '2026-11-23T16:00:00Z', '2026-11-23T17:00:00Z'];
const SERVICE_CARE = 'After your dental cleaning: avoid hot drinks for an hour, and brush gently tonight.';
// Two paragraphs, with characters HTML must escape.
const VISIT_CARE = 'Rinse with warm salt water 3 times a day & avoid hard food for <24 hours.\n\nCall us if the bleeding has not stopped by tomorrow.';

type Staff = Awaited<ReturnType<typeof signedInTenant>>;

for (const engine of engines()) {
  describe(`care instructions (${engine})`, () => {
    let database: TestDatabase;
    let app: FastifyInstance;
    let sink: SmtpSink;
    let outbox: OutboxWorkerOptions;
    const clock = manualClock(NOW);
    before(async () => {
      database = await openTestDatabase(engine);
      app = await buildTestApp(database, { clock });
      sink = await startSmtpSink();
      outbox = outboxOptions(database.db, clock, { smtpUrl: sink.url });
    });
    after(async () => {
      await outbox.adapters.close();
      await sink.close();
      await app.close();
      await database.dispose();
    });

    /** A staff member of the tenant, signed in afresh (sessions end when idle and the clock moves days on). */
    const as = (user: { email: string; password: string }) => async <T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: object) => {
      const cookie = await signInCookie(app, user.email, user.password);
      const res = await app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });
      return { status: res.statusCode, body: json<T>(res), raw: res.body };
    };

    async function visitSetUp(t: Staff) {
      const clinic = await createClinic(database, t.tenant.id, { timeZone: 'America/New_York', patients: 0, service: { name: 'Dental cleaning' } });
      const patients = await withTenant(database.db, t.system, (s) =>
        s.tx
          .insertInto('patient')
          .values(['Amara', 'Bruno', 'Chiara'].map((given, i) => ({ tenant_id: t.tenant.id, given_name: given, family_name: 'Okafor', email: `${given.toLowerCase()}.${i}@example.org`, time_zone: 'America/New_York' })))
          .returning(['id', 'given_name', 'email'])
          .execute(),
      );
      return { clinic, patients };
    }

    test('the follow-up email carries the visit’s instructions, else the service’s, else the fallback line', async () => {
      clock.set(NOW);
      const t = await signedInTenant(app, database, 'admin');
      const admin = as(t.user);
      const clinician = as(await createTestUser(database, t.tenant, 'clinician'));
      const { clinic, patients } = await visitSetUp(t);

      // Clinic setup: the cleaning gets its instructions; an eye exam has none.
      const cleaning = await admin<Service>('PATCH', `/api/scheduling/services/${clinic.serviceId}`, { careInstructions: `  ${SERVICE_CARE}  ` });
      assert.equal(cleaning.status, 200, cleaning.raw);
      assert.equal(cleaning.body.careInstructions, SERVICE_CARE, 'trimmed');
      const eye = await admin<Service>('POST', '/api/scheduling/services', { name: 'Eye exam', durationMinutes: 30, practitionerIds: clinic.practitionerIds, locationIds: [clinic.locationId] });
      assert.equal(eye.status, 201, eye.raw);
      assert.equal(eye.body.careInstructions, null);

      const book = async (i: number, serviceId: string) => {
        const res = await admin<AppointmentView>('POST', '/api/appointments', { patientId: patients[i]!.id, serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: VISITS[i] });
        assert.equal(res.status, 201, res.raw);
        assert.equal(res.body.careInstructions, null);
        return res.body;
      };
      const own = await book(0, clinic.serviceId);
      const fromService = await book(1, clinic.serviceId);
      const neither = await book(2, eye.body.id);

      // Monday afternoon: the first visit completes with its own instructions in the same request;
      // the others complete plainly, and the second gets instructions afterwards, then loses them again.
      clock.set(new Date('2026-11-23T18:00:00Z'));
      const done = await clinician<AppointmentView>('POST', `/api/appointments/${own.id}/complete`, { careInstructions: VISIT_CARE, version: own.version });
      assert.equal(done.status, 200, done.raw);
      assert.deepEqual([done.body.status, done.body.careInstructions], ['fulfilled', VISIT_CARE]);
      for (const a of [fromService, neither]) assert.equal((await clinician('POST', `/api/appointments/${a.id}/complete`, {})).status, 200);
      const added = await clinician<AppointmentView>('PUT', `/api/appointments/${fromService.id}/care-instructions`, { careInstructions: 'Something for this visit only.' });
      assert.equal(added.status, 200, added.raw);
      const cleared = await clinician<AppointmentView>('PUT', `/api/appointments/${fromService.id}/care-instructions`, { careInstructions: '   ', version: added.body.version });
      assert.equal(cleared.status, 200, cleared.raw);
      assert.equal(cleared.body.careInstructions, null, 'blank clears them');
      const stale = await clinician<ErrorBody>('PUT', `/api/appointments/${fromService.id}/care-instructions`, { careInstructions: 'Late', version: added.body.version });
      assert.deepEqual([stale.status, stale.body.error.code], [409, 'stale']);

      // The detail shows them, and the history is on the patient's timeline and in the audit log (without the text).
      const detail = await clinician<AppointmentView>('GET', `/api/appointments/${own.id}`);
      assert.equal(detail.body.careInstructions, VISIT_CARE);
      const trail = await withTenant(database.db, t.system, async (s) => ({
        audit: await s.tx.selectFrom('audit_event').select(['action', 'entity_id', 'detail']).where('action', '=', 'appointment.care_instructions').orderBy('occurred_at').execute(),
        timeline: await s.tx.selectFrom('timeline_event').select(['summary', 'detail']).where('kind', '=', 'appointment.care_instructions').orderBy('occurred_at').execute(),
      }));
      // All at the same (test clock) instant, so compared without order.
      const sorted = <T>(items: T[]) => items.map((x) => JSON.stringify(x)).sort();
      assert.deepEqual(sorted(trail.audit.map((a) => [a.entity_id, (a.detail as { change: string }).change])), sorted([[own.id, 'added'], [fromService.id, 'added'], [fromService.id, 'removed']]));
      assert.ok(!JSON.stringify(trail.audit).includes('salt water'), 'the audit log names the change, not the text');
      assert.deepEqual(sorted(trail.timeline.map((e) => e.summary)), sorted(['Care instructions for the visit added', 'Care instructions for the visit added', 'Care instructions for the visit removed']));
      assert.ok(trail.timeline.some((e) => (e.detail as { careInstructions: string | null }).careInstructions === VISIT_CARE), 'the timeline keeps the text for staff');

      // Tuesday, a day after completion: the three follow-ups go.
      clock.set(new Date('2026-11-24T18:30:00Z'));
      await drainOutbox(outbox);
      const followups = (await messagesOf(database.db, t.tenant.id)).filter((m) => m.template_key === 'visit.followup');
      assert.deepEqual(followups.map((m) => m.status), ['sent', 'sent', 'sent'], JSON.stringify(followups.map((m) => m.reason)));
      const mails = sink.messages.filter((m) => m.subject === `Thank you for visiting ${t.tenant.name}`);
      const mailTo = (i: number) => {
        const mail = mails.find((m) => [m.to ?? []].flat().some((to) => to.value.some((a) => a.address === patients[i]!.email)));
        assert.ok(mail, `a follow-up to patient ${i}`);
        return { text: mail.text ?? '', html: String(mail.html) };
      };
      const first = mailTo(0);
      assert.match(first.text, /Care after your visit:\nRinse with warm salt water 3 times a day & avoid hard food for <24 hours\.\n\nCall us if the bleeding has not stopped by tomorrow\.\n\nIf anything worries you, call us on/);
      assert.ok(!first.text.includes(SERVICE_CARE), 'the visit’s own instructions win');
      assert.ok(first.html.includes('Rinse with warm salt water 3 times a day &amp; avoid hard food for &lt;24 hours.'), 'escaped in the HTML part');
      assert.ok(first.html.includes('Call us if the bleeding has not stopped by tomorrow.'));
      const second = mailTo(1);
      assert.ok(second.text.includes(`Care after your visit:\n${SERVICE_CARE}\n`), second.text);
      assert.ok(second.html.includes(SERVICE_CARE));
      const third = mailTo(2);
      assert.ok(third.text.includes(`Care after your visit:\n${CARE_INSTRUCTIONS_FALLBACK.en}\n`), third.text);
      assert.ok(third.html.includes(CARE_INSTRUCTIONS_FALLBACK.en!));
      for (const mail of [first, second, third]) {
        assert.match(mail.text, /^Hi (Amara|Bruno|Chiara),/);
        assert.match(mail.text, /How did we do\? It takes a minute: https:\/\/rapport\.test\/survey\//);
        assert.ok(!mail.text.includes('{{'), 'every variable filled');
      }
    });

    test('bad care instructions are refused naming the field, and nothing is stored', async () => {
      const t = await signedInTenant(app, database, 'admin');
      const admin = as(t.user);
      const { clinic, patients } = await visitSetUp(t);
      clock.set(NOW);
      const visit = (await admin<AppointmentView>('POST', '/api/appointments', { patientId: patients[0]!.id, serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: VISITS[0] })).body;

      const refused = async (method: 'PATCH' | 'PUT' | 'POST', url: string, payload: object, field = 'careInstructions') => {
        const res = await admin<ErrorBody>(method, url, payload);
        assert.equal(res.status, 400, `${method} ${url} ${JSON.stringify(payload).slice(0, 80)}: ${res.raw}`);
        assert.equal(res.body.error.code, 'validation_failed');
        assert.deepEqual(res.body.error.fields?.map((f) => f.path), [field], res.raw);
        return res.body.error;
      };
      const service = `/api/scheduling/services/${clinic.serviceId}`;
      assert.match((await refused('PATCH', service, { careInstructions: 'x'.repeat(2001) })).message, /careInstructions must be at most 2000 characters/);
      assert.match((await refused('PATCH', service, { careInstructions: 42 })).message, /careInstructions must be text or null/);
      assert.match((await refused('PATCH', service, { careInstructions: 'Rest.\u0000' })).message, /careInstructions must not contain control characters/);
      assert.match((await refused('POST', '/api/scheduling/services', { name: 'New', durationMinutes: 30, careInstructions: ['Rest.'] })).message, /careInstructions must be text or null/);

      // Before the visit: not yet; then the visit's own checks, on both ways of writing them.
      const early = await admin<ErrorBody>('PUT', `/api/appointments/${visit.id}/care-instructions`, { careInstructions: 'Rest.' });
      assert.deepEqual([early.status, early.body.error.code, early.body.error.fields?.[0]?.path], [409, 'invalid_status', 'careInstructions']);
      clock.set(new Date('2026-11-23T16:00:00Z'));
      assert.equal((await admin('POST', `/api/appointments/${visit.id}/check-in`, {})).status, 200);
      const put = `/api/appointments/${visit.id}/care-instructions`;
      await refused('PUT', put, { careInstructions: 'x'.repeat(2001) });
      await refused('PUT', put, { careInstructions: true });
      await refused('PUT', put, {});
      await refused('PUT', put, { careInstructions: 'Rest.', colour: 'red' }, 'colour');
      await refused('POST', `/api/appointments/${visit.id}/complete`, { careInstructions: 'x'.repeat(2001) });
      await refused('POST', `/api/appointments/${visit.id}/no-show`, { careInstructions: 'Rest.' });

      const stored = await withTenant(database.db, t.system, async (s) => ({
        service: await s.tx.selectFrom('service').select('care_instructions').where('id', '=', clinic.serviceId).executeTakeFirstOrThrow(),
        services: await s.tx.selectFrom('service').select('name').execute(),
        visit: await s.tx.selectFrom('appointment').select(['care_instructions', 'status']).where('id', '=', visit.id).executeTakeFirstOrThrow(),
      }));
      assert.deepEqual(stored, { service: { care_instructions: null }, services: [{ name: 'Dental cleaning' }], visit: { care_instructions: null, status: 'arrived' } });
    });

    test('only clinicians and administrators write a visit’s instructions; front desk reads them', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const desk = as(t.user);
      const clinician = as(await createTestUser(database, t.tenant, 'clinician'));
      const { clinic, patients } = await visitSetUp(t);
      clock.set(NOW);
      const visit = (await desk<AppointmentView>('POST', '/api/appointments', { patientId: patients[0]!.id, serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: VISITS[0] })).body;
      clock.set(new Date('2026-11-23T16:00:00Z'));
      assert.equal((await desk('POST', `/api/appointments/${visit.id}/check-in`, {})).status, 200);
      assert.equal((await desk<ErrorBody>('PUT', `/api/appointments/${visit.id}/care-instructions`, { careInstructions: 'Rest.' })).status, 403);
      const completing = await desk<ErrorBody>('POST', `/api/appointments/${visit.id}/complete`, { careInstructions: 'Rest.' });
      assert.deepEqual([completing.status, completing.body.error.code], [403, 'forbidden']);
      assert.equal((await clinician('PUT', `/api/appointments/${visit.id}/care-instructions`, { careInstructions: 'Rest.' })).status, 200);
      assert.equal((await desk('POST', `/api/appointments/${visit.id}/complete`, {})).status, 200, 'front desk still completes the visit');
      assert.equal((await desk<AppointmentView>('GET', `/api/appointments/${visit.id}`)).body.careInstructions, 'Rest.');

      // Another clinic's staff cannot see or write them.
      const other = await signedInTenant(app, database, 'admin');
      assert.equal((await as(other.user)('PUT', `/api/appointments/${visit.id}/care-instructions`, { careInstructions: 'Mine.' })).status, 404);
    });

    test('the shipped follow-up uses the variable without a warning by email; a text message using it is warned about', () => {
      const followup = DEFAULT_TEMPLATES.find((x) => x.key === 'visit.followup' && x.channel === 'email')!;
      const checked = validateTemplate({ channel: 'email', subject: followup.subject, body: followup.body, allowed: ['appointment', 'survey'] });
      assert.ok(checked.variables.includes('appointment.careInstructions'));
      assert.deepEqual(checked.warnings, []);
      const sms = validateTemplate({ channel: 'sms', body: '{{clinic.name}}: {{appointment.careInstructions}}', allowed: ['appointment'] });
      assert.equal(sms.warnings.length, 1);
      assert.match(sms.warnings[0]!, /^\{\{appointment\.careInstructions\}\} carries the clinic's care instructions .*a text message is not confidential/);
    });
  });
}
