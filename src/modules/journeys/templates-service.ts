import { sql } from 'kysely';
import { uniqueViolation } from '../../server/db/errors.ts';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { channelLabel } from '../messaging/policy.ts';
import { validateTemplate, type VariableContext } from '../messaging/templates.ts';
import type { Channel, Purpose } from '../messaging/types.ts';
import { allowedContexts, journeysUsingKey, storedJourneys, type KeyUse } from './usage.ts';

/**
 * Message templates, per clinic, key, channel and language. Every save is checked by the template
 * language (syntax, unknown variables, variables the journeys sending the key cannot fill) and
 * answered with its warnings (clinical detail, SMS length). A template a switched-on journey needs
 * cannot be deleted from under it.
 */

export type TemplateView = {
  id: string;
  key: string;
  name: string;
  channel: Channel;
  language: string;
  purpose: Purpose;
  subject: string | null;
  body: string;
  version: number;
  variables: string[];
  warnings: string[];
  /** The journeys that send this key on this template's channel. */
  usedBy: Array<{ id: string; name: string; enabled: boolean }>;
  /** What its variables may need besides the patient and clinic; null when no journey sends the key. */
  allowedContexts: VariableContext[] | null;
  createdAt: string;
  updatedAt: string;
};

export type TemplateGroup = { key: string; name: string; purpose: Purpose; templates: TemplateView[]; usedBy: Array<{ id: string; name: string; enabled: boolean }> };

export type NewTemplate = { key: string; name: string; channel: Channel; language?: string | undefined; purpose: Purpose; subject?: string | null | undefined; body: string };
export type TemplateChange = { version: number; name?: string | undefined; purpose?: Purpose | undefined; subject?: string | null | undefined; body?: string | undefined };

const COLUMNS = ['id', 'key', 'name', 'channel', 'language', 'purpose', 'subject', 'body', 'version', 'created_at', 'updated_at'] as const;
type Row = { id: string; key: string; name: string; channel: Channel; language: string; purpose: Purpose; subject: string | null; body: string; version: number; created_at: Date; updated_at: Date };

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language' });
const languageName = (code: string) => {
  try {
    return LANGUAGE_NAMES.of(code) ?? code;
  } catch {
    return code;
  }
};

