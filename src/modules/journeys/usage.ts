import type { TenantScope } from '../../server/db/scope.ts';
import type { VariableContext } from '../messaging/templates.ts';
import type { Channel } from '../messaging/types.ts';
import { stepsSchema, subjectOfTrigger, triggerSchema, type Step, type Trigger } from './schema.ts';

/**
 * Which journeys use which templates, and what their messages know: the facts template saves and
 * deletions are checked against, and journey saves check in the other direction.
 */

export type SendStep = Extract<Step, { type: 'send' }>;

/** What a template sent by a journey with this trigger may name besides the patient and the clinic. */
export function contextsOfTrigger(trigger: Trigger): VariableContext[] {
  // An invoice's due date starts runs about the invoice, though the trigger type alone says "patient".
  if (trigger.type === 'date.reached') return trigger.field === 'invoice.dueOn' ? ['invoice'] : [];
  switch (subjectOfTrigger(trigger.type)) {
    case 'appointment':
      return ['appointment', 'survey'];
    case 'waitlist_offer':
      return ['offer'];
    case 'medication_reminder':
      return ['medication'];
    case 'invoice':
      return ['invoice'];
    default:
      return [];
  }
}

/** Calls `visit` on every step, branches' arms included, with the step's path in a request body ("steps.2.then.0"). */
export function eachStep(steps: Step[], visit: (step: Step, path: string) => void, prefix = 'steps'): void {
  steps.forEach((step, i) => {
    const path = `${prefix}.${i}`;
    visit(step, path);
    if (step.type === 'branch') {
      eachStep(step.then, visit, `${path}.then`);
      eachStep(step.else, visit, `${path}.else`);
    }
  });
}

export function sendSteps(steps: Step[]): Array<{ step: SendStep; path: string }> {
  const found: Array<{ step: SendStep; path: string }> = [];
  eachStep(steps, (step, path) => {
    if (step.type === 'send') found.push({ step, path });
  });
  return found;
}

export type StoredJourney = { id: string; name: string; enabled: boolean; trigger: Trigger; steps: Step[] };

/** Every journey of the clinic that still parses (one that does not is never run, so it uses nothing). */
export async function storedJourneys(scope: TenantScope): Promise<StoredJourney[]> {
  const rows = await scope.tx.selectFrom('journey').select(['id', 'name', 'enabled', 'trigger', 'steps']).orderBy('created_at').execute();
  return rows.flatMap((row) => {
    const trigger = triggerSchema.safeParse(row.trigger);
    const steps = stepsSchema.safeParse(row.steps);
    return trigger.success && steps.success ? [{ id: row.id, name: row.name, enabled: row.enabled, trigger: trigger.data, steps: steps.data }] : [];
  });
}

export type KeyUse = { journey: StoredJourney; channels: Channel[] };

/**
 * The journeys that send a template key, with the channels they send it on. A medication journey
 * sends on whatever channel each active reminder was agreed on, so those count too.
 */
export async function journeysUsingKey(scope: TenantScope, key: string, journeys?: StoredJourney[]): Promise<KeyUse[]> {
  const uses: KeyUse[] = [];
  let reminderChannels: Channel[] | undefined;
  for (const journey of journeys ?? (await storedJourneys(scope))) {
    const channels = new Set(sendSteps(journey.steps).filter((s) => s.step.template === key).map((s) => s.step.channel));
    if (!channels.size) continue;
    if (journey.trigger.type === 'medication.dose') {
      reminderChannels ??= (await scope.tx.selectFrom('medication_reminder').select('channel').distinct().where('active', '=', true).execute()).map((r) => r.channel);
      for (const channel of reminderChannels) channels.add(channel);
    }
    uses.push({ journey, channels: [...channels] });
  }
  return uses;
}

/**
 * The contexts every message of this key can count on: what all the journeys sending it have in
 * common. Undefined when no journey sends it (nothing is known yet, so nothing is refused).
 */
export function allowedContexts(uses: KeyUse[]): VariableContext[] | undefined {
  if (!uses.length) return undefined;
  const [first, ...rest] = uses.map((u) => contextsOfTrigger(u.journey.trigger));
  return first!.filter((c) => rest.every((contexts) => contexts.includes(c)));
}
