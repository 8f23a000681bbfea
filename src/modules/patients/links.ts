import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, badRequest, conflict, notFound } from '../../server/errors.ts';
import { uniqueViolation } from '../../server/db/errors.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { isUuid } from '../../shared/ids.ts';

type LinkKind = 'guardian_of' | 'guarded_by' | 'shares_phone_with';

const DESCRIBE: Record<LinkKind, string> = {
  guardian_of: 'is guardian of',
  guarded_by: 'has as guardian',
  shares_phone_with: 'shares a phone with',
};

/**
 * Links two patients of one household. "guarded by" is stored as the guardian's "guardian of", so a
 * link reads the same from either side; "shares a phone with" is symmetric and stored once.
 */
export async function linkPatients(
  scope: TenantScope,
  patientId: string,
  input: { kind: LinkKind; relatedId: string },
  now: Date,
): Promise<{ linkId: string }> {
  if (patientId === input.relatedId) throw badRequest('A patient cannot be linked to themselves.', [{ path: 'relatedId', message: 'is the same patient' }]);
  const found = isUuid(patientId)
    ? await scope.tx.selectFrom('patient').select(['id', 'given_name', 'family_name']).where('id', 'in', [patientId, input.relatedId]).where('merged_into_id', 'is', null).execute()
    : [];
  const self = found.find((p) => p.id === patientId);
  const other = found.find((p) => p.id === input.relatedId);
  if (!self) throw notFound('Patient');
  if (!other) throw new AppError(404, 'not_found', 'The related patient was not found.', [{ path: 'relatedId', message: 'is not a patient of this clinic' }]);

  const [from, to, kind] =
    input.kind === 'guarded_by' ? [input.relatedId, patientId, 'guardian_of' as const] : [patientId, input.relatedId, input.kind];
  const existing = await scope.tx
    .selectFrom('patient_link')
    .select('id')
    .where('kind', '=', kind)
    .where((eb) =>
      eb.or([
        eb.and([eb('patient_id', '=', from), eb('related_id', '=', to)]),
        eb.and([eb('patient_id', '=', to), eb('related_id', '=', from)]),
      ]),
    )
    .executeTakeFirst();
  if (existing) throw conflict('These patients are already linked that way.');
  let linkId: string;
  try {
    linkId = (
      await scope.tx
        .insertInto('patient_link')
        .values({ tenant_id: scope.tenantId, patient_id: from, related_id: to, kind })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  } catch (error) {
    if (uniqueViolation(error) !== undefined) throw conflict('These patients are already linked that way.');
    throw error;
  }
  const name = (p: { given_name: string; family_name: string }) => `${p.given_name} ${p.family_name}`;
  for (const [subject, partner, description] of [
    [self, other, DESCRIBE[input.kind]],
    [other, self, DESCRIBE[input.kind === 'guardian_of' ? 'guarded_by' : input.kind === 'guarded_by' ? 'guardian_of' : input.kind]],
  ] as const) {
    await recordTimelineEvent(scope, {
      patientId: subject.id,
      kind: 'household.linked',
      summary: `${name(subject)} ${description} ${name(partner)}`,
      detail: { linkId, kind, relatedId: partner.id },
      occurredAt: now,
      subject: { type: 'patient_link', id: linkId },
    });
    await scope.audit({ action: 'patient.link', entityType: 'patient_link', entityId: linkId, patientId: subject.id });
  }
  return { linkId };
}

/** Removes a household link seen from `patientId`. */
export async function unlinkPatients(scope: TenantScope, patientId: string, linkId: string, now: Date): Promise<void> {
  const link = isUuid(linkId)
    ? await scope.tx
        .selectFrom('patient_link')
        .selectAll()
        .where('id', '=', linkId)
        .where((eb) => eb.or([eb('patient_id', '=', patientId), eb('related_id', '=', patientId)]))
        .executeTakeFirst()
    : undefined;
  if (!link) throw notFound('Household link');
  await scope.tx.deleteFrom('patient_link').where('id', '=', linkId).execute();
  for (const id of [link.patient_id, link.related_id]) {
    await recordTimelineEvent(scope, {
      patientId: id,
      kind: 'household.unlinked',
      summary: 'Household link removed',
      detail: { linkId, kind: link.kind, relatedId: id === link.patient_id ? link.related_id : link.patient_id },
      occurredAt: now,
    });
    await scope.audit({ action: 'patient.unlink', entityType: 'patient_link', entityId: linkId, patientId: id });
  }
}