function present(row: Row, uses: KeyUse[]): TemplateView {
  let checked: { variables: string[]; warnings: string[] };
  try {
    checked = validateTemplate({ channel: row.channel, subject: row.subject, body: row.body });
  } catch (error) {
    // A stored template that no longer passes is shown with the reason, so it can be fixed.
    checked = { variables: [], warnings: [error instanceof Error ? error.message : String(error)] };
  }
  const allowed = allowedContexts(uses);
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    channel: row.channel,
    language: row.language,
    purpose: row.purpose,
    subject: row.subject,
    body: row.body,
    version: row.version,
    ...checked,
    usedBy: uses.filter((u) => u.channels.includes(row.channel)).map((u) => ({ id: u.journey.id, name: u.journey.name, enabled: u.journey.enabled })),
    allowedContexts: allowed ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Every template, grouped by key: each key's channels and languages side by side. */
export async function listTemplates(scope: TenantScope): Promise<TemplateGroup[]> {
  const rows = await scope.tx.selectFrom('message_template').select(COLUMNS).orderBy('key').orderBy('channel').orderBy('language').execute();
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(row.key, [...(groups.get(row.key) ?? []), row]);
  const journeys = await storedJourneys(scope);
  const result: TemplateGroup[] = [];
  for (const [key, members] of groups) {
    const uses = await journeysUsingKey(scope, key, journeys);
    // The English template names the key when there is one (the others are often translations).
    const lead = members.find((m) => m.language === 'en') ?? members[0]!;
    result.push({
      key,
      name: lead.name,
      purpose: lead.purpose,
      templates: members.map((m) => present(m, uses)),
      usedBy: uses.map((u) => ({ id: u.journey.id, name: u.journey.name, enabled: u.journey.enabled })),
    });
  }
  return result;
}

async function loadRow(scope: TenantScope, id: string, lock = false): Promise<Row> {
  if (!isUuid(id)) throw notFound('Template');
  let query = scope.tx.selectFrom('message_template').select(COLUMNS).where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('Template');
  return row;
}

export async function getTemplate(scope: TenantScope, id: string): Promise<TemplateView> {
  const row = await loadRow(scope, id);
  return present(row, await journeysUsingKey(scope, row.key));
}

/** Checks a template as it would be saved; throws 400 naming the variable or field at fault. */
async function checkTemplate(scope: TenantScope, t: { key: string; channel: Channel; subject: string | null; body: string }): Promise<KeyUse[]> {
  const uses = await journeysUsingKey(scope, t.key);
  validateTemplate({ channel: t.channel, subject: t.subject, body: t.body, allowed: allowedContexts(uses) });
  return uses;
}

export async function createTemplate(scope: TenantScope, input: NewTemplate, now: Date): Promise<TemplateView> {
  const language = input.language ?? 'en';
  const uses = await checkTemplate(scope, { key: input.key, channel: input.channel, subject: input.subject ?? null, body: input.body });
  // Checked as given ("" is no subject); only email keeps one.
  const subject = input.channel === 'email' ? (input.subject ?? null) : null;
  const existing = await scope.tx
    .selectFrom('message_template')
    .select('id')
    .where('key', '=', input.key)
    .where('channel', '=', input.channel)
    .where('language', '=', language)
    .executeTakeFirst();
  if (existing) throw duplicate(input.key, input.channel, language);
  let row: Row;
  try {
    row = await scope.tx
      .insertInto('message_template')
      .values({ tenant_id: scope.tenantId, key: input.key, name: input.name, channel: input.channel, language, purpose: input.purpose, subject, body: input.body, created_at: now, updated_at: now })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow();
  } catch (error) {
    // Two saves of the same template at once: the second finds the first's row.
    if (uniqueViolation(error) !== undefined) throw duplicate(input.key, input.channel, language);
    throw error;
  }
  await scope.audit({ action: 'template.create', entityType: 'message_template', entityId: row.id, detail: { key: row.key, channel: row.channel, language } });
  return present(row, uses);
}

const duplicate = (key: string, channel: Channel, language: string) => {
  const error = new AppError(409, 'template_exists', `There is already ${channel === 'email' ? 'an' : 'a'} ${channelLabel(channel)} template "${key}" in ${languageName(language)}; edit that one instead.`, [
    { path: 'language', message: `already has ${channelLabel(channel)} template "${key}"` },
  ]);
  return error;
};

export async function changeTemplate(scope: TenantScope, id: string, input: TemplateChange, now: Date): Promise<TemplateView> {
  const current = await loadRow(scope, id, true);
  if (current.version !== input.version) {
    throw new AppError(409, 'version_conflict', `The template changed since you opened it (you have version ${input.version}, it is now ${current.version}). Reload it and make your change again.`);
  }
  const subject = input.subject === undefined ? current.subject : input.subject;
  const body = input.body ?? current.body;
  const uses = await checkTemplate(scope, { key: current.key, channel: current.channel, subject, body });
  const next = { name: input.name ?? current.name, purpose: input.purpose ?? current.purpose, subject: current.channel === 'email' ? subject : null, body };
  const row = await scope.tx
    .updateTable('message_template')
    .set({ ...next, version: sql<number>`version + 1`, updated_at: now })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  const changed = (['name', 'purpose', 'subject', 'body'] as const).filter((f) => current[f] !== row[f]);
  await scope.audit({ action: 'template.update', entityType: 'message_template', entityId: id, detail: { key: row.key, channel: row.channel, language: row.language, fields: changed } });
  return present(row, uses);
}

/**
 * Deletes a template, unless a switched-on journey sends its key on its channel and this is the
 * last language left, or it is the English one that patients without a template in their own
 * language fall back to.
 */
export async function deleteTemplate(scope: TenantScope, id: string): Promise<void> {
  const row = await loadRow(scope, id, true);
  const senders = (await journeysUsingKey(scope, row.key)).filter((u) => u.journey.enabled && u.channels.includes(row.channel)).map((u) => u.journey);
  if (senders.length) {
    const others = await scope.tx
      .selectFrom('message_template')
      .select('language')
      .where('key', '=', row.key)
      .where('channel', '=', row.channel)
      .where('id', '<>', row.id)
      .execute();
    const names = senders.map((j) => `"${j.name}"`).join(', ');
    const what = `the ${channelLabel(row.channel)} template "${row.key}"`;
    if (!others.length) {
      throw new AppError(409, 'template_in_use', `The switched-on journey ${names} sends ${what}, and this is its only language. Switch the journey off or change its step first.`);
    }
    if (row.language === 'en') {
      throw new AppError(409, 'template_in_use', `The switched-on journey ${names} sends ${what}, and English is what patients get when there is none in their language. Switch the journey off or change its step first.`);
    }
  }
  await scope.tx.deleteFrom('message_template').where('id', '=', row.id).execute();
  await scope.audit({ action: 'template.delete', entityType: 'message_template', entityId: row.id, detail: { key: row.key, channel: row.channel, language: row.language } });
}
