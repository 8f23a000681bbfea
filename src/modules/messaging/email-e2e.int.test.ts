import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ParsedMail } from 'mailparser';
import { buildTestApp, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { startSmtpSink, type SmtpSink } from '../../../test/helpers/smtp-sink.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { SurveyView, Unsubscribed } from '../preferences/schema.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';
import { messageIdFor } from './email.ts';
import type { OutboxWorkerOptions } from './worker.ts';

/**
 * Email end to end: bookings through the API, the journeys the clinic starts with, the outbox
 * sending over SMTP to a real server on loopback, the mail parsed as a client would, and the
 * links in it used: one-click unsubscribe from the header, and the survey in the follow-up.
 */

// Sunday 22 November 2026, 09:00 in New York, 14:00 in London.
const NOW = new Date('2026-11-22T14:00:00Z');
// Tuesday 24 November, 10:00 in New York: 15:00 for the patient, who lives in London.
const VISIT = '2026-11-24T15:00:00Z';
const LATER_VISIT = '2026-11-27T15:00:00Z';
const SENDER = { name: 'Harbour Family Practice', address: 'care@harbour-practice.example.org' };
const PATIENT_EMAIL = 'amara.lindqvist@example.org';

/** The addresses of a To (or Cc) header, however mailparser grouped them. */
const addresses = (field: ParsedMail['to']) => [field ?? []].flat().flatMap((f) => f.value.map((a) => a.address));

const headerLine = (mail: ParsedMail, name: string) => {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  // Unfolded, without the name.
  return line?.replace(/\r?\n[ \t]+/g, ' ').slice(name.length + 1).trim();
};

for (const engine of engines()) {
  describe(`email end to end over SMTP (${engine})`, () => {
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

    test('confirmation, reminder and follow-up reach the patient in their own time zone; the unsubscribe header and the survey link work', async () => {
      const t = await signedInTenant(app, database, 'front_desk');
      const inTenant = <T>(work: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, t.system, work);
      await inTenant((s) => s.tx.insertInto('messaging_settings').values({ tenant_id: t.tenant.id, email_from_name: SENDER.name, email_from_address: SENDER.address }).execute());
      const clinic = await createClinic(database, t.tenant.id, { timeZone: 'America/New_York', patients: 0 });
      const patient = await inTenant((s) =>
        s.tx
          .insertInto('patient')
          .values({ tenant_id: t.tenant.id, given_name: 'Amara', family_name: 'Lindqvist', birth_date: '1990-06-14', email: PATIENT_EMAIL, time_zone: 'Europe/London' })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
      // Staff sessions end when idle, and the clock moves days on: sign in afresh for each call.
      const staff = async <T>(method: 'POST', url: string, payload: object) => {
        const cookie = await signInCookie(app, t.user.email, t.user.password);
        const res = await app.inject({ method, url, headers: { cookie }, payload });
        return { status: res.statusCode, body: json<T>(res), raw: res.body };
      };
      const book = async (startsAt: string) => {
        const res = await staff<AppointmentView>('POST', '/api/appointments', { patientId: patient.id, serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt });
        assert.equal(res.status, 201, res.raw);
        return res.body;
      };
      const sent = async (templateKey: string, appointmentId: string) => {
        const m = (await messagesOf(database.db, t.tenant.id)).find((x) => x.template_key === templateKey && x.channel === 'email' && x.subject_id === appointmentId);
        assert.ok(m, `${templateKey} was scheduled`);
        return m;
      };

      // Sunday: booked, and the confirmation goes at once.
      const visit = await book(VISIT);
      await drainOutbox(outbox);
      const [confirmation] = await sink.waitFor(1);
      const confirmationRow = await sent('appointment.confirmation', visit.id);
      assert.equal(confirmationRow.status, 'sent', confirmationRow.reason ?? '');
      assert.equal(confirmation!.messageId, messageIdFor(`${t.tenant.id}:${confirmationRow.id}`));
      assert.deepEqual(addresses(confirmation!.to), [PATIENT_EMAIL]);
      assert.deepEqual(confirmation!.from?.value.map((a) => [a.name, a.address]), [[SENDER.name, SENDER.address]]);
      assert.equal(confirmation!.subject, 'Your appointment on Tuesday 24 November');
      assert.match(confirmation!.text ?? '', /^Hi Amara,/);
      for (const body of [confirmation!.text ?? '', String(confirmation!.html)]) {
        assert.match(body, /Tuesday 24 November at 3:00\sPM/, 'the time in London');
        assert.doesNotMatch(body, /10:00\sAM/, 'not the time in New York');
      }
      assert.match(headerLine(confirmation!, 'List-Unsubscribe') ?? '', /^<https:\/\/rapport\.test\/api\/public\/preferences\/[^>]+\/unsubscribe\?channel=email&purpose=care>$/);
      assert.equal(headerLine(confirmation!, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');

      // Monday 15:00 UTC, the same time of day as the visit: the day-before reminder.
      clock.set(new Date('2026-11-23T15:00:00Z'));
      await drainOutbox(outbox);
      const reminder = (await sink.waitFor(2))[1]!;
      assert.equal((await sent('appointment.reminder', visit.id)).status, 'sent');
      // \s: the locale may put a narrow no-break space before PM.
      assert.match(reminder.subject ?? '', /^Reminder: Follow-up visit tomorrow at 3:00\sPM$/);
      assert.deepEqual(addresses(reminder.to), [PATIENT_EMAIL]);
      for (const body of [reminder.text ?? '', String(reminder.html)]) {
        assert.match(body, /Tuesday 24 November at 3:00\sPM/);
        assert.doesNotMatch(body, /10:00\sAM/);
      }
      const unsubscribeUrl = /^<(.+)>$/.exec(headerLine(reminder, 'List-Unsubscribe') ?? '')?.[1];
      assert.ok(unsubscribeUrl);
      assert.ok(String(reminder.html).includes(unsubscribeUrl.replace(/&/g, '&amp;')), 'the same link in the footer');

      // Tuesday, after the visit: completed; the follow-up waits a day, then brings the survey link.
      clock.set(new Date('2026-11-24T15:45:00Z'));
      assert.equal((await staff('POST', `/api/appointments/${visit.id}/complete`, {})).status, 200);
      await drainOutbox(outbox);
      assert.equal(sink.messages.length, 2, 'nothing more by email on the day (the two-hour reminder is a text)');
      clock.set(new Date('2026-11-25T15:45:00Z'));
      await drainOutbox(outbox);
      const followup = (await sink.waitFor(3))[2]!;
      assert.equal(followup.subject, `Thank you for visiting ${t.tenant.name}`);
      assert.deepEqual(addresses(followup.to), [PATIENT_EMAIL]);
      const surveyUrl = /https:\/\/rapport\.test(\/survey\/\S+)/.exec(followup.text ?? '')?.[1];
      assert.ok(surveyUrl, followup.text);
      const token = surveyUrl.slice('/survey/'.length);
      const survey = await app.inject({ method: 'GET', url: `/api/public/survey/${token}` });
      assert.equal(survey.statusCode, 200, survey.body);
      assert.equal(json<SurveyView>(survey).canAnswer, true);
      assert.equal(json<SurveyView>(survey).visit.timeZone, 'Europe/London');
      const answer = await app.inject({ method: 'POST', url: `/api/public/survey/${token}`, payload: { score: 10, comment: 'Very reassuring.' } });
      assert.equal(answer.statusCode, 200, answer.body);
      const stored = await inTenant((s) => s.tx.selectFrom('survey_response').select(['patient_id', 'appointment_id', 'score']).execute());
      assert.deepEqual(stored, [{ patient_id: patient.id, appointment_id: visit.id, score: 10 }]);

      // Another visit is booked; then the patient uses one-click unsubscribe from the reminder's header.
      const next = await book(LATER_VISIT);
      await drainOutbox(outbox);
      await sink.waitFor(4);
      const url = new URL(unsubscribeUrl);
      assert.equal(url.origin, 'https://rapport.test');
      const unsubscribed = await app.inject({
        method: 'POST',
        url: url.pathname + url.search,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'List-Unsubscribe=One-Click',
      });
      assert.equal(unsubscribed.statusCode, 200, unsubscribed.body);
      assert.deepEqual(json<Unsubscribed>(unsubscribed), { unsubscribed: true, channel: 'email', purpose: 'care', changed: true });
      const ledger = await inTenant((s) => s.tx.selectFrom('consent_event').select(['patient_id', 'channel', 'purpose', 'status', 'source']).execute());
      assert.deepEqual(ledger, [{ patient_id: patient.id, channel: 'email', purpose: 'care', status: 'withdrawn', source: 'unsubscribe' }]);

      // Thursday: the reminder of the later visit is due, and is not sent.
      clock.set(new Date('2026-11-26T15:00:00Z'));
      await drainOutbox(outbox);
      const laterReminder = await sent('appointment.reminder', next.id);
      assert.deepEqual([laterReminder.status, laterReminder.reason], ['not_sent', 'consent_withdrawn']);
      assert.equal(sink.messages.length, 4, 'no email after the unsubscribe');
      assert.equal(sink.messages.filter((m) => m.subject?.startsWith('Reminder')).length, 1);
    });
  });
}
