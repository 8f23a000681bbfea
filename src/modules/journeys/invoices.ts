import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, notFound, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { stopPendingMessages } from '../messaging/outbox.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { carePatient } from './care.ts';

/**
 * What a patient owes, as far as billing notices need: an invoice with an open balance, payments
 * against it, and paid or void. Once an invoice is settled, no notice about it goes out any more.
 */

export type InvoiceStatus = 'open' | 'paid' | 'void';

export type Invoice = {
  id: string;
  patientId: string;
  number: string;
  amountCents: number;
  balanceCents: number;
  currency: string;
  issuedOn: string;
  dueOn: string;
  status: InvoiceStatus;
  createdAt: string;
  updatedAt: string;
};

export type NewInvoice = {
  number: string;
  amountCents: number;
  /** What is still owed, when part was paid before it was recorded here; the whole amount by default. */
  balanceCents?: number | undefined;
  currency?: string | undefined;
  issuedOn?: string | undefined;
  dueOn: string;
};

/** One of: a payment against the balance, or marking the invoice paid in full or void. */
export type InvoiceChange = { payment?: { amountCents: number } | undefined; status?: 'paid' | 'void' | undefined };

const COLUMNS = ['id', 'patient_id', 'number', 'amount_cents', 'balance_cents', 'currency', 'issued_on', 'due_on', 'status', 'created_at', 'updated_at'] as const;
type Row = {
  id: string;
  patient_id: string;
  number: string;
  amount_cents: number;
  balance_cents: number;
  currency: string;
  issued_on: string;
  due_on: string;
  status: InvoiceStatus;
  created_at: Date;
  updated_at: Date;
};

const present = (r: Row): Invoice => ({
  id: r.id,
  patientId: r.patient_id,
  number: r.number,
  amountCents: r.amount_cents,
  balanceCents: r.balance_cents,
  currency: r.currency,
  issuedOn: r.issued_on,
  dueOn: r.due_on,
  status: r.status,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const money = (cents: number, currency: string) => new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);

export async function listInvoices(scope: TenantScope, patientId: string): Promise<Invoice[]> {
  const patient = await carePatient(scope, patientId, false);
  const rows = await scope.tx.selectFrom('invoice').select(COLUMNS).where('patient_id', '=', patient.id).orderBy('due_on', 'desc').orderBy('created_at', 'desc').execute();
  await scope.audit({ action: 'patient.invoices.read', entityType: 'patient', entityId: patient.id, patientId: patient.id, detail: { returned: rows.length } });
  return rows.map(present);
}

export async function addInvoice(scope: TenantScope, patientId: string, input: NewInvoice, now: Date): Promise<Invoice> {
  const patient = await carePatient(scope, patientId, true);
  const issuedOn = input.issuedOn ?? DateTime.fromJSDate(now, { zone: patient.zone }).toISODate()!;
  const balance = input.balanceCents ?? input.amountCents;
  const problems: FieldProblem[] = [];
  if (balance > input.amountCents) problems.push({ path: 'balanceCents', message: `must not be more than amountCents (${input.amountCents})` });
  if (input.dueOn < issuedOn) problems.push({ path: 'dueOn', message: `must not be before issuedOn (${issuedOn})` });
  if (problems.length) throw validationFailed(problems);
  const taken = await scope.tx.selectFrom('invoice').select('id').where('number', '=', input.number).executeTakeFirst();
  if (taken) throw new AppError(409, 'invoice_number_taken', `Invoice number ${input.number} is already used.`, [{ path: 'number', message: 'is already used by another invoice' }]);
  const row = await scope.tx
    .insertInto('invoice')
    .values({
      tenant_id: scope.tenantId,
      patient_id: patient.id,
      number: input.number,
      amount_cents: input.amountCents,
      balance_cents: balance,
      currency: input.currency ?? 'USD',
      issued_on: issuedOn,
      due_on: input.dueOn,
      // Recorded already settled (an import of paid history) when nothing is owed.
      status: balance === 0 ? 'paid' : 'open',
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  await recordTimelineEvent(scope, {
    patientId: patient.id,
    kind: 'invoice.created',
    summary: `Invoice ${row.number} for ${money(row.amount_cents, row.currency)}, due ${row.due_on}${balance !== row.amount_cents ? ` (${money(balance, row.currency)} open)` : ''}`,
    detail: { invoiceId: row.id, amountCents: row.amount_cents, balanceCents: row.balance_cents },
    occurredAt: now,
    subject: { type: 'invoice', id: row.id },
  });
  await scope.audit({ action: 'invoice.create', entityType: 'invoice', entityId: row.id, patientId: patient.id });
  return present(row);
}

/** Records a payment, or marks the invoice paid or void; a settled invoice stops its billing notices. */
export async function changeInvoice(scope: TenantScope, id: string, input: InvoiceChange, now: Date): Promise<Invoice> {
  if ((input.payment === undefined) === (input.status === undefined)) {
    throw validationFailed([{ path: 'payment', message: 'give either a payment or a status (paid or void), not both or neither' }]);
  }
  const current = isUuid(id) ? await scope.tx.selectFrom('invoice').select(COLUMNS).where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  if (!current) throw notFound('Invoice');
  const patient = await carePatient(scope, current.patient_id, false);
  if (current.status !== 'open') throw new AppError(409, 'invoice_settled', `Invoice ${current.number} is already ${current.status}.`);

  let balance = current.balance_cents;
  let status: InvoiceStatus = current.status;
  let kind: string;
  let summary: string;
  if (input.payment) {
    if (input.payment.amountCents > balance) {
      throw validationFailed([{ path: 'payment.amountCents', message: `is more than the open balance of ${money(balance, current.currency)}` }]);
    }
    balance -= input.payment.amountCents;
    if (balance === 0) status = 'paid';
    kind = balance === 0 ? 'invoice.paid' : 'invoice.payment';
    summary = `Payment of ${money(input.payment.amountCents, current.currency)} on invoice ${current.number}: ${balance === 0 ? 'paid in full' : `${money(balance, current.currency)} still open`}`;
  } else if (input.status === 'paid') {
    [balance, status, kind] = [0, 'paid', 'invoice.paid'];
    summary = `Invoice ${current.number} marked paid`;
  } else {
    [status, kind] = ['void', 'invoice.voided'];
    summary = `Invoice ${current.number} voided`;
  }
  const row = await scope.tx.updateTable('invoice').set({ balance_cents: balance, status, updated_at: now }).where('id', '=', id).returning(COLUMNS).executeTakeFirstOrThrow();
  let stopped = 0;
  if (status !== 'open') {
    await scope.tx
      .updateTable('journey_run')
      .set({ status: 'cancelled', reason: 'invoice_settled', lease_until: null, updated_at: now })
      .where('subject_type', '=', 'invoice')
      .where('subject_id', '=', id)
      .where('status', 'in', ['waiting', 'running'])
      .execute();
    stopped = await stopPendingMessages(scope, { about: { type: 'invoice', id } }, 'invoice_settled', now);
  }
  await recordTimelineEvent(scope, {
    patientId: patient.id,
    kind,
    summary,
    detail: { invoiceId: id, balanceCents: balance, paidCents: input.payment?.amountCents ?? null, messagesStopped: stopped },
    occurredAt: now,
    subject: { type: 'invoice', id },
  });
  await scope.audit({ action: input.payment ? 'invoice.payment' : `invoice.${input.status}`, entityType: 'invoice', entityId: id, patientId: patient.id, detail: { status, balanceCents: balance } });
  return present(row);
}
