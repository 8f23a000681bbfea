import type { TenantScope } from '../../server/db/scope.ts';
import { consentState, recordConsent, type ConsentAnswer } from '../messaging/consent.ts';
import { CHANNELS, OPT_OUT_PURPOSES, PURPOSES, type Channel, type Purpose } from '../messaging/types.ts';
import type { RowDraft } from './row.ts';

/**
 * Consent columns: what a patient agreed to in the clinic's old system, written to the consent
 * ledger with source 'import'. Three kinds of target:
 *
 * - `consent:<channel>:<purpose>`: that one answer ("Email marketing opt-in").
 * - `consent:<channel>`: the channel as a whole ("SMS opt in"), read as the STOP and START keywords
 *   are: yes grants care and billing, no withdraws every purpose. A general opt-in to texts is not
 *   taken as consent to marketing or research.
 * - `consent:all:<purpose>`: one purpose on every channel ("Marketing consent").
 *
 * A column naming one channel and one purpose wins over a broader one on the same row; where two
 * broad columns disagree, the withdrawal wins.
 */

export type ConsentStatus = 'granted' | 'withdrawn';
export type ConsentTarget = `consent:${string}`;
/** One consent cell of a row, as read. */
export type ConsentCell = { column: string; target: ConsentTarget; status: ConsentStatus };
/** The answer a row gives for one channel and purpose, and the column it came from. */
export type ConsentCellAnswer = { channel: Channel; purpose: Purpose; status: ConsentStatus; column: string };

const CHANNEL_NAMES: Record<Channel, string> = { email: 'email', sms: 'SMS', in_app: 'in-app' };

/** The problem with a `consent:` target, or null when it names one. */
export function checkConsentTarget(value: string): string | null {
  const [, channel, purpose, ...rest] = value.split(':');
  const channelOk = CHANNELS.includes(channel as Channel);
  const ok = rest.length === 0 && ((channelOk && (purpose === undefined || PURPOSES.includes(purpose as Purpose))) || (channel === 'all' && PURPOSES.includes(purpose as Purpose)));
  return ok ? null : `is not a consent field; use consent:<channel>:<purpose>, consent:<channel> or consent:all:<purpose>, with a channel of ${CHANNELS.join(', ')} and a purpose of ${PURPOSES.join(', ')}`;
}

/** The consent targets an upload page offers (in-app consent is rarely in another system's export, so it is left out). */
export function consentTargetOptions(): Array<{ value: ConsentTarget; label: string }> {
  const shown: Channel[] = ['sms', 'email'];
  return [
    ...shown.flatMap((channel) => [
      { value: `consent:${channel}` as const, label: `Consent: ${CHANNEL_NAMES[channel]} (yes grants care and billing; no withdraws every purpose)` },
      ...PURPOSES.map((purpose) => ({ value: `consent:${channel}:${purpose}` as const, label: `Consent: ${CHANNEL_NAMES[channel]}, ${purpose}` })),
    ]),
    ...PURPOSES.map((purpose) => ({ value: `consent:all:${purpose}` as const, label: `Consent: ${purpose}, every channel` })),
  ];
}

/** The channels and purposes a consent cell answers for, and whether it names exactly one of each. */
function reach(cell: ConsentCell): { pairs: Array<[Channel, Purpose]>; exact: boolean } {
  const [, channel, purpose] = cell.target.split(':') as [string, Channel | 'all', Purpose | undefined];
  if (channel === 'all') return { pairs: CHANNELS.map((c) => [c, purpose!]), exact: false };
  if (purpose) return { pairs: [[channel, purpose]], exact: true };
  return { pairs: (cell.status === 'granted' ? OPT_OUT_PURPOSES : PURPOSES).map((p) => [channel, p]), exact: false };
}

