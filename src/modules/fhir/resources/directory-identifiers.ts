import type { Identifier } from '@medplum/fhirtypes';
import { sql, type RawBuilder } from 'kysely';
import { uniqueViolation } from '../../../server/db/errors.ts';
import type { TenantScope } from '../../../server/db/scope.ts';
import { fhirError } from '../outcome.ts';
import { anyOf, parseToken, type SearchParamDef, type SearchParam } from '../search.ts';

/**
 * Identifiers of directory rows (an NPI, a registry number, another system's id) live where the
 * FHIR import keeps them: external_ref, one row per (system, resource type, value) naming one
 * Rapport row. So a practitioner created here with an NPI and one imported later with the same NPI
 * are the same row, and `identifier` searches and conditional creates find either.
 */

export const IDENTIFIER_PARAM: SearchParamDef = { name: 'identifier', type: 'token', documentation: 'An identifier, system|value or value' };

/** The identifiers of the row `idColumn` (e.g. `pr.id`) of this FHIR type, as FHIR Identifiers, in a stable order. */
export function identifiersOf(type: string, idColumn: string): RawBuilder<Identifier[]> {
  return sql<Identifier[]>`coalesce((select json_agg(json_build_object('system', r.system, 'value', r.external_id) order by r.system, r.external_id)
    from external_ref r where r.resource_type = ${type} and r.entity_id = ${sql.ref(idColumn)}), '[]'::json)`;
}

/** The `identifier` search on a row `idColumn`: any of the values, each system|value, |value or value. */
export function identifierCondition(type: string, idColumn: string, param: SearchParam): RawBuilder<boolean> {
  return anyOf(
    param.values.map((raw) => {
      const { system, code } = parseToken(raw);
      if (code === undefined) return system ? sql<boolean>`exists (select 1 from external_ref r where r.resource_type = ${type} and r.entity_id = ${sql.ref(idColumn)} and r.system = ${system})` : sql<boolean>`false`;
      // Every stored identifier has a system, so `|value` (no system) matches nothing.
      if (system === null) return sql<boolean>`false`;
      return sql<boolean>`exists (select 1 from external_ref r where r.resource_type = ${type} and r.entity_id = ${sql.ref(idColumn)}
        and r.external_id = ${code}${system === undefined ? sql`` : sql` and r.system = ${system}`})`;
    }),
  );
}

/** The identifiers of an incoming resource, checked: each needs a system and a value (external_ref keeps both). */
export function incomingIdentifiers(type: string, identifiers: Identifier[] | undefined): Array<{ system: string; value: string }> {
  return (identifiers ?? []).map((i, n) => {
    const path = `${type}.identifier[${n}]`;
    if (!i.system || !i.value) throw fhirError(422, 'required', `${path} needs both a system and a value; Rapport keeps an identifier only with its system.`, [path]);
    if (i.system.length > 300 || i.value.length > 300) throw fhirError(422, 'too-long', `${path}: system and value may be at most 300 characters each.`, [path]);
    return { system: i.system, value: i.value };
  });
}

/**
 * Stores identifiers for a row. An identifier already naming another row of the type is a 409: it
 * would otherwise be taken from that row. Identifiers are only added, never removed: an import may
 * rely on one to recognise the row again, so a PUT without it leaves it in place (reads show it).
 */
export async function storeIdentifiers(scope: TenantScope, type: string, entityId: string, identifiers: Array<{ system: string; value: string }>, now: Date): Promise<void> {
  if (!identifiers.length) return;
  const existing = await scope.tx
    .selectFrom('external_ref')
    .select(['system', 'external_id', 'entity_id'])
    .where('resource_type', '=', type)
    .where((eb) => eb.or(identifiers.map((i) => eb.and([eb('system', '=', i.system), eb('external_id', '=', i.value)]))))
    .execute();
  const taken = existing.find((r) => r.entity_id !== entityId);
  if (taken) {
    throw fhirError(409, 'duplicate', `The identifier ${taken.system}|${taken.external_id} already names ${type}/${taken.entity_id}.`, [`${type}.identifier`]);
  }
  const known = new Set(existing.map((r) => `${r.system}\u0000${r.external_id}`));
  const fresh = [...new Map(identifiers.filter((i) => !known.has(`${i.system}\u0000${i.value}`)).map((i) => [`${i.system}\u0000${i.value}`, i])).values()];
  if (!fresh.length) return;
  try {
    await scope.tx
      .insertInto('external_ref')
      .values(fresh.map((i) => ({ tenant_id: scope.tenantId, system: i.system, resource_type: type, external_id: i.value, entity_id: entityId, content_hash: null, created_at: now, updated_at: now })))
      .execute();
  } catch (error) {
    // Another write took one of them since the check above.
    if (uniqueViolation(error) !== undefined) throw fhirError(409, 'duplicate', `An identifier of this ${type} was just given to another ${type}; retry.`, [`${type}.identifier`]);
    throw error;
  }
}
