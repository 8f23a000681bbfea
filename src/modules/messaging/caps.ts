import { sql, type Selectable } from 'kysely';
import type { TenantScope } from '../../server/db/scope.ts';
import type { MessageTable } from '../../server/db/types.ts';
import { DEFAULT_CAPS, type MessagingSettings } from './policy.ts';
import { PURPOSES, type Purpose } from './types.ts';

type MessageRow = Selectable<MessageTable>;

/**
 * Frequency caps for a batch. The patients' advisory locks are taken together, in one order, so
 * two workers sending to one patient at once cannot both pass the cap (one waits for the other's
 * commit) and cannot deadlock; the counts of what was sent are read in one statement.
 */
export class CapCounter {
  private counts: Map<string, number> | null = null;
  private readonly taken = new Set<string>();
  private readonly scope: TenantScope;
  private readonly settings: MessagingSettings;
  private readonly now: Date;
  private readonly messages: MessageRow[];

  constructor(scope: TenantScope, settings: MessagingSettings, now: Date, messages: MessageRow[]) {
    this.scope = scope;
    this.settings = settings;
    this.now = now;
    this.messages = messages.filter((m) => !m.urgent && m.patient_id);
  }

  private async load(): Promise<Map<string, number>> {
    const patients = [...new Set(this.messages.map((m) => m.patient_id!))];
    const counts = new Map<string, number>();
    if (!patients.length) return counts;
    const keys = patients.map((id) => `${this.scope.tenantId}:${id}:cap`).sort();
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(${keys}::text[]) AS k`.execute(this.scope.tx);
    const windows = PURPOSES.map((purpose) => {
      const cap = this.settings.frequency_caps[purpose] ?? DEFAULT_CAPS[purpose];
      return { purpose, since: new Date(this.now.getTime() - cap.days * 86_400_000) };
    });
    const rows = await sql<{ patient_id: string; purpose: string; n: number }>`
      SELECT m.patient_id, m.purpose, count(*)::int AS n
        FROM message m
        JOIN unnest(${windows.map((w) => w.purpose)}::text[], ${windows.map((w) => w.since.toISOString())}::timestamptz[]) AS w(purpose, since)
          ON w.purpose = m.purpose AND m.sent_at >= w.since
       WHERE m.patient_id = ANY(${patients}::uuid[])
       GROUP BY m.patient_id, m.purpose`.execute(this.scope.tx);
    for (const row of rows.rows) counts.set(`${row.patient_id}:${row.purpose}`, row.n);
    return counts;
  }

  /** 'ok' takes the patient's place for this purpose in the batch; 'busy' means another message already has it. */
  async check(patientId: string, purpose: Purpose): Promise<'ok' | 'over' | 'busy'> {
    this.counts ??= await this.load();
    const key = `${patientId}:${purpose}`;
    const cap = this.settings.frequency_caps[purpose] ?? DEFAULT_CAPS[purpose];
    if (!cap || cap.count <= 0) return 'ok';
    if (this.taken.has(key)) return 'busy';
    if ((this.counts.get(key) ?? 0) >= cap.count) return 'over';
    this.taken.add(key);
    return 'ok';
  }
}
