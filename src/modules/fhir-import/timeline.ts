import { sql } from 'kysely';
import { recordTimelineEvents } from '../timeline/events.ts';
import type { ImportContext } from './context.ts';
import type { Written } from './table-phase.ts';

/**
 * One timeline event per imported encounter and per immunization (never per observation), written
 * in one statement per batch. A re-imported, changed row moves its event rather than adding one.
 */
export async function recordImportedEvents(
  ctx: ImportContext,
  written: Written[],
  event: (w: Written) => { kind: string; summary: string; occurredAt: Date; subjectType: string },
): Promise<void> {
  const fresh = written.filter((w) => w.isNew);
  await recordTimelineEvents(
    ctx.scope,
    fresh.map((w) => {
      const e = event(w);
      return {
        patientId: w.row.patient_id as string,
        kind: e.kind,
        summary: e.summary,
        detail: { source: 'fhir' },
        occurredAt: e.occurredAt,
        subject: { type: e.subjectType, id: w.id },
      };
    }),
  );
  for (const w of written.filter((x) => !x.isNew)) {
    const e = event(w);
    await ctx.scope.tx
      .updateTable('timeline_event')
      .set({ summary: e.summary, occurred_at: e.occurredAt, patient_id: w.row.patient_id as string })
      .where('subject_type', '=', e.subjectType)
      .where('subject_id', '=', w.id)
      .where(sql<boolean>`kind = ${e.kind}`)
      .execute();
  }
}
