import type { Practitioner } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import { changePractitioner, createPractitioner } from '../../scheduling/directory.ts';
import { newPractitioner, practitionerChange, type PractitionerChange } from '../../scheduling/directory-schema.ts';
import { fhirError, resourceNotFound } from '../outcome.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact, meta } from './common.ts';
import { identifierCondition, identifiersOf, IDENTIFIER_PARAM, incomingIdentifiers, storeIdentifiers } from './directory-identifiers.ts';
import { DIRECTORY_PARAMS, directoryConditions } from './directory-search.ts';
import { asDirectoryProblem, checkedInput, DIRECTORY_WRITERS, firstTelecom, refuseStale, requireDirectoryWriter, withDigestVersion, type FieldPaths } from './directory-write.ts';

function rows(scope: TenantScope) {
  return scope.tx
    .selectFrom('practitioner as pr')
    .select([
      'pr.id', 'pr.prefix', 'pr.given_name', 'pr.family_name', 'pr.specialty', 'pr.email', 'pr.phone', 'pr.active', 'pr.organization_id', 'pr.created_at',
      identifiersOf('Practitioner', 'pr.id').as('identifiers'),
    ]);
}
type Row = Awaited<ReturnType<ReturnType<typeof rows>['executeTakeFirstOrThrow']>>;

export function practitionerToFhir(r: Row): Practitioner {
  return withDigestVersion(
    compact({
      resourceType: 'Practitioner' as const,
      id: r.id,
      meta: meta(null, r.created_at),
      identifier: r.identifiers,
      active: r.active,
      name: [compact({ use: 'official' as const, family: r.family_name, given: [r.given_name], prefix: r.prefix ? [r.prefix] : undefined })],
      telecom: [
        ...(r.phone ? [{ system: 'phone' as const, value: r.phone, use: 'work' as const }] : []),
        ...(r.email ? [{ system: 'email' as const, value: r.email, use: 'work' as const }] : []),
      ],
      qualification: r.specialty ? [{ code: { text: r.specialty } }] : undefined,
    }),
  );
}

async function readPractitioner(scope: TenantScope, id: string): Promise<Practitioner | undefined> {
  const row = isUuid(id) ? await rows(scope).where('pr.id', '=', id).executeTakeFirst() : undefined;
  return row ? practitionerToFhir(row) : undefined;
}

const PATHS: FieldPaths = {
  prefix: 'Practitioner.name.prefix',
  givenName: 'Practitioner.name.given',
  familyName: 'Practitioner.name.family',
  specialty: 'Practitioner.qualification.code',
  email: 'Practitioner.telecom',
  phone: 'Practitioner.telecom',
  active: 'Practitioner.active',
};

/**
 * The fields of a Rapport practitioner a FHIR Practitioner sets; a PUT replaces them. The staff
 * user and department links are Rapport's own (Clinic setup) and are left as they are.
 */
function practitionerInput(resource: Practitioner): PractitionerChange {
  const name = resource.name?.find((n) => n.use === 'official') ?? resource.name?.find((n) => n.family || n.given?.length);
  if (!name?.family || !name.given?.length) throw fhirError(422, 'required', 'Practitioner.name needs a family name and at least one given name.', ['Practitioner.name']);
  const specialty = resource.qualification?.[0]?.code;
  return {
    prefix: name.prefix?.join(' ') || null,
    givenName: name.given.join(' '),
    familyName: name.family,
    specialty: specialty?.text ?? specialty?.coding?.find((c) => c.display)?.display ?? specialty?.coding?.find((c) => c.code)?.code ?? null,
    email: firstTelecom(resource.telecom, 'email'),
    phone: firstTelecom(resource.telecom, 'phone'),
    ...(resource.active !== undefined ? { active: resource.active } : {}),
  };
}

async function createFhirPractitioner(scope: TenantScope, resource: Practitioner, ctx: FhirContext): Promise<Practitioner> {
  requireDirectoryWriter(scope, 'Practitioner');
  const input = checkedInput('Practitioner', newPractitioner, practitionerInput(resource), PATHS);
  const identifiers = incomingIdentifiers('Practitioner', resource.identifier);
  let id: string;
  try {
    id = (await createPractitioner(scope, input)).id;
  } catch (error) {
    throw asDirectoryProblem(error, 'Practitioner', PATHS);
  }
  await storeIdentifiers(scope, 'Practitioner', id, identifiers, ctx.now);
  return (await readPractitioner(scope, id))!;
}

async function updateFhirPractitioner(scope: TenantScope, id: string, resource: Practitioner, expectedVersion: number | undefined, ctx: FhirContext): Promise<Practitioner> {
  requireDirectoryWriter(scope, 'Practitioner');
  const locked = isUuid(id) ? await scope.tx.selectFrom('practitioner').select('id').where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  const current = locked ? await readPractitioner(scope, id) : undefined;
  if (!current) throw resourceNotFound('Practitioner', id);
  refuseStale(current, expectedVersion);
  const input = checkedInput('Practitioner', practitionerChange, practitionerInput(resource), PATHS);
  const identifiers = incomingIdentifiers('Practitioner', resource.identifier);
  try {
    await changePractitioner(scope, id, input);
  } catch (error) {
    throw asDirectoryProblem(error, 'Practitioner', PATHS);
  }
  await storeIdentifiers(scope, 'Practitioner', id, identifiers, ctx.now);
  return (await readPractitioner(scope, id))!;
}

export const practitionerModule: ResourceModule<Practitioner> = {
  type: 'Practitioner',
  documentation:
    "The clinic's practitioners and those of outside organizations in its directory (practitioner). Create and update (admin role) go through the Clinic setup rules; " +
    'they keep the official name (prefix, given, family), the first phone and email, the first qualification as the specialty, active and identifiers (an NPI ...). ' +
    'A practitioner created here is one of the clinic\'s own; linking a staff user or a department is done in Rapport.',
  interactions: ['read', 'search-type', 'create', 'update'],
  searchParams: [...DIRECTORY_PARAMS, IDENTIFIER_PARAM],
  sorts: ['name'],
  versioned: true,
  conditionalCreate: true,
  writeRoles: DIRECTORY_WRITERS,
  read: (scope, id) => readPractitioner(scope, id),
  async search(scope, request) {
    let q = rows(scope);
    for (const c of directoryConditions(request, 'pr', sql<string>`concat_ws(' ', pr.given_name, pr.family_name)`)) q = q.where(c);
    for (const p of request.params.filter((p) => p.name === 'identifier')) q = q.where(identifierCondition('Practitioner', 'pr.id', p));
    const desc = request.sort[0]?.desc ? 'desc' : 'asc';
    const found = await q.orderBy(sql`lower(pr.family_name)`, desc).orderBy(sql`lower(pr.given_name)`, desc).orderBy('pr.id').limit(request.count + 1).offset(request.offset).execute();
    return found.map(practitionerToFhir);
  },
  create: createFhirPractitioner,
  update: updateFhirPractitioner,
};