/** The row's answer per channel and purpose: a column naming both wins; between broader columns, a withdrawal. */
export function consentAnswers(cells: readonly ConsentCell[]): ConsentCellAnswer[] {
  const chosen = new Map<string, ConsentCellAnswer & { exact: boolean }>();
  for (const cell of cells) {
    const { pairs, exact } = reach(cell);
    for (const [channel, purpose] of pairs) {
      const key = `${channel}:${purpose}`;
      const before = chosen.get(key);
      const wins = !before || (exact && !before.exact) || (exact === before.exact && cell.status === 'withdrawn');
      if (wins) chosen.set(key, { channel, purpose, status: cell.status, column: cell.column, exact });
    }
  }
  return [...chosen.values()]
    .sort((a, b) => CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel) || PURPOSES.indexOf(a.purpose) - PURPOSES.indexOf(b.purpose))
    .map(({ exact: _exact, ...answer }) => answer);
}

export type ConsentPlan = {
  /** Answers that differ from the ledger's latest one (or that the ledger has none for). */
  changes: ConsentCellAnswer[];
  /** Grants left out because the patient withdrew in Rapport itself, said in the file's terms. */
  kept: string[];
};

/**
 * What a row's answers would change for a patient. An answer equal to the latest in the ledger is
 * nothing to write, so importing a file again writes nothing. A grant never goes over a withdrawal
 * recorded any other way than by an import (a STOP reply, an unsubscribe link, staff on the
 * patient's word): a spreadsheet from another system is no reason to text someone who said stop.
 * An import's withdrawal always goes through.
 */
export function planConsent(line: number, answers: readonly ConsentCellAnswer[], current: readonly ConsentAnswer[]): ConsentPlan {
  const latest = new Map(current.map((a) => [`${a.channel}:${a.purpose}`, a]));
  const changes: ConsentCellAnswer[] = [];
  const kept = new Map<string, ConsentCellAnswer[]>();
  for (const answer of answers) {
    const now = latest.get(`${answer.channel}:${answer.purpose}`);
    if (now?.status === answer.status) continue;
    if (answer.status === 'granted' && now?.status === 'withdrawn' && now.source !== 'import') {
      kept.set(answer.column, [...(kept.get(answer.column) ?? []), answer]);
      continue;
    }
    changes.push(answer);
  }
  return {
    changes,
    kept: [...kept].map(
      ([column, list]) =>
        `Line ${line}: "${column}" grants ${list.map((a) => `${CHANNEL_NAMES[a.channel]} ${a.purpose}`).join(', ')}, but the patient withdrew that consent in Rapport; the withdrawal stands.`,
    ),
  };
}

/** The row's consent plan against the patient's ledger (an empty one for a patient the row creates). */
export async function planRowConsent(scope: TenantScope, draft: RowDraft, patientId: string | null): Promise<ConsentPlan> {
  const answers = consentAnswers(draft.consent);
  if (!answers.length) return { changes: [], kept: [] };
  return planConsent(draft.line, answers, patientId ? await consentState(scope, patientId) : []);
}

/**
 * Writes the changes through recordConsent (ledger, timeline, audit, and a withdrawal stopping the
 * messages still waiting), as few calls as make whole channel-by-purpose blocks.
 */
export async function recordImportedConsent(scope: TenantScope, patientId: string, changes: readonly ConsentCellAnswer[], note: string, now: Date): Promise<void> {
  for (const status of ['granted', 'withdrawn'] as const) {
    const byChannel = new Map<Channel, Purpose[]>();
    for (const c of changes) if (c.status === status) byChannel.set(c.channel, [...(byChannel.get(c.channel) ?? []), c.purpose]);
    const blocks = new Map<string, { channels: Channel[]; purposes: Purpose[] }>();
    for (const [channel, purposes] of byChannel) {
      const key = purposes.join(',');
      const block = blocks.get(key) ?? { channels: [], purposes };
      block.channels.push(channel);
      blocks.set(key, block);
    }
    for (const block of blocks.values()) await recordConsent(scope, { patientId, ...block, status, source: 'import', note }, now);
  }
}

/** The note on every ledger row an import writes: which file, which run. */
export const importConsentNote = (filename: string, runId: string) => `CSV import of "${filename}" (import run ${runId})`;
