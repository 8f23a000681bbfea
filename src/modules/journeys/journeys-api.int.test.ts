import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, createTestTenant, createTestUser, json, manualClock, signInCookie } from '../../../test/helpers/app.ts';
import { engines, openTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { drainOutbox, messagesOf, outboxOptions } from '../../../test/helpers/messaging.ts';
import { signedInTenant, type ErrorBody } from '../../../test/helpers/patients.ts';
import { createClinic } from '../../../test/helpers/scheduling.ts';
import { withTenant } from '../../server/db/scope.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';
import type { Preview } from './preview.ts';
import type { PatientRun } from './runs.ts';
import type { JourneyDetail, JourneyView } from './service.ts';
import type { TemplateGroup, TemplateView } from './templates-service.ts';

// Sunday 22 November 2026, 09:00 in New York.
const NOW = new Date('2026-11-22T14:00:00Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;

type Tenant = Awaited<ReturnType<typeof signedInTenant>>;

for (const engine of engines()) {
  describe(`journeys and templates API (${engine})`, () => {
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

    const templates = async (t: Tenant) => (await t.call<{ items: TemplateGroup[] }>('GET', '/api/templates')).body.items;
    const templateOf = async (t: Tenant, key: string, channel: string, language = 'en') => {
      const found = (await templates(t)).find((g) => g.key === key)?.templates.find((x) => x.channel === channel && x.language === language);
      assert.ok(found, `template ${key} ${channel} ${language}`);
      return found;
    };
    const journeyByKey = async (t: Tenant, key: string) => {
      const found = (await t.call<{ items: JourneyView[] }>('GET', '/api/journeys')).body.items.find((j) => j.key === key);
      assert.ok(found, `journey ${key}`);
      return found;
    };

    test('a template with an unknown variable is refused naming it, and nothing changes', async () => {
      const t = await signedInTenant(app, database);
      const created = await t.call<ErrorBody>('POST', '/api/templates', { key: 'visit.note', name: 'Note', channel: 'sms', purpose: 'care', body: 'See you at {{appointment.tme}}' });
      assert.equal(created.status, 400);
      assert.equal(created.body.error.code, 'unknown_variable');
      assert.match(created.body.error.message, /\{\{appointment\.tme\}\}.*did you mean \{\{appointment\.time\}\}/);
      assert.deepEqual(created.body.error.fields?.map((f) => f.path), ['body']);
      assert.equal((await templates(t)).some((g) => g.key === 'visit.note'), false);

      const reminder = await templateOf(t, 'appointment.reminder', 'sms');
      const changed = await t.call<ErrorBody>('PATCH', `/api/templates/${reminder.id}`, { version: reminder.version, body: `${reminder.body} {{appointment.tme}}` });
      assert.equal(changed.status, 400);
      assert.match(changed.body.error.message, /appointment\.tme/);
      const after = await t.call<TemplateView>('GET', `/api/templates/${reminder.id}`);
      assert.equal(after.body.version, reminder.version);
      assert.equal(after.body.body, reminder.body);
    });

    test('a variable the journeys sending the key cannot fill is refused; in a key no journey sends, it is allowed', async () => {
      const t = await signedInTenant(app, database);
      const medication = await templateOf(t, 'medication.reminder', 'sms');
      assert.deepEqual(medication.allowedContexts, ['medication']);
      const res = await t.call<ErrorBody>('PATCH', `/api/templates/${medication.id}`, { version: medication.version, body: 'Take it before {{appointment.time}}' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, 'variable_unavailable');
      assert.match(res.body.error.message, /\{\{appointment\.time\}\} in body is not available.*needs an appointment/);

      const offer = await t.call<ErrorBody>('POST', '/api/templates', { key: 'waitlist.offer', name: 'Oferta', channel: 'sms', language: 'es', purpose: 'care', body: 'Hay hueco el {{appointment.date}}' });
      assert.equal(offer.status, 400);
      assert.equal(offer.body.error.code, 'variable_unavailable');

      const free = await t.call<TemplateView>('POST', '/api/templates', { key: 'misc.hello', name: 'Hello', channel: 'sms', purpose: 'care', body: 'Hi {{patient.firstName}}, {{appointment.time}}' });
      assert.equal(free.status, 201);
      assert.equal(free.body.allowedContexts, null);
    });

    test('clinical detail and long texts are warned about, a stale version is refused, a duplicate is a 409', async () => {
      const t = await signedInTenant(app, database);
      const res = await t.call<TemplateView>('POST', '/api/templates', {
        key: 'lab.ready', name: 'Results ready', channel: 'sms', purpose: 'care', subject: '', body: '{{clinic.name}}: your blood test results are ready. Call {{clinic.phone}}.',
      });
      assert.equal(res.status, 201);
      assert.equal(res.body.subject, null);
      assert.ok(res.body.warnings.some((w) => /test results/.test(w) && /not confidential/.test(w)), res.body.warnings.join('\n'));

      const email = await t.call<TemplateView>('POST', '/api/templates', { key: 'lab.ready', name: 'Results ready', channel: 'email', purpose: 'care', subject: 'News', body: 'Hi {{patient.firstName}}, nothing clinical here.' });
      assert.equal(email.status, 201);
      assert.deepEqual(email.body.warnings, []);
      const again = await t.call<ErrorBody>('POST', '/api/templates', { key: 'lab.ready', name: 'Again', channel: 'email', purpose: 'care', subject: 'x', body: 'y' });
      assert.equal(again.status, 409);
      const noSubject = await t.call<ErrorBody>('POST', '/api/templates', { key: 'lab.other', name: 'x', channel: 'email', purpose: 'care', body: 'y' });
      assert.equal(noSubject.status, 400);
      assert.deepEqual(noSubject.body.error.fields?.map((f) => f.path), ['subject']);

      const first = await t.call<TemplateView>('PATCH', `/api/templates/${email.body.id}`, { version: 1, body: 'Hi {{patient.firstName}}, a second wording.' });
      assert.equal(first.status, 200);
      assert.equal(first.body.version, 2);
      const stale = await t.call<ErrorBody>('PATCH', `/api/templates/${email.body.id}`, { version: 1, body: 'Lost update' });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.code, 'version_conflict');
    });

    test('a template a switched-on journey needs cannot be deleted from under it', async () => {
      const t = await signedInTenant(app, database);
      const english = await templateOf(t, 'appointment.reminder', 'sms', 'en');
      const spanish = await templateOf(t, 'appointment.reminder', 'sms', 'es');
      assert.equal((await t.call<ErrorBody>('DELETE', `/api/templates/${english.id}`)).status, 409, 'English is the fallback');
      assert.equal((await t.call('DELETE', `/api/templates/${spanish.id}`)).status, 204);
      const only = await t.call<ErrorBody>('DELETE', `/api/templates/${english.id}`);
      assert.equal(only.status, 409);
      assert.match(only.body.error.message, /Reminder two hours before \(SMS\)/);
      const journey = await journeyByKey(t, 'default.reminder-two-hours');
      assert.equal((await t.call('POST', `/api/journeys/${journey.id}/disable`)).status, 200);
      assert.equal((await t.call('DELETE', `/api/templates/${english.id}`)).status, 204);
      // Switching it back on is checked again: its template is gone.
      const on = await t.call<ErrorBody>('POST', `/api/journeys/${journey.id}/enable`);
      assert.equal(on.status, 400);
      assert.deepEqual(on.body.error.fields?.map((f) => f.path), ['steps.0.template']);
    });

    test('a preview with a real patient shows the appointment time in the patient\'s zone, audited; marketing sees samples only', async () => {
      const t = await signedInTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id);
      const patientId = clinic.patientIds[0]!;
      await withTenant(database.db, t.system, (s) => s.tx.updateTable('patient').set({ time_zone: 'America/Los_Angeles' }).where('id', '=', patientId).execute());
      const booked = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId, serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: '2026-11-24T15:00:00Z',
      });
      assert.equal(booked.status, 201);
      const reminder = await templateOf(t, 'appointment.reminder', 'sms');
      const res = await t.call<Preview>('POST', '/api/templates/preview', { templateId: reminder.id, patientId });
      assert.equal(res.status, 200);
      // 10:00 in New York, where the clinic is, is 7:00 in Los Angeles, where the patient is.
      assert.match(res.body.text, /Tuesday 24 November at 7:00 AM with Dr\. Test1 Practitioner/);
      assert.doesNotMatch(res.body.text, /10:00 AM/);
      assert.match(res.body.text, new RegExp(t.tenant.name));
      assert.match(res.body.text, /https:\/\/rapport\.example\/a\//, 'links are examples');
      assert.deepEqual(res.body.sampleVariables, ['links.manage']);
      assert.equal(res.body.sms?.encoding, 'GSM-7');
      assert.equal(res.body.appointment?.id, booked.body.id);
      const audit = await t.audit();
      assert.ok(audit.some((a) => a.action === 'template.preview' && a.patient_id === patientId));

      const draft = await t.call<Preview>('POST', '/api/templates/preview', { channel: 'email', subject: 'Hello {{patient.firstName}}', body: 'See you {{appointment.dateTime}}.', patientId });
      assert.equal(draft.status, 200);
      assert.equal(draft.body.subject, 'Hello Patient1');
      assert.match(draft.body.html ?? '', /See you Tuesday 24 November at 7:00 AM\./);

      const marketing = await createTestUser(database, t.tenant, 'marketing');
      const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: marketing.email, password: marketing.password } });
      const cookie = `rapport_session=${login.cookies.find((c) => c.name === 'rapport_session')!.value}`;
      const refused = await app.inject({ method: 'POST', url: '/api/templates/preview', headers: { cookie }, payload: { templateId: reminder.id, patientId } });
      assert.equal(refused.statusCode, 403);
      const sample = await app.inject({ method: 'POST', url: '/api/templates/preview', headers: { cookie }, payload: { templateId: reminder.id } });
      assert.equal(sample.statusCode, 200);
      assert.match((JSON.parse(sample.body) as Preview).text, /Tuesday 3 March at 9:30 AM/);

      // A patient who reads Spanish would get the Spanish version: the preview says so.
      await withTenant(database.db, t.system, (s) => s.tx.updateTable('patient').set({ language: 'es' }).where('id', '=', patientId).execute());
      const spanish = await t.call<Preview>('POST', '/api/templates/preview', { templateId: reminder.id, patientId });
      assert.deepEqual(spanish.body.notes, ['Patient1 would get the es version of this template (their language is es).']);
      assert.deepEqual(res.body.notes, []);

      const other = await signedInTenant(app, database);
      assert.equal((await other.call('POST', '/api/templates/preview', { templateId: reminder.id })).status, 404);
      assert.equal((await other.call('POST', '/api/templates/preview', { channel: 'sms', body: 'Hi', patientId })).status, 404);
    });

    test('a journey save refuses bad steps, naming each path, and stores nothing', async () => {
      const t = await signedInTenant(app, database);
      const elsewhere = await createTestTenant(database);
      const stranger = await createTestUser(database, elsewhere, 'front_desk');
      assert.equal((await t.call('POST', '/api/custom-fields', { key: 'referral_note', label: 'Referral note', type: 'text' })).status, 201);
      const before = (await t.call<{ items: JourneyView[] }>('GET', '/api/journeys')).body.items.length;
      const res = await t.call<ErrorBody>('POST', '/api/journeys', {
        name: 'Broken',
        trigger: { type: 'date.reached', field: 'custom.referral_note', offsetDays: 0, at: '09:00' },
        steps: [
          { type: 'send', channel: 'sms', template: 'no.such.template', purpose: 'care' },
          { type: 'task', title: 'Call', assigneeId: stranger.id },
          { type: 'branch', if: { field: 'patient.hasEmail', op: 'is_true' }, then: [{ type: 'update_field', field: 'custom.nope', value: 'x' }], else: [{ type: 'wait' }] },
        ],
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.error.fields?.map((f) => f.path).sort(), ['steps.0.template', 'steps.1.assigneeId', 'steps.2.else.0', 'steps.2.then.0.field', 'trigger.field']);
      assert.match(res.body.error.message, /steps\.0\.template has no SMS template "no\.such\.template"/);
      assert.match(res.body.error.message, /trigger\.field names custom field "referral_note", which holds a text, not a date/);

      // The schema's own refusals name the path too.
      const shape = await t.call<ErrorBody>('POST', '/api/journeys', { name: 'x', trigger: { type: 'appointment.booked' }, steps: [{ type: 'send', channel: 'fax', template: 'a', purpose: 'care' }] });
      assert.equal(shape.status, 400);
      assert.ok(shape.body.error.fields?.some((f) => f.path.startsWith('steps.0')), JSON.stringify(shape.body));

      // A template that needs an appointment cannot be sent by a journey about waitlist offers.
      const context = await t.call<ErrorBody>('POST', '/api/journeys', { name: 'Offer', trigger: { type: 'waitlist.offer' }, steps: [{ type: 'send', channel: 'sms', template: 'appointment.reminder', purpose: 'care' }] });
      assert.equal(context.status, 400);
      assert.deepEqual(context.body.error.fields?.map((f) => f.path), ['steps.0.template', 'steps.0.template']);
      assert.match(context.body.error.message, /\{\{appointment\.dateTime\}\}/);

      const condition = await t.call<ErrorBody>('POST', '/api/journeys', {
        name: 'Cond', trigger: { type: 'appointment.booked' }, steps: [{ type: 'branch', if: { field: 'invoice.balanceCents', op: 'gt' }, then: [], else: [] }],
      });
      assert.deepEqual(condition.body.error.fields?.map((f) => f.path), ['steps.0.if.field', 'steps.0.if.value']);
      assert.equal((await t.call<{ items: JourneyView[] }>('GET', '/api/journeys')).body.items.length, before);
    });

    test('only a care send step may be urgent: another purpose is refused naming the step, in a branch too; one stored before the rule goes without urgency', async () => {
      clock.set(NOW);
      const t = await signedInTenant(app, database);
      const before = (await t.call<{ items: JourneyView[] }>('GET', '/api/journeys')).body.items.length;
      const send = (channel: string, purpose: string) => ({ type: 'send', channel, template: 'appointment.confirmation', purpose, urgent: true });
      const res = await t.call<ErrorBody>('POST', '/api/journeys', {
        name: 'Promotion',
        trigger: { type: 'appointment.booked' },
        steps: [send('sms', 'marketing'), { type: 'branch', if: { field: 'patient.hasEmail', op: 'is_true' }, then: [send('email', 'care')], else: [send('sms', 'education')] }],
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.deepEqual(res.body.error.fields?.map((f) => f.path), ['steps.0.urgent', 'steps.1.else.0.urgent']);
      assert.match(res.body.error.message, /steps\.0\.urgent may only be true for care messages/);
      assert.equal((await t.call<{ items: JourneyView[] }>('GET', '/api/journeys')).body.items.length, before);
      const care = await t.call<JourneyView>('POST', '/api/journeys', { name: 'Same-day change', trigger: { type: 'appointment.booked' }, steps: [send('sms', 'care')] });
      assert.equal(care.status, 201, JSON.stringify(care.body));
      const changed = await t.call<ErrorBody>('PATCH', `/api/journeys/${care.body.id}`, { name: 'Same-day change', trigger: { type: 'appointment.booked' }, steps: [send('sms', 'research')], version: care.body.version });
      assert.deepEqual(changed.body.error.fields?.map((f) => f.path), ['steps.0.urgent']);

      // Saved before the rule (straight into the table): it still runs, and its message is not urgent.
      const legacy = await withTenant(database.db, t.system, async (scope) =>
        (await scope.tx
          .insertInto('journey')
          .values({ tenant_id: t.tenant.id, name: 'Old promotion', trigger: JSON.stringify({ type: 'appointment.booked' }), steps: JSON.stringify([send('sms', 'marketing')]), created_at: NOW, updated_at: NOW })
          .returning('id')
          .executeTakeFirstOrThrow()).id,
      );
      const clinic = await createClinic(database, t.tenant.id);
      const booked = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId: clinic.patientIds[0], serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: '2026-11-24T15:00:00Z',
      });
      assert.equal(booked.status, 201, JSON.stringify(booked.body));
      await drainOutbox(outboxOptions(database.db, clock));
      const sent = (await messagesOf(database.db, t.tenant.id)).filter((m) => m.journey_id === legacy || m.journey_id === care.body.id);
      assert.deepEqual(sent.map((m) => [m.journey_id === legacy ? 'old' : 'care', m.purpose, m.urgent]).sort(), [['care', 'care', true], ['old', 'marketing', false]]);
      const runs = await withTenant(database.db, t.system, (scope) => scope.tx.selectFrom('journey_run').select('status').where('journey_id', '=', legacy).execute());
      assert.deepEqual(runs, [{ status: 'done' }]);
    });

    test('a custom no-show journey texts, waits two days, and makes a task when the patient has not rebooked', async (ctx) => {
      // A clock of its own: this test moves time.
      const clock = manualClock(NOW);
      const app = await buildTestApp(database, { clock });
      ctx.after(() => app.close());
      const t = await signedInTenant(app, database, 'admin');
      const clinic = await createClinic(database, t.tenant.id);
      const patientId = clinic.patientIds[0]!;
      const shipped = await journeyByKey(t, 'default.noshow-rebook');
      assert.equal((await t.call('POST', `/api/journeys/${shipped.id}/disable`)).status, 200);
      assert.equal((await t.call('POST', '/api/templates', { key: 'noshow.custom', name: 'Missed', channel: 'sms', purpose: 'care', body: '{{clinic.name}}: sorry we missed you, {{patient.firstName}}. {{links.book}}' })).status, 201);
      const created = await t.call<JourneyView>('POST', '/api/journeys', {
        name: 'Missed visit follow-up',
        trigger: { type: 'appointment.noshow' },
        steps: [
          { type: 'send', channel: 'sms', template: 'noshow.custom', purpose: 'care' },
          { type: 'wait', days: 2 },
          { type: 'branch', if: { field: 'patient.hasUpcomingAppointment', op: 'is_false' }, then: [{ type: 'task', title: 'Call about the missed visit', priority: 'high' }], else: [] },
        ],
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.enabled, true);

      const booked = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId, serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: '2026-11-23T15:00:00Z',
      });
      assert.equal(booked.status, 201);
      const options = outboxOptions(database.db, clock);
      clock.advance(25 * HOUR + 10 * 60_000); // Monday 10:10 in New York, ten minutes into the visit.
      await drainOutbox(options);
      // A day later the first session has lapsed: sign in again.
      const cookie = await signInCookie(app, t.user.email, t.user.password);
      const noshow = await app.inject({ method: 'POST', url: `/api/appointments/${booked.body.id}/no-show`, headers: { cookie } });
      assert.equal(noshow.statusCode, 200, noshow.body);
      await drainOutbox(options);
      const texts = (await messagesOf(database.db, t.tenant.id)).filter((m) => m.template_key === 'noshow.custom' || m.template_key === 'noshow.rebook');
      assert.deepEqual(texts.map((m) => [m.template_key, m.status]), [['noshow.custom', 'sandboxed']]);
      assert.match(texts[0]!.body_text!, /sorry we missed you, Patient1/);
      assert.equal(await t.count('task'), 0);

      clock.advance(2 * DAY - HOUR);
      await drainOutbox(options);
      assert.equal(await t.count('task'), 0, 'not before two days');
      clock.advance(HOUR);
      await drainOutbox(options);
      const tasks = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('task').select(['title', 'patient_id', 'priority']).execute());
      assert.deepEqual(tasks, [{ title: 'Call about the missed visit', patient_id: patientId, priority: 'high' }]);

      const get = async <T>(url: string) => json<T>(await app.inject({ method: 'GET', url, headers: { cookie: await signInCookie(app, t.user.email, t.user.password) } }));
      const run = (await get<{ items: PatientRun[] }>(`/api/patients/${patientId}/journeys`)).items.find((r) => r.journey.id === created.body.id)!;
      assert.equal(run.status, 'done');
      assert.deepEqual(run.log.map((l) => [l.stepType, l.outcome]), [['send', 'scheduled'], ['wait', 'waiting'], ['branch', 'then'], ['task', 'created']]);
      const detail = await get<JourneyDetail>(`/api/journeys/${created.body.id}`);
      assert.equal(detail.counts.done, 1);
      assert.equal(detail.counts.sentLast30Days, 1);
      assert.equal(detail.recentRuns[0]?.patient?.id, patientId);
      assert.ok((await t.audit()).some((a) => a.action === 'journey_run.list' && a.patient_id === patientId), 'naming the patient is audited');
      assert.ok((await t.audit()).some((a) => a.action === 'patient.journeys.read' && a.patient_id === patientId));
    });

    test('an update_field step changes the field and records the change; a run can be stopped once', async () => {
      const t = await signedInTenant(app, database);
      const clinic = await createClinic(database, t.tenant.id);
      const patientId = clinic.patientIds[0]!;
      assert.equal((await t.call('POST', '/api/custom-fields', { key: 'followup', label: 'Follow-up', type: 'choice', choices: ['due', 'done'] })).status, 201);
      const wrong = await t.call<ErrorBody>('POST', '/api/journeys', { name: 'x', trigger: { type: 'appointment.booked' }, steps: [{ type: 'update_field', field: 'custom.followup', value: 'maybe' }] });
      assert.equal(wrong.status, 400);
      assert.deepEqual(wrong.body.error.fields?.map((f) => f.path), ['steps.0.value']);
      const journey = await t.call<JourneyView>('POST', '/api/journeys', {
        name: 'Mark follow-up due',
        trigger: { type: 'appointment.booked' },
        steps: [{ type: 'update_field', field: 'custom.followup', value: 'due' }, { type: 'wait', days: 30 }, { type: 'add_tag', tag: 'Overdue' }],
      });
      assert.equal(journey.status, 201, JSON.stringify(journey.body));
      const booked = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId, serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: '2026-11-24T15:00:00Z',
      });
      assert.equal(booked.status, 201);
      await drainOutbox(outboxOptions(database.db, clock));
      const patient = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('patient').select('custom_fields').where('id', '=', patientId).executeTakeFirstOrThrow());
      assert.equal(patient.custom_fields.followup, 'due');
      const changes = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('patient_change').select(['field', 'new_value', 'actor_type']).where('patient_id', '=', patientId).execute());
      assert.deepEqual(changes, [{ field: 'custom_fields.followup', new_value: 'due', actor_type: 'system' }]);

      const runs = (await t.call<{ items: PatientRun[] }>('GET', `/api/patients/${patientId}/journeys`)).body.items;
      const run = runs.find((r) => r.journey.id === journey.body.id)!;
      assert.equal(run.status, 'waiting');
      const deleting = await t.call<ErrorBody>('DELETE', `/api/journeys/${journey.body.id}`);
      assert.equal(deleting.status, 409);
      assert.match(deleting.body.error.message, /Switch it off first/);
      const cancelled = await t.call<PatientRun>('POST', `/api/journey-runs/${run.id}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, 'cancelled');
      assert.equal((await t.call('POST', `/api/journey-runs/${run.id}/cancel`)).status, 409);
      const timeline = await withTenant(database.db, t.system, (s) => s.tx.selectFrom('timeline_event').select('kind').where('patient_id', '=', patientId).execute());
      assert.ok(timeline.some((e) => e.kind === 'journey.cancelled'));
      assert.equal((await t.call('DELETE', `/api/journeys/${journey.body.id}`)).status, 204, 'nothing under way any more');

      // Switched off, a journey goes with its runs, waiting ones included.
      const other = await t.call<JourneyView>('POST', '/api/journeys', { name: 'Tag later', trigger: { type: 'appointment.booked' }, steps: [{ type: 'wait', days: 3 }, { type: 'add_tag', tag: 'Later' }] });
      const again = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId: clinic.patientIds[1], serviceId: clinic.serviceId, practitionerId: clinic.practitionerIds[0], locationId: clinic.locationId, startsAt: '2026-11-25T15:00:00Z',
      });
      assert.equal(again.status, 201);
      assert.equal((await t.call<JourneyDetail>('GET', `/api/journeys/${other.body.id}`)).body.counts.waiting, 1);
      assert.equal((await t.call('DELETE', `/api/journeys/${other.body.id}`)).status, 409);
      assert.equal((await t.call('POST', `/api/journeys/${other.body.id}/disable`)).status, 200);
      assert.equal((await t.call('DELETE', `/api/journeys/${other.body.id}`)).status, 204);
      assert.equal((await t.call('GET', `/api/journeys/${other.body.id}`)).status, 404);
    });

    test('edits need the current version; roles and tenants are kept apart', async () => {
      const t = await signedInTenant(app, database);
      const journey = await journeyByKey(t, 'default.followup');
      const input = { name: 'Follow-up two days after', description: journey.description, trigger: journey.trigger, steps: [{ type: 'wait', days: 2 }, journey.steps[1]] };
      const saved = await t.call<JourneyView>('PATCH', `/api/journeys/${journey.id}`, { ...input, version: journey.version });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.version, journey.version + 1);
      const stale = await t.call<ErrorBody>('PATCH', `/api/journeys/${journey.id}`, { ...input, version: journey.version });
      assert.equal(stale.status, 409);

      const other = await signedInTenant(app, database);
      assert.equal((await other.call('GET', `/api/journeys/${journey.id}`)).status, 404);
      assert.equal((await other.call('POST', `/api/journeys/${journey.id}/disable`)).status, 404);
      const frontDesk = await signedInTenant(app, database, 'front_desk');
      assert.equal((await frontDesk.call('GET', '/api/templates')).status, 403);
      assert.equal((await frontDesk.call('GET', '/api/journeys')).status, 403);
      const marketing = await signedInTenant(app, database, 'marketing');
      assert.equal((await marketing.call('GET', '/api/journeys')).status, 200);
    });
  });
}
