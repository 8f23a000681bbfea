import { sql, type RawBuilder } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import { badSearch } from '../outcome.ts';
import { anyOf, dateCondition, parseDateValue, parseToken, type SearchParam, type SearchRequest } from '../search.ts';
import { MRN_SYSTEM, patientRows, type PatientRow } from './patient.ts';

/**
 * Patient search. Name, phone, email and a bare identifier are first narrowed to candidate ids
 * through the patients' search keys and their GIN index (`rapport_fhir_patient_candidates`,
 * migration 0009); every parameter is then applied exactly, under row-level security, to those
 * candidates. Birth date, `_id`, an identifier with its system and the sort use btree indexes.
 */

type Criterion = { kind: 'name' | 'phone' | 'email' | 'identifier'; values: string[] };

const foldedName = (column: 'all' | 'family' | 'given') =>
  column === 'all'
    ? sql`(' ' || rapport_fold(concat_ws(' ', p.given_name, p.family_name, p.preferred_name)))`
    : column === 'family'
      ? sql`(' ' || rapport_fold(p.family_name))`
      : sql`(' ' || rapport_fold(p.given_name))`;

/** Every token of the value starts a word of the name (FHIR's default string match, folded). */
function nameCondition(param: SearchParam, column: 'all' | 'family' | 'given'): RawBuilder<boolean> {
  const target = foldedName(column);
  return anyOf(
    param.values.map((v) => {
      if (param.modifier === 'exact') {
        return column === 'all'
          ? sql<boolean>`(p.given_name = ${v} or p.family_name = ${v} or p.preferred_name = ${v})`
          : column === 'family'
            ? sql<boolean>`p.family_name = ${v}`
            : sql<boolean>`p.given_name = ${v}`;
      }
      const pattern = param.modifier === 'contains' ? sql`'%' || t || '%'` : sql`'% ' || t || '%'`;
      return sql<boolean>`(select coalesce(bool_and(${target} like ${pattern}), false)
        from unnest(string_to_array(rapport_fold(${v}), ' ')) as t where t <> '')`;
    }),
  );
}

const digitsOf = (v: string) => v.replace(/\D/g, '');

function phoneCondition(values: string[]): RawBuilder<boolean> {
  return anyOf(
    values.map((v) => {
      const digits = digitsOf(v);
      return sql<boolean>`(regexp_replace(coalesce(p.phone, ''), '[^0-9]', '', 'g') like ${`%${digits}`}
        or exists (select 1 from patient_contact_point c where c.patient_id = p.id and c.system = 'phone'
                   and regexp_replace(c.value, '[^0-9]', '', 'g') like ${`%${digits}`}))`;
    }),
  );
}

function emailCondition(values: string[]): RawBuilder<boolean> {
  return anyOf(
    values.map((v) => {
      const email = v.trim().toLowerCase();
      return sql<boolean>`(lower(p.email) = ${email}
        or exists (select 1 from patient_contact_point c where c.patient_id = p.id and c.system = 'email' and lower(c.value) = ${email}))`;
    }),
  );
}

function identifierCondition(values: string[]): RawBuilder<boolean> {
  return anyOf(
    values.map((raw) => {
      const { system, code } = parseToken(raw);
      if (system === MRN_SYSTEM) return code === undefined ? sql<boolean>`p.mrn is not null` : sql<boolean>`p.mrn = ${code}`;
      if (system === null) return sql<boolean>`false`;
      const inTable =
        system === undefined
          ? sql<boolean>`exists (select 1 from patient_identifier i where i.patient_id = p.id and i.value = ${code!})`
          : code === undefined
            ? sql<boolean>`exists (select 1 from patient_identifier i where i.patient_id = p.id and i.system = ${system})`
            : sql<boolean>`p.id in (select i.patient_id from patient_identifier i where i.system = ${system} and i.value = ${code})`;
      return system === undefined ? sql<boolean>`(p.mrn = ${code!} or ${inTable})` : inTable;
    }),
  );
}

/** A value too short to look up by key (a phone of fewer than 4 digits, a name of no letters) is refused. */
function requireKeyable(param: SearchParam, kind: Criterion['kind']): void {
  for (const v of param.values) {
    if (kind === 'phone' && digitsOf(v).length < 4) throw badSearch(`${param.name}: a phone number needs at least 4 digits ("${v}").`, param.name);
    if (kind === 'name' && !/[\p{L}\p{N}]/u.test(v)) throw badSearch(`${param.name}: "${v}" has no letters or digits to search by.`, param.name);
  }
}

