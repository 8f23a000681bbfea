import type { TenantScope } from '../../server/db/scope.ts';
import type { LeadOrigin, LeadStage } from '../../server/db/types.ts';
import { conflict, notFound, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { normalizeEmail, toE164 } from '../patients/normalize.ts';
import { registerPatient, type DuplicateCheck } from '../patients/service.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { requirePatient } from '../timeline/service.ts';
import { isUuid } from '../../shared/ids.ts';

export type LeadSource = {
  channel?: string | null | undefined;
  campaign?: string | null | undefined;
  referrer?: string | null | undefined;
  utmSource?: string | null | undefined;
  utmMedium?: string | null | undefined;
  utmCampaign?: string | null | undefined;
  utmTerm?: string | null | undefined;
  utmContent?: string | null | undefined;
};

export type NewLead = {
  givenName: string;
  familyName: string;
  birthDate?: string | undefined;
  phone?: string | undefined;
  email?: string | undefined;
  interest?: string | undefined;
  message?: string | undefined;
  ownerId?: string | undefined;
  source?: LeadSource | undefined;
};

export type Lead = {
  id: string;
  givenName: string;
  familyName: string;
  birthDate: string | null;
  phone: string | null;
  email: string | null;
  interest: string | null;
  message: string | null;
  stage: LeadStage;
  lostReason: string | null;
  owner: { id: string; name: string } | null;
  patientId: string | null;
  origin: LeadOrigin;
  source: Required<{ [K in keyof LeadSource]: string | null }>;
  createdAt: string;
  stageChangedAt: string;
  convertedAt: string | null;
};

function leadQuery(scope: TenantScope) {
  return scope.tx.selectFrom('lead as l').leftJoin('app_user as u', 'u.id', 'l.owner_id').selectAll('l').select('u.display_name as owner_name');
}

type Row = Awaited<ReturnType<ReturnType<typeof leadQuery>['executeTakeFirstOrThrow']>>;

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function present(r: Row): Lead {
  return {
    id: r.id,
    givenName: r.given_name,
    familyName: r.family_name,
    birthDate: r.birth_date,
    phone: r.phone,
    email: r.email,
    interest: r.interest,
    message: r.message,
    stage: r.stage,
    lostReason: r.lost_reason,
    owner: r.owner_id ? { id: r.owner_id, name: r.owner_name ?? '' } : null,
    patientId: r.patient_id,
    origin: r.origin,
    source: {
      channel: r.source_channel,
      campaign: r.source_campaign,
      referrer: r.source_referrer,
      utmSource: r.utm_source,
      utmMedium: r.utm_medium,
      utmCampaign: r.utm_campaign,
      utmTerm: r.utm_term,
      utmContent: r.utm_content,
    },
    createdAt: iso(r.created_at)!,
    stageChangedAt: iso(r.stage_changed_at)!,
    convertedAt: iso(r.converted_at),
  };
}

const sourceColumns = (s: LeadSource | undefined) => ({
  source_channel: s?.channel ?? null,
  source_campaign: s?.campaign ?? null,
  source_referrer: s?.referrer ?? null,
  utm_source: s?.utmSource ?? null,
  utm_medium: s?.utmMedium ?? null,
  utm_campaign: s?.utmCampaign ?? null,
  utm_term: s?.utmTerm ?? null,
  utm_content: s?.utmContent ?? null,
});

/** A new lead from staff, an integration or a web form; it keeps where it came from. */
export async function createLead(scope: TenantScope, input: NewLead, origin: LeadOrigin, now: Date): Promise<Lead> {
  const problems: FieldProblem[] = [];
  const phone = input.phone ? toE164(input.phone) : null;
  if (input.phone && !phone) problems.push({ path: 'phone', message: `must be a valid phone number (got "${input.phone}")` });
  const email = input.email ? normalizeEmail(input.email) : null;
  if (input.email && !email) problems.push({ path: 'email', message: 'must be an email address' });
  if (!input.phone && !input.email) problems.push({ path: 'phone', message: 'a phone or an email is needed to reach the lead' });
  if (input.ownerId) {
    const owner = await scope.tx.selectFrom('app_user').select('id').where('id', '=', input.ownerId).executeTakeFirst();
    if (!owner) problems.push({ path: 'ownerId', message: 'is not a user of this clinic' });
  }
  if (problems.length) throw validationFailed(problems);
  const { id } = await scope.tx
    .insertInto('lead')
    .values({
      tenant_id: scope.tenantId,
      given_name: input.givenName,
      family_name: input.familyName,
      birth_date: input.birthDate ?? null,
      phone,
      email,
      interest: input.interest ?? null,
      message: input.message ?? null,
      owner_id: input.ownerId ?? null,
      origin,
      ...sourceColumns(input.source),
      created_at: now,
      stage_changed_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const via = input.source?.channel ? ` via ${input.source.channel}` : '';
  await recordTimelineEvent(scope, {
    leadId: id,
    kind: 'lead.created',
    summary: `New lead${via}${input.interest ? `: ${input.interest}` : ''}`,
    detail: { origin, source: input.source ?? {} },
    occurredAt: now,
    subject: { type: 'lead', id },
  });
  await scope.audit({ action: 'lead.create', entityType: 'lead', entityId: id, detail: { origin } });
  return getLead(scope, id, { audit: false });
}

export async function getLead(scope: TenantScope, id: string, options: { audit: boolean } = { audit: true }): Promise<Lead> {
  const row = isUuid(id) ? await leadQuery(scope).where('l.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('Lead');
  if (options.audit) await scope.audit({ action: 'lead.read', entityType: 'lead', entityId: id, patientId: row.patient_id });
  return present(row);
}

/** The lead board: leads by stage, newest movement first; converted and lost ones from the last 90 days. */
export async function leadBoard(scope: TenantScope, now: Date): Promise<Record<LeadStage, Lead[]>> {
  const since = new Date(now.getTime() - 90 * 86_400_000);
  const rows = await leadQuery(scope)
    .where((eb) => eb.or([eb('l.stage', 'in', ['new', 'contacted', 'qualified']), eb('l.stage_changed_at', '>=', since)]))
    .orderBy('l.stage_changed_at', 'desc')
    .limit(2000)
    .execute();
  const board: Record<LeadStage, Lead[]> = { new: [], contacted: [], qualified: [], converted: [], lost: [] };
  for (const row of rows) board[row.stage].push(present(row));
  await scope.audit({ action: 'lead.list', entityType: 'lead', detail: { returned: rows.length } });
  return board;
}

/** Moves a lead between stages (conversion has its own path), reassigns it, or edits its details. */
export async function changeLead(
  scope: TenantScope,
  id: string,
  change: { stage?: Exclude<LeadStage, 'converted'> | undefined; lostReason?: string | undefined; ownerId?: string | null | undefined; interest?: string | undefined },
  now: Date,
): Promise<Lead> {
  const current = await getLead(scope, id, { audit: false });
  if (current.stage === 'converted') throw conflict('A converted lead can no longer change stage; work with the patient record instead.');
  if (change.stage === 'lost' && !change.lostReason) {
    throw validationFailed([{ path: 'lostReason', message: 'is required when a lead is lost' }]);
  }
  if (change.ownerId) {
    const owner = await scope.tx.selectFrom('app_user').select('id').where('id', '=', change.ownerId).executeTakeFirst();
    if (!owner) throw validationFailed([{ path: 'ownerId', message: 'is not a user of this clinic' }]);
  }
  const moved = change.stage !== undefined && change.stage !== current.stage;
  await scope.tx
    .updateTable('lead')
    .set({
      ...(moved ? { stage: change.stage, stage_changed_at: now, lost_reason: change.stage === 'lost' ? change.lostReason! : null } : {}),
      ...(change.ownerId !== undefined ? { owner_id: change.ownerId } : {}),
      ...(change.interest !== undefined ? { interest: change.interest } : {}),
    })
    .where('id', '=', id)
    .execute();
  if (moved) {
    await recordTimelineEvent(scope, {
      leadId: id,
      patientId: current.patientId,
      kind: 'lead.stage_changed',
      summary: `Lead moved from ${current.stage} to ${change.stage}${change.stage === 'lost' ? `: ${change.lostReason}` : ''}`,
      detail: { from: current.stage, to: change.stage },
      occurredAt: now,
      subject: { type: 'lead', id },
    });
  }
  await scope.audit({ action: 'lead.update', entityType: 'lead', entityId: id, patientId: current.patientId, detail: { fields: Object.keys(change) } });
  return getLead(scope, id, { audit: false });
}

/**
 * Converts a lead: links it to an existing patient or registers a new one from the lead's details.
 * The lead keeps its source; a new patient (or one with no source yet) takes it too, so attribution
 * can follow source -> lead -> patient -> appointments. The lead's timeline moves onto the patient.
 */
export async function convertLead(
  scope: TenantScope,
  id: string,
  input: { patientId?: string | undefined; confirmNotDuplicate?: boolean | undefined },
  now: Date,
  findDuplicates?: DuplicateCheck,
): Promise<{ lead: Lead; patientId: string; created: boolean }> {
  const lead = await getLead(scope, id, { audit: false });
  if (lead.stage === 'converted') throw conflict('This lead was already converted.');
  if (lead.stage === 'lost') throw conflict('A lost lead cannot be converted; move it back to a working stage first.');
  let patientId: string;
  let created = false;
  if (input.patientId) {
    patientId = (await requirePatient(scope, input.patientId)).id;
    const s = lead.source;
    await scope.tx
      .updateTable('patient')
      .set({
        source_channel: s.channel, source_campaign: s.campaign, source_referrer: s.referrer, utm_source: s.utmSource,
        utm_medium: s.utmMedium, utm_campaign: s.utmCampaign, utm_term: s.utmTerm, utm_content: s.utmContent,
      })
      .where('id', '=', patientId)
      .where('source_channel', 'is', null)
      .where('utm_source', 'is', null)
      .execute();
  } else {
    const result = await registerPatient(
      scope,
      {
        givenName: lead.givenName,
        familyName: lead.familyName,
        ...(lead.birthDate ? { birthDate: lead.birthDate } : {}),
        ...(lead.phone ? { phones: [{ value: lead.phone }] } : {}),
        ...(lead.email ? { emails: [{ value: lead.email }] } : {}),
        lifecycleStatus: 'active',
        source: lead.source,
        ...(input.confirmNotDuplicate ? { confirmNotDuplicate: true } : {}),
      },
      { now, ...(findDuplicates ? { findDuplicates } : {}) },
    );
    patientId = result.patient.id;
    created = true;
  }
  await scope.tx.updateTable('lead').set({ stage: 'converted', patient_id: patientId, converted_at: now, stage_changed_at: now }).where('id', '=', id).execute();
  await scope.tx.updateTable('timeline_event').set({ patient_id: patientId }).where('lead_id', '=', id).where('patient_id', 'is', null).execute();
  await recordTimelineEvent(scope, {
    leadId: id,
    patientId,
    kind: 'lead.converted',
    summary: created ? 'Lead converted into a new patient' : 'Lead linked to this patient',
    detail: { from: lead.stage, source: lead.source },
    occurredAt: now,
    subject: { type: 'lead', id },
  });
  await scope.audit({ action: 'lead.convert', entityType: 'lead', entityId: id, patientId, detail: { created } });
  return { lead: await getLead(scope, id, { audit: false }), patientId, created };
}
