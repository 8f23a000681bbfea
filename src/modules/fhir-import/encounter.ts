import type { Encounter } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { EncounterStatus } from '../../server/db/types.ts';
import { resolve } from './context.ts';
import type { TableMapper } from './table-phase.ts';
import { recordImportedEvents } from './timeline.ts';
import { clip, coding, conceptText, fail, instant, oneOf } from './values.ts';

/**
 * Encounter → a past visit (encounter row): on the patient's timeline, and patient.last_visit_at
 * follows by trigger. The practitioner who took part is linked to the organization that provided
 * the encounter, which is how a Synthea practitioner gets its organization in the directory.
 */

const STATUSES: readonly EncounterStatus[] = ['planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown'];

export const encounterMapper: TableMapper = {
  type: 'Encounter',
  table: 'encounter',
  async map(resource, ctx) {
    const e = resource as Encounter;
    const started = instant(e.period?.start, 'Encounter.period.start') ?? fail('Encounter.period.start is required');
    const ended = instant(e.period?.end, 'Encounter.period.end');
    if (ended && ended < started) fail('Encounter.period.end is before its start');
    const type = coding(e.type?.[0]);
    const individual = e.participant?.find((p) => p.individual?.reference)?.individual;
    return {
      patient_id: await resolve(ctx, e.subject, ['Patient'], 'Encounter.subject', { required: true }),
      status: oneOf(e.status, STATUSES, 'Encounter.status'),
      class_code: clip(e.class?.code, 64),
      type_system: clip(type.system, 300),
      type_code: clip(type.code, 64),
      type_display: clip(conceptText(e.type?.[0]), 300),
      reason_display: clip(conceptText(e.reasonCode?.[0]), 300),
      practitioner_id: await resolve(ctx, individual, ['Practitioner'], 'Encounter.participant.individual', { required: false }),
      organization_id: await resolve(ctx, e.serviceProvider, ['Organization'], 'Encounter.serviceProvider', { required: false }),
      location_name: clip(e.location?.[0]?.location?.display, 200),
      started_at: started,
      ended_at: ended,
      source: 'fhir',
    };
  },
  async afterWrite(ctx, written) {
    await recordImportedEvents(ctx, written, (w) => ({
      kind: 'encounter.imported',
      summary: `Visit: ${(w.row.type_display as string | null) ?? 'encounter'}${w.row.status === 'finished' ? '' : ` (${String(w.row.status)})`}`,
      occurredAt: w.row.started_at as Date,
      subjectType: 'encounter',
    }));
    // A directory practitioner without an organization gets the one it saw patients at.
    const pairs = new Map<string, string>();
    for (const w of written) {
      if (w.row.practitioner_id && w.row.organization_id && !pairs.has(w.row.practitioner_id as string)) {
        pairs.set(w.row.practitioner_id as string, w.row.organization_id as string);
      }
    }
    if (pairs.size) {
      await sql`
        update practitioner p set organization_id = x.organization_id
          from unnest(${[...pairs.keys()]}::uuid[], ${[...pairs.values()]}::uuid[]) as x(id, organization_id)
         where p.id = x.id and p.organization_id is null and p.user_id is null`.execute(ctx.scope.tx);
    }
  },
};
