import { mergePatients } from '../duplicates/merge.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { Hl7Error, type HandlerContext, type HandlerResult } from './context.ts';
import { identifier, parseTimestamp } from './datatypes.ts';
import { findByRef, matchPractitioner, remember, type ExternalKey } from './directory-match.ts';
import { component, firstSegment, part, repetitions, segmentsNamed, value, type Segment } from './parse.ts';
import { findPatientByIdentifiers, pidIdentifiers, upsertPatient } from './patient-sync.ts';

/**
 * ADT: A04 (register) and A08 (update) create or bring up to date the patient of PID; A01 (admit)
 * does that and opens an encounter from PV1; A03 (discharge) closes it; A40 merges the patient of
 * MRG-1 into the patient of PID through the duplicates module, so the merge is audited and can be
 * undone like one made by staff.
 */

function requirePid(ctx: HandlerContext): Segment {
  const pid = firstSegment(ctx.message, 'PID');
  if (!pid) throw new Hl7Error('100', `A PID segment is required in ADT^${ctx.message.header.triggerEvent}.`, 'PID');
  return pid;
}

export async function registerOrUpdate(ctx: HandlerContext): Promise<HandlerResult> {
  const { patientId } = await upsertPatient(ctx, requirePid(ctx));
  return { patientId, entityType: 'patient', entityId: patientId };
}

/** When the event happened: PV1's own time, else EVN-6 (event occurred), EVN-2, MSH-7, now. */
function eventTime(ctx: HandlerContext, pv1: Segment | undefined, pv1Field: 44 | 45): Date {
  const evn = firstSegment(ctx.message, 'EVN');
  const candidates = [pv1 ? value(pv1, pv1Field) : '', evn ? value(evn, 6) : '', evn ? value(evn, 2) : '', ctx.message.header.timestamp];
  for (const c of candidates) {
    const at = c ? parseTimestamp(c, ctx.zone) : null;
    if (at) return at;
  }
  return ctx.now;
}

/** PV1-19, the visit number, as this sender's key for the encounter. */
function visitKey(ctx: HandlerContext, pv1: Segment | undefined): ExternalKey | null {
  const rep = pv1 ? repetitions(pv1, 19)[0] : undefined;
  const id = rep ? identifier(rep, ctx.sender) : null;
  return id ? { system: `${ctx.sender}|visit`, id: `${id.system}|${id.value}` } : null;
}

/** PV1-3, the assigned location, as words: point of care, room, bed, facility. */
function locationName(pv1: Segment): string | null {
  const rep = repetitions(pv1, 3)[0];
  const words = [part(rep, 4), part(rep, 1), part(rep, 2), part(rep, 3)].filter(Boolean);
  return words.length ? words.join(', ').slice(0, 200) : null;
}

async function attending(ctx: HandlerContext, pv1: Segment): Promise<string | null> {
  const rep = repetitions(pv1, 7)[0];
  if (!rep) return null;
  const id = part(rep, 1);
  const authority = part(rep, 9, 1) || ctx.sender;
  return matchPractitioner(ctx, id ? { system: authority, id } : null, { given: part(rep, 3), family: part(rep, 2) });
}

export async function admit(ctx: HandlerContext): Promise<HandlerResult> {
  const { patientId } = await upsertPatient(ctx, requirePid(ctx));
  const pv1 = firstSegment(ctx.message, 'PV1');
  if (!pv1) throw new Hl7Error('100', 'A PV1 segment is required in ADT^A01 to record the visit.', 'PV1');
  const key = visitKey(ctx, pv1);
  const startedAt = eventTime(ctx, pv1, 44);
  const values = {
    patient_id: patientId,
    class_code: component(pv1, 2, 1) || null,
    practitioner_id: await attending(ctx, pv1),
    location_name: locationName(pv1),
    started_at: startedAt,
    updated_at: ctx.now,
  };
  const known = await findByRef(ctx, 'Encounter', key);
  let encounterId: string;
  if (known) {
    await ctx.scope.tx.updateTable('encounter').set({ ...values, status: 'in-progress', ended_at: null }).where('id', '=', known).execute();
    encounterId = known;
  } else {
    const row = await ctx.scope.tx
      .insertInto('encounter')
      .values({ tenant_id: ctx.scope.tenantId, ...values, status: 'in-progress', source: 'hl7', created_at: ctx.now })
      .returning('id')
      .executeTakeFirstOrThrow();
    encounterId = row.id;
    await remember(ctx, 'Encounter', key, encounterId);
    await recordTimelineEvent(ctx.scope, {
      patientId,
      kind: 'encounter.admitted',
      summary: `Admitted${values.location_name ? ` to ${values.location_name}` : ''} (reported by ${ctx.message.header.sendingApplication || 'HL7'})`,
      detail: { encounterId, classCode: values.class_code, source: 'hl7' },
      occurredAt: startedAt,
    });
  }
  await ctx.scope.audit({ action: known ? 'encounter.update' : 'encounter.create', entityType: 'encounter', entityId: encounterId, patientId, detail: { via: 'hl7' } });
  return { patientId, entityType: 'encounter', entityId: encounterId };
}

