import type { ExplanationOfBenefit } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import { externalId, refKey, resolve, touchPatient, type ImportContext, type KnownRef } from './context.ts';
import { writeRefs } from './table-phase.ts';
import type { ImportEntry } from './types.ts';
import { cents, clip, contentHash, failureCodeOf, MappingFailure, oneOf } from './values.ts';

/**
 * ExplanationOfBenefit → the payer's answer on its claim: payer, amount paid by the payer and by the
 * patient, and outcome, written onto the claim row the EOB's `claim` names (one statement for the
 * batch). It has no row of its own; its external_ref points to the claim, so a re-import compares
 * its hash as for any resource.
 */

type Patch = {
  entry: ImportEntry;
  claimId: string;
  known: KnownRef | undefined;
  id: string | null;
  hash: string;
  payer: string | null;
  payerPaid: number | null;
  patientPaid: number | null;
  outcome: string;
};

export async function importExplanationsOfBenefit(ctx: ImportContext, entries: ImportEntry[]): Promise<void> {
  const patches: Patch[] = [];
  const done = (entry: ImportEntry, outcome: 'created' | 'updated' | 'unchanged' | 'failed', extra: { entityId?: string; reason?: string; failureCode?: 'not-found' }) =>
    ctx.results.set(entry, { entry, type: 'ExplanationOfBenefit', outcome, ...extra });
  for (const entry of entries) {
    const eob = entry.resource as ExplanationOfBenefit;
    const id = externalId(entry);
    const known = id ? ctx.refs.get(refKey(ctx.options.system, 'ExplanationOfBenefit', id)) : undefined;
    const hash = contentHash(eob);
    if (known && known.hash === hash) {
      done(entry, 'unchanged', { entityId: known.entityId });
      continue;
    }
    try {
      const patientPaid = eob.total?.find((t) => t.category?.coding?.some((c) => c.code === 'copay' || c.code === 'patientpay'))?.amount;
      patches.push({
        entry,
        known,
        id,
        hash,
        claimId: (await resolve(ctx, eob.claim, ['Claim'], 'ExplanationOfBenefit.claim', { required: true }))!,
        payer: clip(eob.insurer?.display ?? eob.insurance?.find((i) => i.focal)?.coverage?.display ?? eob.insurance?.[0]?.coverage?.display, 200),
        payerPaid: cents(eob.payment?.amount, 'ExplanationOfBenefit.payment.amount'),
        patientPaid: cents(patientPaid, 'ExplanationOfBenefit.total.amount'),
        outcome: oneOf(eob.outcome, ['queued', 'complete', 'error', 'partial'] as const, 'ExplanationOfBenefit.outcome'),
      });
    } catch (error) {
      if (!(error instanceof MappingFailure)) throw error;
      done(entry, 'failed', { reason: error.message, ...failureCodeOf(error) });
    }
  }
  if (!patches.length) return;
  const { rows } = await sql<{ id: string; patient_id: string }>`
    update claim c
       set payer = x.payer, payer_paid_cents = x.payer_paid, patient_paid_cents = x.patient_paid, outcome = x.outcome, updated_at = ${ctx.options.now}
      from unnest(${patches.map((p) => p.claimId)}::uuid[], ${patches.map((p) => p.payer)}::text[], ${patches.map((p) => p.payerPaid)}::bigint[],
                  ${patches.map((p) => p.patientPaid)}::bigint[], ${patches.map((p) => p.outcome)}::text[])
           as x(id, payer, payer_paid, patient_paid, outcome)
     where c.id = x.id
     returning c.id, c.patient_id`.execute(ctx.scope.tx);
  const patientOf = new Map(rows.map((r) => [r.id, r.patient_id]));
  const refs: Parameters<typeof writeRefs>[1] = [];
  for (const p of patches) {
    const patientId = patientOf.get(p.claimId);
    if (!patientId) {
      done(p.entry, 'failed', { reason: 'ExplanationOfBenefit.claim names a claim that is no longer in Rapport' });
      continue;
    }
    done(p.entry, p.known ? 'updated' : 'created', { entityId: p.claimId });
    touchPatient(ctx, patientId, 'ExplanationOfBenefit');
    if (p.id) {
      ctx.refs.set(refKey(ctx.options.system, 'ExplanationOfBenefit', p.id), { entityId: p.claimId, hash: p.hash });
      refs.push({ system: ctx.options.system, type: 'ExplanationOfBenefit', id: p.id, entityId: p.claimId, hash: p.hash });
    }
  }
  await writeRefs(ctx, refs);
}
