import { sql, type Selectable } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { JourneyRunTable } from '../../server/db/types.ts';
import type { Condition } from './schema.ts';

/** A branch's condition, read when the branch is reached (not when the run started). */
export async function evaluateCondition(scope: TenantScope, run: Selectable<JourneyRunTable>, condition: Condition, now: Date): Promise<boolean> {
  if (condition.field === 'patient.tag') {
    const tagged = await hasTag(scope, run.patient_id, String(condition.value ?? ''));
    return condition.op === 'neq' || condition.op === 'is_false' ? !tagged : tagged;
  }
  const actual = await valueOf(scope, run, condition.field, now);
  return compare(actual, condition.op, condition.value);
}

export function compare(actual: unknown, op: Condition['op'], expected: unknown): boolean {
  switch (op) {
    case 'is_true':
      return actual === true;
    case 'is_false':
      return actual === false || actual === null || actual === undefined;
    case 'eq':
      return String(actual ?? '') === String(expected ?? '');
    case 'neq':
      return String(actual ?? '') !== String(expected ?? '');
    case 'gt':
      return typeof actual === 'number' && actual > Number(expected);
    case 'lt':
      return typeof actual === 'number' && actual < Number(expected);
  }
}

async function valueOf(scope: TenantScope, run: Selectable<JourneyRunTable>, field: string, now: Date): Promise<unknown> {
  const appointment = async () =>
    run.subject_type === 'appointment' && run.subject_id
      ? scope.tx.selectFrom('appointment').select(['status', 'confirmed_at']).where('id', '=', run.subject_id).executeTakeFirst()
      : undefined;
  switch (field) {
    case 'appointment.status':
      return (await appointment())?.status ?? null;
    case 'appointment.confirmed':
      return Boolean((await appointment())?.confirmed_at);
    case 'patient.hasUpcomingAppointment': {
      const row = await scope.tx
        .selectFrom('appointment')
        .select('id')
        .where('patient_id', '=', run.patient_id)
        .where('status', '=', 'booked')
        .where('starts_at', '>', now)
        .limit(1)
        .executeTakeFirst();
      return Boolean(row);
    }
    case 'patient.lifecycleStatus':
    case 'patient.hasEmail':
    case 'patient.hasMobile': {
      const p = await scope.tx.selectFrom('patient').select(['lifecycle_status', 'email', 'phone', 'phone_use']).where('id', '=', run.patient_id).executeTakeFirst();
      if (field === 'patient.lifecycleStatus') return p?.lifecycle_status ?? null;
      if (field === 'patient.hasEmail') return Boolean(p?.email);
      return Boolean(p?.phone && p.phone_use === 'mobile');
    }
    case 'invoice.balanceCents': {
      if (run.subject_type !== 'invoice' || !run.subject_id) return null;
      const i = await scope.tx.selectFrom('invoice').select(['balance_cents', 'status']).where('id', '=', run.subject_id).executeTakeFirst();
      return i && i.status === 'open' ? i.balance_cents : 0;
    }
    case 'offer.status': {
      if (run.subject_type !== 'waitlist_offer' || !run.subject_id) return null;
      const o = await scope.tx.selectFrom('waitlist_offer').select('status').where('id', '=', run.subject_id).executeTakeFirst();
      return o?.status ?? null;
    }
    case 'patient.tag':
      return null;
    default: {
      if (field.startsWith('custom.')) {
        const row = await scope.tx
          .selectFrom('patient')
          .select(sql<unknown>`custom_fields -> ${field.slice('custom.'.length)}`.as('v'))
          .where('id', '=', run.patient_id)
          .executeTakeFirst();
        return row?.v ?? null;
      }
      return null;
    }
  }
}

/** Whether the patient carries a tag by name (branch `patient.tag eq <name>`). */
export async function hasTag(scope: TenantScope, patientId: string, name: string): Promise<boolean> {
  const row = await scope.tx
    .selectFrom('patient_tag as pt')
    .innerJoin('tag as t', 't.id', 'pt.tag_id')
    .select('pt.tag_id')
    .where('pt.patient_id', '=', patientId)
    .where(sql<boolean>`lower(t.name) = lower(${name})`)
    .executeTakeFirst();
  return Boolean(row);
}
