import type { CarePlan } from '@medplum/fhirtypes';
import type { CarePlanActivity } from '../../server/db/types.ts';
import { resolve } from './context.ts';
import type { TableMapper } from './table-phase.ts';
import { clip, coding, conceptText, fail, instant, oneOf } from './values.ts';

/** CarePlan → care_plan: the care programme (its title or first category) and its activities. */

const STATUSES = ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'] as const;
// US Core's generic category says nothing about the programme.
const GENERIC_CATEGORY = 'assess-plan';

export const carePlanMapper: TableMapper = {
  type: 'CarePlan',
  table: 'care_plan',
  async map(resource, ctx) {
    const p = resource as CarePlan;
    const category = p.category?.find((c) => !c.coding?.some((x) => x.code === GENERIC_CATEGORY));
    const activities: CarePlanActivity[] = (p.activity ?? []).flatMap((a) => {
      const display = conceptText(a.detail?.code) ?? a.reference?.display;
      return display ? [{ code: coding(a.detail?.code).code, display: display.slice(0, 300), status: a.detail?.status ?? null }] : [];
    });
    return {
      patient_id: await resolve(ctx, p.subject, ['Patient'], 'CarePlan.subject', { required: true }),
      encounter_id: await resolve(ctx, p.encounter, ['Encounter'], 'CarePlan.encounter', { required: false }),
      status: oneOf(p.status, STATUSES, 'CarePlan.status'),
      title: clip(p.title ?? conceptText(category), 300) ?? fail('CarePlan has neither a title nor a category naming the programme'),
      category_code: clip(coding(category).code, 64),
      period_start: instant(p.period?.start, 'CarePlan.period.start'),
      period_end: instant(p.period?.end, 'CarePlan.period.end'),
      activities: JSON.stringify(activities),
      source: 'fhir',
    };
  },
};
