import type { Claim } from '@medplum/fhirtypes';
import { resolve, resolveOptional } from './context.ts';
import type { TableMapper } from './table-phase.ts';
import { cents, clip, instant, oneOf } from './values.ts';

/** Claim → claim: payment history of a visit. Its explanation of benefit fills in what was paid (eob.ts). */

export const claimMapper: TableMapper = {
  type: 'Claim',
  table: 'claim',
  async map(resource, ctx) {
    const c = resource as Claim;
    const encounterRef = c.item?.flatMap((i) => i.encounter ?? []).find((r) => r.reference);
    const currency = c.total?.currency ?? 'USD';
    return {
      patient_id: await resolve(ctx, c.patient, ['Patient'], 'Claim.patient', { required: true }),
      encounter_id: await resolve(ctx, encounterRef, ['Encounter'], 'Claim.item.encounter', { required: false }),
      status: oneOf(c.status, ['active', 'cancelled', 'draft', 'entered-in-error'], 'Claim.status'),
      service_start: instant(c.billablePeriod?.start, 'Claim.billablePeriod.start'),
      service_end: instant(c.billablePeriod?.end, 'Claim.billablePeriod.end'),
      total_cents: cents(c.total, 'Claim.total'),
      currency: /^[A-Z]{3}$/.test(currency) ? currency : 'USD',
      payer: clip(c.insurer?.display ?? c.insurance?.find((i) => i.focal)?.coverage?.display ?? c.insurance?.[0]?.coverage?.display, 200),
      organization_id: await resolveOptional(ctx, c.provider, ['Organization'], 'Claim.provider'),
      source: 'fhir',
    };
  },
};

