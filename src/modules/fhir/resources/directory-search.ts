import { sql, type RawBuilder } from 'kysely';
import { isUuid } from '../../../shared/ids.ts';
import { anyOf, ID_PARAM, parseToken, type SearchParamDef, type SearchRequest } from '../search.ts';

/** Search shared by the small directory tables (practitioners, locations, services, organizations). */

export const DIRECTORY_PARAMS: readonly SearchParamDef[] = [
  ID_PARAM,
  { name: 'name', type: 'string', documentation: 'The name: starts with (or any word of it starts with), ignoring case', modifiers: ['exact', 'contains'] },
  { name: 'active', type: 'token', documentation: 'true or false' },
];

/**
 * Conditions for _id, name and active on a table aliased `alias` whose name is `nameSql`. Extra
 * parameters are left to the caller.
 */
export function directoryConditions(request: SearchRequest, alias: string, nameSql: RawBuilder<string>): RawBuilder<boolean>[] {
  const conditions: RawBuilder<boolean>[] = [];
  for (const p of request.params) {
    if (p.name === '_id') {
      const ids = p.values.filter(isUuid);
      conditions.push(ids.length ? sql<boolean>`${sql.ref(`${alias}.id`)} in (${sql.join(ids.map((id) => sql`${id}::uuid`))})` : sql<boolean>`false`);
    } else if (p.name === 'name') {
      conditions.push(
        anyOf(
          p.values.map((v) =>
            p.modifier === 'exact'
              ? sql<boolean>`${nameSql} = ${v}`
              : p.modifier === 'contains'
                ? sql<boolean>`lower(${nameSql}) like ${`%${escapeLike(v.toLowerCase())}%`}`
                : sql<boolean>`(' ' || lower(${nameSql})) like ${`% ${escapeLike(v.toLowerCase())}%`}`,
          ),
        ),
      );
    } else if (p.name === 'active') {
      conditions.push(anyOf(p.values.map((v) => {
        const code = parseToken(v).code;
        return code === 'true' || code === 'false' ? sql<boolean>`${sql.ref(`${alias}.active`)} = ${code === 'true'}` : sql<boolean>`false`;
      })));
    }
  }
  return conditions;
}

export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
