import { sql, type Kysely, type Transaction } from 'kysely';
import { withTenant } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';

/**
 * The relationship side of the demo clinic: tags and custom fields on patients, leads on the board,
 * notes and calls on timelines, tasks for the administrator, and a few patients registered twice so
 * the duplicate review queue has work in it. Deterministic: derived from the seeded patients' ids.
 */
export async function addDemoRelationships(db: Kysely<DB>, input: { tenantId: string; adminId: string; now: Date }): Promise<void> {
  const tenant_id = input.tenantId;
  await withTenant(db, { tenantId: tenant_id, actor: { type: 'system', id: null } }, async (scope) => {
    const tx = scope.tx;
    const tags = await tx
      .insertInto('tag')
      .values(
        [
          ['VIP', 'grape'],
          ['Needs interpreter', 'orange'],
          ['Diabetes programme', 'blue'],
          ['Wheelchair access', 'teal'],
          ['Prefers mornings', 'lime'],
        ].map(([name, color]) => ({ tenant_id, name: name!, color: color! })),
      )
      .returning(['id', 'name'])
      .execute();
    const tagId = (name: string) => tags.find((t) => t.name === name)!.id;
    // A stable pseudo-random bucket 0..99 per patient, so the demo is the same on every machine.
    const bucket = sql<number>`abs(hashtext(p.id::text)) % 100`;
    const tagRule = async (name: string, rule: ReturnType<typeof sql<boolean>>) =>
      sql`insert into patient_tag (tenant_id, patient_id, tag_id)
          select p.tenant_id, p.id, ${tagId(name)}::uuid from patient p where ${rule}`.execute(tx);
    await tagRule('VIP', sql<boolean>`${bucket} < 3`);
    await tagRule('Needs interpreter', sql<boolean>`p.language <> 'en' and ${bucket} < 70`);
    await tagRule('Diabetes programme', sql<boolean>`p.birth_date < ${input.now}::date - interval '40 years' and abs(hashtext(p.id::text)) % 100 < 12`);
    await tagRule('Wheelchair access', sql<boolean>`abs(hashtext(p.id::text || 'w')) % 100 < 4`);
    await tagRule('Prefers mornings', sql<boolean>`abs(hashtext(p.id::text || 'm')) % 100 < 10`);

    await tx
      .insertInto('custom_field')
      .values([
        { tenant_id, key: 'insurer', label: 'Insurer', type: 'choice', choices: ['Acme Health', 'Blue Harbor', 'Medicare', 'Medicaid', 'Self-pay'] },
        { tenant_id, key: 'preferred_pharmacy', label: 'Preferred pharmacy', type: 'text', choices: null },
        { tenant_id, key: 'consent_on_file', label: 'Consent form on file', type: 'choice', choices: ['yes', 'no'] },
      ])
      .execute();
    await sql`update patient p set custom_fields = jsonb_build_object(
        'insurer', (array['Acme Health', 'Blue Harbor', 'Medicare', 'Medicaid', 'Self-pay'])[1 + abs(hashtext(p.id::text || 'i')) % 5],
        'consent_on_file', case when abs(hashtext(p.id::text || 'c')) % 10 < 8 then 'yes' else 'no' end)`.execute(tx);

    await addLeads(scope.tx, tenant_id, input.now);
    await addTouches(scope.tx, tenant_id, input.adminId, input.now);
    await registerTwice(scope.tx, tenant_id, input.now);
    await scope.audit({ action: 'demo.relationships', detail: { tags: tags.length } });
  });
}

const LEADS: Array<[string, string, string, string, string, string | null]> = [
  ['Harper', 'Quinn', 'new', 'website', 'Family doctor for two kids', null],
  ['Mateo', 'Ruiz', 'new', 'google ads', 'Teeth whitening', 'google'],
  ['Amara', 'Okeke', 'new', 'instagram', 'Invisalign consultation', 'instagram'],
  ['Jonah', 'Feld', 'contacted', 'referral', 'Cardiology second opinion', null],
  ['Sofia', 'Marin', 'contacted', 'website', 'Eye exam for glasses', null],
  ['Kenji', 'Arai', 'qualified', 'google ads', 'New patient check-up', 'google'],
  ['Ines', 'Duarte', 'qualified', 'insurer directory', 'Annual physical', null],
  ['Theo', 'Blake', 'lost', 'instagram', 'Cosmetic dentistry', 'instagram'],
];