export async function discharge(ctx: HandlerContext): Promise<HandlerResult> {
  const { patientId } = await upsertPatient(ctx, requirePid(ctx));
  const pv1 = firstSegment(ctx.message, 'PV1');
  const key = visitKey(ctx, pv1);
  const endedAt = eventTime(ctx, pv1, 45);
  // The visit this discharge ends: by visit number, else the patient's open visit from this feed.
  const byKey = await findByRef(ctx, 'Encounter', key);
  const open = byKey
    ? await ctx.scope.tx.selectFrom('encounter').select(['id', 'started_at', 'patient_id']).where('id', '=', byKey).executeTakeFirst()
    : await ctx.scope.tx
        .selectFrom('encounter')
        .select(['id', 'started_at', 'patient_id'])
        .where('patient_id', '=', patientId)
        .where('source', '=', 'hl7')
        .where('ended_at', 'is', null)
        .orderBy('started_at', 'desc')
        .executeTakeFirst();
  let encounterId: string;
  if (open) {
    if (new Date(open.started_at) > endedAt) throw new Hl7Error('102', 'PV1-45 (discharge time) is before the admission of the visit.', 'PV1^1^45');
    await ctx.scope.tx.updateTable('encounter').set({ status: 'finished', ended_at: endedAt, updated_at: ctx.now }).where('id', '=', open.id).execute();
    encounterId = open.id;
  } else {
    // A discharge for a visit Rapport never saw admitted: keep the visit, admitted when PV1-44 says.
    const startedAt = pv1 && value(pv1, 44) ? eventTime(ctx, pv1, 44) : endedAt;
    if (startedAt > endedAt) throw new Hl7Error('102', 'PV1-45 (discharge time) is before PV1-44 (admit time).', 'PV1^1^45');
    const row = await ctx.scope.tx
      .insertInto('encounter')
      .values({
        tenant_id: ctx.scope.tenantId,
        patient_id: patientId,
        status: 'finished',
        class_code: pv1 ? component(pv1, 2, 1) || null : null,
        practitioner_id: pv1 ? await attending(ctx, pv1) : null,
        location_name: pv1 ? locationName(pv1) : null,
        started_at: startedAt,
        ended_at: endedAt,
        source: 'hl7',
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    encounterId = row.id;
    await remember(ctx, 'Encounter', key, encounterId);
  }
  await recordTimelineEvent(ctx.scope, {
    patientId: open?.patient_id ?? patientId,
    kind: 'encounter.discharged',
    summary: `Discharged (reported by ${ctx.message.header.sendingApplication || 'HL7'})`,
    detail: { encounterId, source: 'hl7' },
    occurredAt: endedAt,
  });
  await ctx.scope.audit({ action: 'encounter.discharge', entityType: 'encounter', entityId: encounterId, patientId: open?.patient_id ?? patientId, detail: { via: 'hl7' } });
  return { patientId, entityType: 'encounter', entityId: encounterId };
}

/** A40: every MRG-1 patient is merged into the PID patient; both must be known to Rapport. */
export async function merge(ctx: HandlerContext): Promise<HandlerResult> {
  const pid = requirePid(ctx);
  const mrgs = segmentsNamed(ctx.message, 'MRG');
  if (!mrgs.length) throw new Hl7Error('100', 'An MRG segment is required in ADT^A40.', 'MRG');
  const survivorIds = pidIdentifiers(ctx, pid);
  const survivorId = await findPatientByIdentifiers(ctx, survivorIds, 'PID-3');
  if (!survivorId) throw new Hl7Error('204', 'No patient in Rapport has an identifier of PID-3, the record to keep.', 'PID^1^3');
  let mergeId: string | undefined;
  for (const [i, mrg] of mrgs.entries()) {
    const priorIds = repetitions(mrg, 1)
      .map((rep) => identifier(rep, ctx.sender))
      .filter((id) => id !== null);
    if (!priorIds.length) throw new Hl7Error('101', 'MRG-1 (prior patient identifier list) is required.', `MRG^${i + 1}^1`);
    const priorId = await findPatientByIdentifiers(ctx, priorIds, 'MRG-1');
    if (!priorId) throw new Hl7Error('204', `No patient in Rapport has the identifier ${priorIds[0]!.value} of MRG-1, the record to merge.`, `MRG^${i + 1}^1`);
    if (priorId === survivorId) {
      ctx.warnings.push({ code: '0', severity: 'I', message: 'MRG-1 already names the PID patient: nothing to merge.', location: `MRG^${i + 1}^1` });
      continue;
    }
    const result = await mergePatients(ctx.scope, { survivorId, mergedId: priorId, choices: {} });
    mergeId = result.id;
  }
  return { patientId: survivorId, entityType: mergeId ? 'patient_merge' : 'patient', entityId: mergeId ?? survivorId };
}