function telecomParts(values: string[]): { phones: string[]; emails: string[] } {
  const phones: string[] = [];
  const emails: string[] = [];
  for (const raw of values) {
    const { system, code } = parseToken(raw);
    if (!code) continue;
    if (system === 'email' || (system === undefined && code.includes('@'))) emails.push(code);
    else if (system === 'phone' || system === 'sms' || system === undefined) phones.push(code);
  }
  return { phones, emails };
}

export async function searchPatients(scope: TenantScope, request: SearchRequest): Promise<PatientRow[]> {
  const criteria: Criterion[] = [];
  const conditions: RawBuilder<boolean>[] = [];
  for (const param of request.params) {
    switch (param.name) {
      case '_id': {
        const ids = param.values.filter(isUuid);
        conditions.push(ids.length ? sql<boolean>`p.id in (${sql.join(ids.map((id) => sql`${id}::uuid`))})` : sql<boolean>`false`);
        break;
      }
      case '_lastUpdated':
        conditions.push(anyOf(param.values.map((v) => dateCondition(sql`p.updated_at`, parseDateValue(v, param.name), 'instant'))));
        break;
      case 'name':
      case 'family':
      case 'given':
        requireKeyable(param, 'name');
        if (param.modifier !== 'contains') criteria.push({ kind: 'name', values: param.values });
        conditions.push(nameCondition(param, param.name === 'name' ? 'all' : param.name));
        break;
      case 'birthdate':
        conditions.push(anyOf(param.values.map((v) => dateCondition(sql`p.birth_date`, parseDateValue(v, param.name), 'date'))));
        break;
      case 'gender': {
        const genders = param.values.map((v) => parseToken(v).code ?? '');
        conditions.push(sql<boolean>`p.sex in (${sql.join(genders)})`);
        break;
      }
      case 'identifier': {
        const bare = param.values.every((v) => parseToken(v).system === undefined);
        if (bare) criteria.push({ kind: 'identifier', values: param.values });
        conditions.push(identifierCondition(param.values));
        break;
      }
      case 'phone':
        requireKeyable(param, 'phone');
        criteria.push({ kind: 'phone', values: param.values });
        conditions.push(phoneCondition(param.values));
        break;
      case 'email':
        criteria.push({ kind: 'email', values: param.values });
        conditions.push(emailCondition(param.values));
        break;
      case 'telecom': {
        const { phones, emails } = telecomParts(param.values);
        if (phones.some((p) => digitsOf(p).length < 4)) throw badSearch('telecom: a phone number needs at least 4 digits.', 'telecom');
        if (phones.length && !emails.length) criteria.push({ kind: 'phone', values: phones });
        if (emails.length && !phones.length) criteria.push({ kind: 'email', values: emails });
        const parts = [...(phones.length ? [phoneCondition(phones)] : []), ...(emails.length ? [emailCondition(emails)] : [])];
        conditions.push(parts.length ? anyOf(parts) : sql<boolean>`false`);
        break;
      }
      case 'active': {
        const wanted = param.values.map((v) => parseToken(v).code);
        const active = sql<boolean>`(p.lifecycle_status <> 'inactive')`;
        conditions.push(anyOf(wanted.map((w) => (w === 'true' ? active : w === 'false' ? sql<boolean>`not ${active}` : sql<boolean>`false`))));
        break;
      }
    }
  }

  let q = patientRows(scope).where('p.archived_at', 'is', null).where('p.merged_into_id', 'is', null);
  // = ANY of an array (an InitPlan run once) lets the primary key drive the scan from the candidates.
  if (criteria.length) q = q.where(sql<boolean>`p.id = any(array(select rapport_fhir_patient_candidates(${JSON.stringify(criteria)}::jsonb)))`);
  for (const c of conditions) q = q.where(c);
  const sorts = request.sort.length ? request.sort : [{ name: 'family', desc: false }];
  for (const s of sorts) {
    const dir = s.desc ? 'desc' : 'asc';
    if (s.name === 'family') q = q.orderBy(sql`lower(p.family_name)`, dir).orderBy(sql`lower(p.given_name)`, dir);
    else if (s.name === 'given') q = q.orderBy(sql`lower(p.given_name)`, dir);
    else if (s.name === 'birthdate') q = q.orderBy(sql`p.birth_date ${sql.raw(s.desc ? 'desc nulls last' : 'asc nulls last')}`);
    else if (s.name === '_lastUpdated') q = q.orderBy('p.updated_at', dir);
  }
  q = q.orderBy('p.id', sorts.at(-1)?.desc ? 'desc' : 'asc');
  const rows = await q.limit(request.count + 1).offset(request.offset).execute();
  return rows;
}
