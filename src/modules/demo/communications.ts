import type { Kysely } from 'kysely';
import { DateTime } from 'luxon';
import { withTenant } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { scheduleRelativeRuns } from '../journeys/engine.ts';
import { receiveInboundSms } from '../inbox/inbound.ts';
import { recordConsent } from '../messaging/consent.ts';

/**
 * The demo clinic's communications: reminders scheduled for the visits already booked (the seed
 * writes appointments directly, not through booking), a few marketing opt-ins, medication
 * reminders and open invoices, so every shipped journey has something to do in the sandbox.
 * The reminders are scheduled on every call (idempotently); the rest only for a clinic that has
 * no medication reminder or invoice yet.
 */
export async function ensureDemoCommunications(db: Kysely<DB>, input: { tenantId: string; now: Date }): Promise<{ runs: number; reminders: number; invoices: number }> {
  return withTenant(db, { tenantId: input.tenantId, actor: { type: 'system', id: null } }, async (scope) => {
    // Idempotent (a run per appointment and start time): visits seeded later get theirs too.
    const upcoming = await scope.tx
      .selectFrom('appointment')
      .select(['id', 'patient_id', 'service_id', 'location_id', 'time_zone', 'starts_at', 'ends_at'])
      .where('status', '=', 'booked')
      .where('starts_at', '>', input.now)
      .orderBy('starts_at')
      .execute();
    const runs = await scheduleRelativeRuns(scope, upcoming, input.now);
    const seeded =
      (await scope.tx.selectFrom('medication_reminder').select('id').limit(1).executeTakeFirst()) ??
      (await scope.tx.selectFrom('invoice').select('id').limit(1).executeTakeFirst());
    if (seeded) return { runs, reminders: 0, invoices: 0 };

    const patients = await scope.tx
      .selectFrom('patient')
      .select(['id', 'time_zone'])
      .where('lifecycle_status', '=', 'active')
      .where('phone', 'is not', null)
      .orderBy('mrn')
      .limit(40)
      .execute();
    const today = DateTime.fromJSDate(input.now, { zone: 'America/New_York' });
    const medications = [
      { medication: 'Amoxicillin 500 mg', instructions: 'One capsule with water', times: ['08:00', '20:00'], days: 7 },
      { medication: 'Vitamin D 1000 IU', instructions: 'One tablet with breakfast', times: ['08:30'], days: 60 },
      { medication: 'Metformin 500 mg', instructions: 'With breakfast and dinner', times: ['07:30', '18:30'], days: 30 },
    ];
    let reminders = 0;
    for (const [i, patient] of patients.slice(0, 6).entries()) {
      const m = medications[i % medications.length]!;
      await scope.tx
        .insertInto('medication_reminder')
        .values({
          tenant_id: scope.tenantId,
          patient_id: patient.id,
          medication: m.medication,
          instructions: m.instructions,
          times_of_day: m.times,
          start_date: today.toISODate()!,
          end_date: today.plus({ days: m.days }).toISODate()!,
          channel: i % 3 === 2 ? 'email' : 'sms',
        })
        .execute();
      reminders += 1;
    }
    let invoices = 0;
    for (const [i, patient] of patients.slice(6, 18).entries()) {
      const amount = [4500, 12000, 8500, 2500][i % 4]!;
      await scope.tx
        .insertInto('invoice')
        .values({
          tenant_id: scope.tenantId,
          patient_id: patient.id,
          number: `INV-${String(1001 + i)}`,
          amount_cents: amount,
          balance_cents: i % 3 === 0 ? 0 : amount,
          status: i % 3 === 0 ? 'paid' : 'open',
          issued_on: today.minus({ days: 20 - i }).toISODate()!,
          due_on: today.plus({ days: (i % 5) - 1 }).toISODate()!,
        })
        .execute();
      invoices += 1;
    }
    for (const patient of patients.slice(18, 30)) {
      await recordConsent(scope, { patientId: patient.id, channels: ['email'], purposes: ['marketing', 'education'], status: 'granted', source: 'form', note: 'Newsletter sign-up (demo)' }, input.now);
    }
    // Two patients have texted the clinic: the inbox has something to answer.
    const texts = ['Hi, can I bring my son along to my appointment? He needs a check-up too.', 'Is there parking near the clinic?'];
    for (const [i, patient] of patients.slice(30, 32).entries()) {
      const phone = await scope.tx.selectFrom('patient').select('phone').where('id', '=', patient.id).executeTakeFirstOrThrow();
      if (!phone.phone) continue;
      await receiveInboundSms(
        scope,
        { provider: 'sandbox', providerMessageId: `demo-${i + 1}`, from: phone.phone, to: 'sandbox', body: texts[i]!, receivedAt: new Date(input.now.getTime() - (i + 1) * 3600_000) },
        input.now,
      );
    }
    await scope.audit({ action: 'demo.communications', detail: { runs, reminders, invoices } });
    return { runs, reminders, invoices };
  });
}
