import { sql } from 'kysely';
import type { HandlerContext } from './context.ts';

/**
 * Finding the clinic's own practitioners, locations, rooms and services from what an HL7 message
 * calls them. First by external_ref (an id this sender used before), then by name; a name match is
 * remembered in external_ref, so a later rename on either side still maps by id. Nothing is
 * created: an unknown one is the caller's AE (decision 0022).
 */

export type ExternalKey = { system: string; id: string };

async function byRef(ctx: HandlerContext, resourceType: string, key: ExternalKey | null): Promise<string | null> {
  if (!key?.id) return null;
  const row = await ctx.scope.tx
    .selectFrom('external_ref')
    .select('entity_id')
    .where('system', '=', key.system)
    .where('resource_type', '=', resourceType)
    .where('external_id', '=', key.id)
    .executeTakeFirst();
  return row?.entity_id ?? null;
}

/** Records that this sender calls `entityId` by `key`, unless it already names something. */
export async function remember(ctx: HandlerContext, resourceType: string, key: ExternalKey | null, entityId: string): Promise<void> {
  if (!key?.id) return;
  await ctx.scope.tx
    .insertInto('external_ref')
    .values({ tenant_id: ctx.scope.tenantId, system: key.system.slice(0, 300), resource_type: resourceType, external_id: key.id.slice(0, 300), entity_id: entityId })
    .onConflict((oc) => oc.columns(['tenant_id', 'system', 'resource_type', 'external_id']).doNothing())
    .execute();
}

const fold = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** An active practitioner by id, else by given and family name (one match only). */
export async function matchPractitioner(ctx: HandlerContext, key: ExternalKey | null, name: { given: string; family: string }): Promise<string | null> {
  const known = await byRef(ctx, 'Practitioner', key);
  if (known) return known;
  if (!name.family) return null;
  const rows = await ctx.scope.tx
    .selectFrom('practitioner')
    .select('id')
    .where('active', '=', true)
    .where(sql<boolean>`lower(family_name) = ${fold(name.family)}`)
    .$if(Boolean(name.given), (q) => q.where(sql<boolean>`lower(given_name) = ${fold(name.given)}`))
    .limit(2)
    .execute();
  if (rows.length !== 1) return null;
  await remember(ctx, 'Practitioner', key, rows[0]!.id);
  return rows[0]!.id;
}

/** An active location by id, else by any of `names` (facility, point of care). */
export async function matchLocation(ctx: HandlerContext, key: ExternalKey | null, names: string[]): Promise<{ id: string; timeZone: string } | null> {
  const known = await byRef(ctx, 'Location', key);
  const wanted = names.map(fold).filter(Boolean);
  const row = known
    ? await ctx.scope.tx.selectFrom('location').select(['id', 'time_zone']).where('id', '=', known).executeTakeFirst()
    : wanted.length
      ? await ctx.scope.tx
          .selectFrom('location')
          .select(['id', 'time_zone'])
          .where('active', '=', true)
          .where(sql<boolean>`lower(name) in (${sql.join(wanted)})`)
          .orderBy('created_at')
          .executeTakeFirst()
      : undefined;
  if (!row) return null;
  if (!known) await remember(ctx, 'Location', key, row.id);
  return { id: row.id, timeZone: row.time_zone };
}

/** An active room of the location by name (case and spaces ignored: "Room01" is "Room 01"). */
export async function matchRoom(ctx: HandlerContext, locationId: string, name: string): Promise<string | null> {
  if (!name) return null;
  const row = await ctx.scope.tx
    .selectFrom('room')
    .select('id')
    .where('location_id', '=', locationId)
    .where('active', '=', true)
    .where(sql<boolean>`regexp_replace(lower(name), '\\s+', '', 'g') = ${name.toLowerCase().replace(/\s+/g, '')}`)
    .executeTakeFirst();
  return row?.id ?? null;
}

/** An active service by code, else by any of `names` (the code's text, the alternate text). */
export async function matchService(ctx: HandlerContext, key: ExternalKey | null, names: string[]): Promise<string | null> {
  const known = await byRef(ctx, 'HealthcareService', key);
  if (known) return known;
  const wanted = names.map(fold).filter(Boolean);
  if (!wanted.length) return null;
  const row = await ctx.scope.tx
    .selectFrom('service')
    .select('id')
    .where('active', '=', true)
    .where(sql<boolean>`lower(name) in (${sql.join(wanted)})`)
    .orderBy('created_at')
    .executeTakeFirst();
  if (!row) return null;
  await remember(ctx, 'HealthcareService', key, row.id);
  return row.id;
}

/** The Rapport row an external id was recorded for (appointments, encounters). */
export const findByRef = byRef;
