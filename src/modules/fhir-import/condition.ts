import type { Condition } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { ImportContext } from './context.ts';
import { resolve } from './context.ts';
import type { TableMapper, Written } from './table-phase.ts';
import { clip, coding, conceptText, fail, instant, oneOf } from './values.ts';

/**
 * Condition → condition row. An active one (active, recurrence, relapse; not refuted or entered in
 * error) also tags the patient with a clinical tag named by the condition's display ("Diabetes
 * mellitus type 2"), created when the clinic has none of that name, so segments and saved views can
 * use it. A condition that is no longer active takes its tag off, unless another active condition
 * of the patient carries the same tag.
 */

const CLINICAL = ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'] as const;
const ACTIVE = new Set(['active', 'recurrence', 'relapse']);
const NOT_TRUE = new Set(['refuted', 'entered-in-error']);
export const CLINICAL_TAG_COLOR = 'purple';

const isActive = (row: Record<string, unknown>) => ACTIVE.has(row.clinical_status as string) && !NOT_TRUE.has(row.verification_status as string);
/** The tag a condition gives: its display, cut to the 60 characters a tag name may have. */
export const tagNameOf = (display: string) => display.trim().slice(0, 60).trim();

export const conditionMapper: TableMapper = {
  type: 'Condition',
  table: 'condition',
  async map(resource, ctx) {
    const c = resource as Condition;
    const code = coding(c.code);
    const clinical = c.clinicalStatus?.coding?.find((x) => x.code)?.code;
    return {
      patient_id: await resolve(ctx, c.subject, ['Patient'], 'Condition.subject', { required: true }),
      encounter_id: await resolve(ctx, c.encounter, ['Encounter'], 'Condition.encounter', { required: false }),
      clinical_status: clinical === undefined ? null : oneOf(clinical, CLINICAL, 'Condition.clinicalStatus'),
      verification_status: clip(c.verificationStatus?.coding?.find((x) => x.code)?.code, 40),
      code_system: clip(code.system, 300),
      code: clip(code.code, 64),
      display: clip(conceptText(c.code), 300) ?? fail('Condition.code is required (Rapport keeps what the condition is)'),
      onset_at: instant(c.onsetDateTime, 'Condition.onsetDateTime'),
      abated_at: instant(c.abatementDateTime, 'Condition.abatementDateTime'),
      recorded_at: instant(c.recordedDate, 'Condition.recordedDate'),
      tag_id: null,
      source: 'fhir',
    };
  },
  async beforeWrite(ctx, written) {
    const active = written.filter((w) => isActive(w.row));
    const tags = await ensureTags(ctx, [...new Set(active.map((w) => tagNameOf(w.row.display as string)))]);
    for (const w of active) w.row.tag_id = tags.get(tagNameOf(w.row.display as string).toLowerCase()) ?? null;
    const changed = written.filter((w) => !w.isNew).map((w) => w.id);
    if (changed.length) {
      const before = await ctx.scope.tx.selectFrom('condition').select(['id', 'patient_id', 'tag_id']).where('id', 'in', changed).where('tag_id', 'is not', null).execute();
      tagsBefore.set(ctx, before.filter((b) => written.some((w) => w.id === b.id && w.row.tag_id !== b.tag_id)));
    }
  },
  async afterWrite(ctx, written) {
    await tagPatients(ctx, written);
  },
};

/** The clinic's tags of these names (case-insensitive), creating the missing ones; by lower-cased name. */
async function ensureTags(ctx: ImportContext, names: string[]): Promise<Map<string, string>> {
  if (!names.length) return new Map();
  const tx = ctx.scope.tx;
  await tx
    .insertInto('tag')
    .values(names.map((name) => ({ tenant_id: ctx.scope.tenantId, name, color: CLINICAL_TAG_COLOR })))
    .onConflict((oc) => oc.doNothing())
    .execute();
  const rows = await tx
    .selectFrom('tag')
    .select(['id', 'name'])
    .where((eb) => eb(eb.fn('lower', ['name']), 'in', names.map((n) => n.toLowerCase())))
    .execute();
  return new Map(rows.map((r) => [r.name.toLowerCase(), r.id]));
}

async function tagPatients(ctx: ImportContext, written: Written[]): Promise<void> {
  const tx = ctx.scope.tx;
  const add = new Map<string, { patient_id: string; tag_id: string }>();
  for (const w of written) {
    if (w.row.tag_id) add.set(`${String(w.row.patient_id)}|${String(w.row.tag_id)}`, { patient_id: w.row.patient_id as string, tag_id: w.row.tag_id as string });
  }
  if (add.size) {
    await tx
      .insertInto('patient_tag')
      .values([...add.values()].map((v) => ({ tenant_id: ctx.scope.tenantId, ...v })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  // Updated conditions whose tag changed or ended: the old tag goes unless another condition still gives it.
  const gone = tagsBefore.get(ctx) ?? [];
  tagsBefore.delete(ctx);
  if (gone.length) {
    await sql`
      delete from patient_tag pt
       using unnest(${gone.map((g) => g.patient_id)}::uuid[], ${gone.map((g) => g.tag_id)}::uuid[]) as gone(patient_id, tag_id)
       where pt.patient_id = gone.patient_id and pt.tag_id = gone.tag_id
         and not exists (select 1 from condition c where c.patient_id = gone.patient_id and c.tag_id = gone.tag_id)`.execute(tx);
  }
}

/** Tags updated conditions carried before this batch changed them. */
const tagsBefore = new WeakMap<ImportContext, Array<{ patient_id: string; tag_id: string | null }>>();
