import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { engines } from '../../../test/helpers/database.ts';
import type { ErrorBody } from '../../../test/helpers/patients.ts';
import { scheduleMessage } from '../messaging/outbox.ts';
import type { AppointmentView } from '../scheduling/appointments.ts';
import { clinicOf, CLINIC_NUMBER, newNumber, NOW, openRig, type Clinic, type Rig } from './inbox.fixture.ts';
import type { InboxPage, Thread, ThreadItem } from './service.ts';

const HOUR = 3600_000;
const VISIT = '2026-11-24T15:00:00Z'; // Tuesday 10:00 in New York

for (const engine of engines()) {
  describe(`inbox: texts in, keywords, staff replies (${engine})`, () => {
    let rig: Rig;
    before(async () => {
      rig = await openRig(engine);
    });
    after(async () => {
      await rig.close();
    });
    // Every test starts at NOW, whatever the one before did with the clock.
    beforeEach(() => rig.clock.advance(NOW.getTime() - rig.clock().getTime()));

    const inbox = async (t: Clinic, query = '') => {
      const res = await t.call<InboxPage>('GET', `/api/inbox${query}`);
      assert.equal(res.status, 200, res.raw.body);
      return res.body;
    };
    const thread = async (t: Clinic, id: string) => {
      const res = await t.call<Thread>('GET', `/api/inbox/${id}`);
      assert.equal(res.status, 200, res.raw.body);
      return res.body;
    };
    const book = async (t: Clinic, patient = 0, startsAt = VISIT) => {
      const res = await t.call<AppointmentView>('POST', '/api/appointments', {
        patientId: t.clinic.patientIds[patient],
        serviceId: t.clinic.serviceId,
        practitionerId: t.clinic.practitionerIds[0],
        locationId: t.clinic.locationId,
        startsAt,
      });
      assert.equal(res.status, 201, res.raw.body);
      return res.body;
    };
    const received = async (reply: Promise<{ status: number; text: string; headers: Headers }>) => {
      const res = await reply;
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers.get('content-type') ?? '', /text\/xml/);
      assert.equal(res.text, '<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    };

    test('a text from a patient opens an unread conversation with their name, on their timeline, starting message.inbound journeys', async () => {
      const t = await clinicOf(rig);
      const patientId = t.clinic.patientIds[0]!;
      const journey = await t.inTenant((s) =>
        s.tx
          .insertInto('journey')
          .values({ tenant_id: t.tenant.id, name: 'Task for every text', trigger: JSON.stringify({ type: 'message.inbound' }), steps: JSON.stringify([{ type: 'task', title: 'Answer the text' }]) })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
      await received(t.textFrom(t.phones[0]!, 'Can I bring my daughter to the visit?'));

      const page = await inbox(t);
      assert.equal(page.smsProvider, 'twilio');
      assert.equal(page.items.length, 1);
      const [c] = page.items;
      assert.equal(c!.address, t.phones[0]);
      assert.deepEqual(c!.patient, { id: patientId, givenName: 'Patient1', familyName: 'Scheduling' });
      assert.equal(c!.unreadCount, 1);
      assert.equal(c!.preview, 'Can I bring my daughter to the visit?');
      assert.equal(c!.status, 'open');
      assert.equal(c!.assignee, null);
      const [inbound] = await t.inboundOf(c!.id);
      assert.equal(inbound!.handled_as, 'conversation');
      assert.equal(inbound!.patient_id, patientId);
      assert.equal(inbound!.to_address, CLINIC_NUMBER);
      assert.equal(inbound!.received_at.toISOString(), NOW.toISOString());

      const timeline = (await t.call<{ items: Array<{ kind: string; summary: string }> }>('GET', `/api/patients/${patientId}/timeline`)).body.items;
      assert.ok(timeline.some((e) => e.kind === 'message.received' && e.summary === 'SMS received: "Can I bring my daughter to the visit?"'), JSON.stringify(timeline));
      const runs = await t.inTenant((s) => s.tx.selectFrom('journey_run').select(['patient_id', 'subject_type', 'subject_id']).where('journey_id', '=', journey.id).execute());
      assert.deepEqual(runs, [{ patient_id: patientId, subject_type: 'conversation', subject_id: c!.id }]);
      assert.ok((await t.audit()).some((a) => a.action === 'sms.receive' && a.patient_id === patientId));
      // Nothing answers a message for staff automatically.
      assert.deepEqual(await t.messagesTo(t.phones[0]!), []);
    });

    test('staff assign, read and answer: the reply goes through the outbox to Twilio, and its status callback marks it delivered', async () => {
      const t = await clinicOf(rig);
      const number = t.phones[1]!;
      await received(t.textFrom(number, 'Running 10 minutes late, sorry'));
      const id = (await inbox(t)).items[0]!.id;
      assert.equal((await inbox(t, '?assigned=me')).items.length, 0);
      assert.equal((await inbox(t, '?assigned=unassigned&unread=true')).items.length, 1);

      const assigned = await t.call('POST', `/api/inbox/${id}/assign`, { assigneeId: t.user.id });
      assert.equal(assigned.status, 200, assigned.raw.body);
      assert.equal((await inbox(t, '?assigned=me')).items[0]!.assignee!.id, t.user.id);
      const read = await t.call<{ unreadCount: number }>('POST', `/api/inbox/${id}/read`);
      assert.equal(read.body.unreadCount, 0);
      assert.equal((await inbox(t, '?unread=true')).items.length, 0);
      const [inbound] = await t.inboundOf(id);
      assert.equal(inbound!.read_by, t.user.id);
      assert.equal(inbound!.read_at!.toISOString(), NOW.toISOString());

      rig.clock.advance(60_000);
      const sent = await t.call<ThreadItem>('POST', `/api/inbox/${id}/replies`, { body: '  No problem, see you soon.  ', idempotencyKey: 'reply-key-0001' });
      assert.equal(sent.status, 201, sent.raw.body);
      assert.equal(sent.body.direction, 'out');
      assert.equal(sent.body.body, 'No problem, see you soon.');
      assert.equal(sent.body.direction === 'out' && sent.body.status, 'scheduled');
      // The same key again (a double click) is the same reply.
      const again = await t.call<ThreadItem>('POST', `/api/inbox/${id}/replies`, { body: 'No problem, see you soon.', idempotencyKey: 'reply-key-0001' });
      assert.equal(again.body.id, sent.body.id);

      await t.drain();
      const [message] = await t.messagesTo(number);
      assert.equal(message!.conversation_id, id);
      assert.equal(message!.patient_id, t.clinic.patientIds[1]);
      assert.equal(message!.status, 'sent');
      assert.equal(message!.created_by, t.user.id);
      const texts = t.textsTo(number);
      assert.equal(texts.length, 1);
      assert.equal(texts[0]!.body, 'No problem, see you soon.');
      assert.equal(texts[0]!.from, CLINIC_NUMBER);
      assert.equal(texts[0]!.statusCallback, t.twilioUrl('status'));

      const callback = await rig.fake.twilioStatusCallback(texts[0]!.idempotencyKey!, 'delivered');
      assert.equal(callback.status, 204, callback.text);
      const view = await thread(t, id);
      assert.deepEqual(
        view.items.map((i) => [i.direction, i.body, i.direction === 'out' ? i.status : i.handledAs]),
        [
          ['in', 'Running 10 minutes late, sorry', 'conversation'],
          ['out', 'No problem, see you soon.', 'delivered'],
        ],
      );
      assert.equal(view.optedOut, false);
      const out = view.items[1]!;
      assert.ok(out.direction === 'out' && typeof out.sentBy === 'string' && out.sentBy.length > 0, 'the reply names who sent it');

      const closed = await t.call<{ status: string }>('POST', `/api/inbox/${id}/close`);
      assert.equal(closed.body.status, 'closed');
      assert.equal((await inbox(t)).items.length, 0, 'closed conversations leave the open list');
      assert.equal((await inbox(t, '?status=closed')).items.length, 1);
      await received(t.textFrom(number, 'One more thing: where do I park?'));
      const reopened = (await inbox(t)).items[0]!;
      assert.equal(reopened.id, id, 'one conversation per number');
      assert.equal(reopened.status, 'open', 'a new text reopens it');
      assert.equal(reopened.unreadCount, 1);
      const unassigned = await t.call<{ assignee: null }>('POST', `/api/inbox/${id}/assign`, { assigneeId: null });
      assert.equal(unassigned.body.assignee, null);
      const actions = (await t.audit()).map((a) => a.action);
      for (const action of ['conversation.assign', 'conversation.mark_read', 'conversation.reply', 'conversation.view', 'conversation.close', 'message.delivered']) {
        assert.ok(actions.includes(action), `${action} is audited`);
      }
    });

    test('a number nobody has is an unknown conversation; a household number lists its members until staff pick one', async () => {
      const t = await clinicOf(rig);
      const stranger = newNumber();
      await received(t.textFrom(stranger, 'Hi, is this the clinic?'));
      const unknown = (await t.conversationOf(stranger))!;
      assert.equal(unknown.patient_id, null);
      const unknownView = await thread(t, unknown.id);
      assert.equal(unknownView.conversation.patient, null);
      assert.deepEqual(unknownView.conversation.candidates, []);

      // Patient 1 has the family phone; patient 2 (no phone of their own) shares it; patient 3 has it as a second number.
      const [parent, child, other] = t.clinic.patientIds as [string, string, string];
      const family = t.phones[0]!;
      await t.inTenant(async (s) => {
        await s.tx.updateTable('patient').set({ phone: null }).where('id', '=', child).execute();
        await s.tx.insertInto('patient_link').values({ tenant_id: t.tenant.id, patient_id: child, related_id: parent, kind: 'shares_phone_with' }).execute();
        await s.tx.insertInto('patient_contact_point').values({ tenant_id: t.tenant.id, patient_id: other, system: 'phone', value: family, use: 'mobile', rank: 1 }).execute();
      });
      await received(t.textFrom(family, 'Is the appointment for me or my son?'));
      const page = await inbox(t);
      const household = page.items.find((c) => c.address === family)!;
      assert.equal(household.patient, null);
      assert.deepEqual(household.candidates.map((c) => c.id).sort(), [parent, child, other].sort());
      assert.equal((await t.inboundOf(household.id))[0]!.patient_id, null);

      const refused = await t.call<ErrorBody>('POST', `/api/inbox/${household.id}/link`, { patientId: unknown.id });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.fields?.[0]?.path, 'patientId');
      const linked = await t.call<{ patient: { id: string }; candidates: unknown[] }>('POST', `/api/inbox/${household.id}/link`, { patientId: child });
      assert.equal(linked.status, 200, linked.raw.body);
      assert.equal(linked.body.patient.id, child);
      assert.deepEqual(linked.body.candidates, []);
      assert.equal((await t.inboundOf(household.id))[0]!.patient_id, child);
      // The next text stays with the chosen member.
      await received(t.textFrom(family, 'Thanks'));
      assert.equal((await t.conversationOf(family))!.patient_id, child);
    });

    test('a provider retrying its webhook changes nothing: one message, one unread, one answer', async () => {
      const t = await clinicOf(rig);
      const number = t.phones[0]!;
      const sid = `SM${'ab'.repeat(16)}`;
      await received(t.textFrom(number, 'Hello?', sid));
      await received(t.textFrom(number, 'Hello?', sid));
      const c = (await t.conversationOf(number))!;
      assert.equal((await t.inboundOf(c.id)).length, 1);
      assert.equal(c.unread_count, 1);
      const help = `SM${'cd'.repeat(16)}`;
      await Promise.all([received(t.textFrom(number, 'HELP', help)), received(t.textFrom(number, 'help', help))]);
      assert.equal((await t.inboundOf(c.id)).length, 2);
      assert.equal((await t.messagesTo(number)).length, 1, 'HELP answered once');
      const timeline = await t.inTenant((s) => s.tx.selectFrom('timeline_event').select('kind').where('kind', '=', 'message.received').execute());
      assert.equal(timeline.length, 1);
      assert.equal((await t.audit()).filter((a) => a.action === 'sms.receive').length, 2);
    });

    test('STOP withdraws SMS consent for everyone on the number at once: queued texts and later ones are not sent, staff cannot reply; START restores it', async () => {
      const t = await clinicOf(rig);
      const [parent, child] = t.clinic.patientIds as [string, string];
      const number = t.phones[0]!;
      await t.inTenant(async (s) => {
        await s.tx.updateTable('patient').set({ phone: null }).where('id', '=', child).execute();
        await s.tx.insertInto('patient_link').values({ tenant_id: t.tenant.id, patient_id: parent, related_id: child, kind: 'shares_phone_with' }).execute();
      });
      const queue = (key: string) =>
        t.inTenant((s) => scheduleMessage(s, { patientId: parent, channel: 'sms', purpose: 'care', idempotencyKey: key, dueAt: new Date(rig.clock().getTime() + HOUR), body: 'Your results are in' }, rig.clock()));
      const queued = await queue('queued-before-stop');
      await received(t.textFrom(number, 'Stop'));

      const consent = await t.inTenant((s) => s.tx.selectFrom('consent_event').select(['patient_id', 'channel', 'purpose', 'status', 'source']).orderBy('patient_id').orderBy('purpose').execute());
      assert.equal(consent.length, 10, 'five purposes for each of the two patients');
      assert.ok(consent.every((c) => c.channel === 'sms' && c.status === 'withdrawn' && c.source === 'keyword'));
      assert.deepEqual([...new Set(consent.map((c) => c.patient_id))].sort(), [parent, child].sort());
      const c = (await t.conversationOf(number))!;
      assert.equal(c.unread_count, 0, 'a keyword is handled, not left for staff');
      assert.equal((await t.inboundOf(c.id))[0]!.handled_as, 'stop');

      await t.drain();
      const stopped = (await t.messagesTo(number)).find((m) => m.id === queued.id)!;
      assert.deepEqual([stopped.status, stopped.reason], ['not_sent', 'consent_withdrawn']);
      assert.deepEqual(t.textsTo(number).map((d) => d.body), [`${t.tenant.name}: you will not get any more texts from us. Reply START to opt back in.`]);
      rig.clock.advance(2 * HOUR);
      const later = await queue('queued-after-stop');
      await t.drain();
      rig.clock.advance(-2 * HOUR);
      const after = (await t.messagesTo(number)).find((m) => m.id === later.id)!;
      assert.deepEqual([after.status, after.reason], ['not_sent', 'consent_withdrawn']);
      assert.equal(t.textsTo(number).length, 1, 'nothing more went out');

      // Staff see the opt-out and cannot text the number.
      assert.equal((await thread(t, c.id)).optedOut, true);
      const refused = await t.call<ErrorBody>('POST', `/api/inbox/${c.id}/replies`, { body: 'Are you sure?' });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'opted_out');
      assert.match(refused.body.error.message, /opted out/);

      await received(t.textFrom(number, 'START'));
      const granted = await t.inTenant((s) =>
        s.tx.selectFrom('consent_event').select(['patient_id', 'purpose']).where('status', '=', 'granted').where('source', '=', 'keyword').orderBy('purpose').execute(),
      );
      assert.deepEqual(granted.map((g) => g.purpose).sort(), ['billing', 'billing', 'care', 'care']);
      const reply = await t.call<ThreadItem>('POST', `/api/inbox/${c.id}/replies`, { body: 'Welcome back' });
      assert.equal(reply.status, 201, reply.raw.body);
      await t.drain();
      // Both due at once and sent side by side: in either order.
      assert.deepEqual(
        t.textsTo(number).slice(1).map((d) => d.body).sort(),
        [`${t.tenant.name}: you will get appointment and account texts from us again. Reply STOP to opt out, HELP for help.`, 'Welcome back'].sort(),
      );
    });

    test('YES after STOP opts back in; HELP answers with the help text; on a number nobody has, STOP and HELP are still answered', async () => {
      const t = await clinicOf(rig);
      const number = t.phones[2]!;
      await received(t.textFrom(number, 'STOP'));
      await received(t.textFrom(number, 'yes'));
      const handled = (await t.inboundOf((await t.conversationOf(number))!.id)).map((m) => m.handled_as);
      assert.deepEqual(handled, ['stop', 'start']);
      // The STOP and START answers go first: a drain sends what is due side by side, in any order.
      await t.drain();

      await received(t.textFrom(number, 'Help'));
      await t.drain();
      assert.equal(t.textsTo(number).at(-1)!.body, `${t.tenant.name}: appointment reminders and messages from your clinic. For help call +14135550199. Reply STOP to opt out. Msg & data rates may apply.`, JSON.stringify(await t.messagesTo(number)));
      await t.inTenant((s) => s.tx.updateTable('messaging_settings').set({ help_text: 'Call us on 413-555-0199, 9 to 5.' }).execute());
      const stranger = newNumber();
      await received(t.textFrom(stranger, 'INFO'));
      await t.drain();
      await received(t.textFrom(stranger, 'stop texting me'));
      await t.drain();
      assert.deepEqual(t.textsTo(stranger).map((d) => d.body), ['Call us on 413-555-0199, 9 to 5.', `${t.tenant.name}: you will not get any more texts from us. Reply START to opt back in.`]);
      const strangerConversation = (await t.conversationOf(stranger))!;
      assert.equal((await thread(t, strangerConversation.id)).optedOut, true);
    });

    test('C confirms the visit the number was last texted about; with no such visit, C is a message for staff', async () => {
      const t = await clinicOf(rig);
      const number = t.phones[0]!;
      await received(t.textFrom(number, 'C'));
      let c = (await t.conversationOf(number))!;
      assert.equal((await t.inboundOf(c.id))[0]!.handled_as, 'conversation', 'no visit was texted about yet');
      assert.equal(c.unread_count, 1);

      const visit = await book(t);
      await t.drain(); // No email on file: the booking confirmation goes by SMS.
      assert.equal(t.textsTo(number).length, 1);
      rig.clock.advance(60_000);
      await received(t.textFrom(number, ' yes! '));
      const confirmed = await t.call<AppointmentView>('GET', `/api/appointments/${visit.id}`);
      assert.equal(confirmed.body.status, 'booked');
      assert.equal(confirmed.body.confirmedAt, new Date(NOW.getTime() + 60_000).toISOString());
      c = (await t.conversationOf(number))!;
      const inbound = (await t.inboundOf(c.id)).at(-1)!;
      assert.deepEqual([inbound.handled_as, inbound.appointment_id], ['confirm', visit.id]);
      assert.equal(c.unread_count, 1, 'only the first C waits for staff');
      const event = await t.inTenant((s) => s.tx.selectFrom('appointment_event').select(['via', 'actor_type']).where('appointment_id', '=', visit.id).where('action', '=', 'confirmed').executeTakeFirstOrThrow());
      assert.deepEqual(event, { via: 'public', actor_type: 'public' });
      await t.drain();
      assert.equal(t.textsTo(number).at(-1)!.body, `${t.tenant.name}: thank you, your Follow-up visit on Tue 24 Nov at 10:00 AM is confirmed. See you then!`);
      rig.clock.advance(60_000);
      await received(t.textFrom(number, 'Y'));
      await t.drain();
      assert.match(t.textsTo(number).at(-1)!.body, /is already confirmed/);
      // The thread shows the booking confirmation the patient answered, between their texts.
      const view = await thread(t, c.id);
      assert.deepEqual(
        view.items.map((i) => (i.direction === 'in' ? `in:${i.handledAs}` : `out:${i.templateKey ?? 'reply'}:${i.sentBy ?? 'automatic'}`)),
        ['in:conversation', 'out:appointment.confirmation:automatic', 'in:confirm', 'out:reply:automatic', 'in:confirm', 'out:reply:automatic'],
      );
    });

    test('X cancels the visit the number was last texted about, stops its pending reminders, and answers with a way to rebook', async () => {
      const t = await clinicOf(rig);
      const number = t.phones[1]!;
      const visit = await book(t, 1);
      await t.drain();
      const pending = await t.inTenant((s) => s.tx.selectFrom('journey_run').select('id').where('subject_id', '=', visit.id).where('status', '=', 'waiting').execute());
      assert.ok(pending.length >= 2, 'the reminders are waiting');
      await received(t.textFrom(number, 'x'));

      const cancelled = await t.call<AppointmentView>('GET', `/api/appointments/${visit.id}`);
      assert.equal(cancelled.body.status, 'cancelled');
      assert.equal(cancelled.body.cancelReason, 'Cancelled by patient reply to SMS');
      const runs = await t.inTenant((s) => s.tx.selectFrom('journey_run').select('status').where('id', 'in', pending.map((r) => r.id)).execute());
      assert.ok(runs.every((r) => r.status === 'cancelled'), JSON.stringify(runs));
      await t.drain();
      assert.equal(
        t.textsTo(number).at(-1)!.body,
        `${t.tenant.name}: your Follow-up visit on Tue 24 Nov at 10:00 AM is cancelled. To book a new time, call +14135550199 or visit ${rig.base}/book/${t.tenant.slug}`,
      );
      const before = t.textsTo(number).length;
      rig.clock.advance(47 * HOUR); // past both reminder times
      try {
        await t.drain();
      } finally {
        rig.clock.advance(-47 * HOUR);
      }
      assert.equal(t.textsTo(number).length, before, 'no reminder for the cancelled visit');
      const inbound = (await t.inboundOf((await t.conversationOf(number))!.id))[0]!;
      assert.deepEqual([inbound.handled_as, inbound.appointment_id, inbound.patient_id], ['cancel', visit.id, t.clinic.patientIds[1]]);
      assert.ok((await t.audit()).some((a) => a.action === 'appointment.cancelled' && a.entity_id === visit.id));
      // "No problem, see you then" is a sentence, not a cancellation.
      const second = await book(t, 1, '2026-11-25T15:00:00Z');
      await t.drain();
      await received(t.textFrom(number, 'No problem, see you then'));
      assert.equal((await t.call<AppointmentView>('GET', `/api/appointments/${second.id}`)).body.status, 'booked');
      assert.equal((await t.conversationOf(number))!.unread_count, 1);
      // CANCEL is the carriers' opt-out word: consent goes, the visit stays, and staff are shown it to call about.
      await received(t.textFrom(number, 'CANCEL'));
      assert.equal((await t.call<AppointmentView>('GET', `/api/appointments/${second.id}`)).body.status, 'booked');
      const cancelWord = (await t.inboundOf((await t.conversationOf(number))!.id)).at(-1)!;
      assert.deepEqual([cancelWord.handled_as, cancelWord.appointment_id], ['stop', second.id]);
      assert.equal((await t.conversationOf(number))!.unread_count, 2);
    });
  });
}