async function addLeads(tx: Transaction<DB>, tenant_id: string, now: Date): Promise<void> {
  let i = 0;
  for (const [given, family, stage, channel, interest, utm] of LEADS) {
    i += 1;
    const at = new Date(now.getTime() - i * 26 * 3_600_000);
    const lead = await tx
      .insertInto('lead')
      .values({
        tenant_id,
        given_name: given,
        family_name: family,
        phone: `+1413555${String(150 + i).padStart(4, '0')}`,
        email: `${given}.${family}@example.net`.toLowerCase(),
        interest,
        stage: stage as 'new',
        lost_reason: stage === 'lost' ? 'Chose a clinic closer to home' : null,
        origin: channel === 'website' ? 'web_form' : 'staff',
        source_channel: channel,
        utm_source: utm,
        utm_medium: utm ? (utm === 'google' ? 'cpc' : 'social') : null,
        created_at: at,
        stage_changed_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('timeline_event')
      .values({ tenant_id, lead_id: lead.id, kind: 'lead.created', summary: `New lead via ${channel}: ${interest}`, occurred_at: at, actor_type: 'system', detail: '{}' })
      .execute();
  }
}

async function addTouches(tx: Transaction<DB>, tenant_id: string, adminId: string, now: Date): Promise<void> {
  const patients = await tx.selectFrom('patient').select(['id', 'given_name', 'family_name']).orderBy('mrn').limit(60).execute();
  const notes = [
    'Prefers appointments before 10am; works afternoons.',
    'Asked about parking at Riverside; told them about the garage on Elm Street.',
    'Daughter usually books on their behalf.',
    'Mentioned anxiety about dental work; offer longer slots.',
  ];
  const day = 86_400_000;
  for (const [i, p] of patients.entries()) {
    const at = new Date(now.getTime() - (i + 1) * 2 * day);
    await tx
      .insertInto('timeline_event')
      .values([
        { tenant_id, patient_id: p.id, kind: 'note', summary: notes[i % notes.length]!, detail: JSON.stringify({ body: notes[i % notes.length] }), occurred_at: at, actor_type: 'user', actor_id: adminId },
        {
          tenant_id,
          patient_id: p.id,
          kind: 'call',
          summary: i % 3 === 0 ? 'Outbound call, left a voicemail, 1 min' : 'Inbound call, answered, 4 min',
          detail: JSON.stringify({ direction: i % 3 === 0 ? 'outbound' : 'inbound', outcome: i % 3 === 0 ? 'voicemail' : 'answered', durationSeconds: i % 3 === 0 ? 40 : 240, notes: null }),
          occurred_at: new Date(at.getTime() + 3_600_000),
          actor_type: 'user',
          actor_id: adminId,
        },
      ])
      .execute();
    if (i < 8) {
      const task = await tx
        .insertInto('task')
        .values({
          tenant_id,
          patient_id: p.id,
          title: ['Call back with lab results', 'Confirm insurance details', 'Send pre-visit forms', 'Follow up on missed recall'][i % 4]!,
          assignee_id: adminId,
          due_at: new Date(now.getTime() + (i - 3) * day),
          priority: i % 3 === 0 ? 'high' : 'normal',
          created_by: adminId,
        })
        .returning(['id', 'title'])
        .executeTakeFirstOrThrow();
      await tx
        .insertInto('timeline_event')
        .values({ tenant_id, patient_id: p.id, kind: 'task.created', summary: `Task: ${task.title}`, occurred_at: now, actor_type: 'user', actor_id: adminId, subject_type: 'task', subject_id: task.id, detail: '{}' })
        .execute();
    }
  }
}

/**
 * A few patients registered a second time, the way it happens at a front desk: a typo in the
 * name, a new phone, the day and month of birth swapped. The demo's duplicate scan finds them.
 */
async function registerTwice(tx: Transaction<DB>, tenant_id: string, now: Date): Promise<void> {
  const originals = await tx
    .selectFrom('patient')
    .select(['given_name', 'family_name', 'birth_date', 'sex', 'phone', 'email', 'address_line', 'city', 'postal_code', 'language', 'time_zone'])
    .where('birth_date', 'is not', null)
    .where('email', 'is not', null)
    .orderBy('mrn', 'desc')
    .limit(4)
    .execute();
  const swapLetters = (s: string) => (s.length > 3 ? s.slice(0, 1) + s[2] + s[1] + s.slice(3) : s);
  const swapDayMonth = (d: string) => (Number(d.slice(8, 10)) <= 12 ? `${d.slice(0, 4)}-${d.slice(8, 10)}-${d.slice(5, 7)}` : d);
  const copies = originals.map((o, i) => ({
    ...o,
    tenant_id,
    given_name: i === 0 ? swapLetters(o.given_name) : o.given_name,
    family_name: i === 1 ? swapLetters(o.family_name) : o.family_name,
    birth_date: i === 2 ? swapDayMonth(o.birth_date!) : o.birth_date,
    phone: i === 3 ? null : o.phone,
    email: i === 2 ? null : o.email,
    source_channel: 'walk-in',
    created_at: now,
    updated_at: now,
  }));
  if (copies.length) await tx.insertInto('patient').values(copies).execute();
}
