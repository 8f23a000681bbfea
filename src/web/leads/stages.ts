import type { LeadStage } from '../api/leads.ts';

/** How each stage of the lead board is named and coloured. */
export const STAGE: Record<LeadStage, { label: string; color: string; hint: string }> = {
  new: { label: 'New', color: 'blue', hint: 'Just in: nobody has talked to them yet' },
  contacted: { label: 'Contacted', color: 'cyan', hint: 'Reached at least once' },
  qualified: { label: 'Qualified', color: 'teal', hint: 'A good fit, ready to book' },
  converted: { label: 'Converted', color: 'green', hint: 'Became patients (last 90 days)' },
  lost: { label: 'Lost', color: 'gray', hint: 'Did not go ahead (last 90 days)' },
};

/** Stages a lead can be moved to by hand; converting has its own action. */
export const WORKING_STAGES = ['new', 'contacted', 'qualified'] as const;

const ORIGIN: Record<string, string> = { staff: 'Added by staff', api: 'From an integration', web_form: 'Web form', import: 'Imported' };

export function originLabel(origin: string): string {
  return ORIGIN[origin] ?? origin;
}
