import { AppError } from '../../server/errors.ts';
import { renderTemplate, sampleValues, smsSegments, TEMPLATE_VARIABLES, validateTemplate } from '../../modules/messaging/templates.ts';
import type { Channel, VariableContext } from './api.ts';

/**
 * The template language's own checks, run in the browser as staff type (the same code the server
 * runs on save): problems by field, warnings, and the SMS length with sample values.
 */

export type TemplateCheck = {
  problems: Map<string, string>;
  warnings: string[];
  sms: { encoding: string; segments: number; characters: number } | null;
};

export function checkDraft(draft: { channel: Channel; subject: string; body: string }, allowed: VariableContext[] | null): TemplateCheck {
  const problems = new Map<string, string>();
  let warnings: string[] = [];
  try {
    warnings = validateTemplate({ channel: draft.channel, subject: draft.channel === 'email' ? draft.subject : '', body: draft.body, allowed: allowed ?? undefined }).warnings;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    for (const f of error.fields ?? [{ path: 'body', message: error.message }]) problems.set(f.path, problems.has(f.path) ? `${problems.get(f.path)} ${f.message}` : f.message);
  }
  let sms: TemplateCheck['sms'] = null;
  if (draft.channel === 'sms' && !problems.has('body')) {
    try {
      sms = smsSegments(renderTemplate(draft.body, sampleValues()));
    } catch {
      sms = null;
    }
  }
  return { problems, warnings, sms };
}

const ALWAYS: VariableContext[] = ['patient', 'clinic'];
const CONTEXT_LABEL: Record<VariableContext, string> = {
  patient: 'Patient',
  clinic: 'Clinic',
  appointment: 'Appointment',
  survey: 'Survey',
  offer: 'Waitlist offer',
  medication: 'Medication',
  invoice: 'Invoice',
};

export type VariableOption = { name: string; label: string; example: string; available: boolean };

/** The catalog of variables by what they need, marking those the journeys sending this key cannot fill. */
export function variableGroups(allowed: VariableContext[] | null): Array<{ context: string; variables: VariableOption[] }> {
  const groups = new Map<VariableContext, VariableOption[]>();
  for (const [name, v] of Object.entries(TEMPLATE_VARIABLES)) {
    const available = allowed === null || ALWAYS.includes(v.needs) || allowed.includes(v.needs);
    groups.set(v.needs, [...(groups.get(v.needs) ?? []), { name, label: v.label, example: v.example, available }]);
  }
  return [...groups].map(([context, variables]) => ({ context: CONTEXT_LABEL[context], variables }));
}
