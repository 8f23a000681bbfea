import type { TenantScope } from '../../server/db/scope.ts';
import { uniqueViolation } from '../../server/db/errors.ts';
import { conflict, notFound, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import { isIanaTimeZone, normalizeEmail, toE164 } from '../patients/normalize.ts';
import type {
  Department, DepartmentChange, Holiday, Location, LocationChange, NewDepartment, NewHoliday, NewLocation,
  NewPractitioner, NewRoom, Practitioner, PractitionerChange, Room, RoomChange,
} from './directory-schema.ts';

/**
 * The scheduling directory: locations (with their time zone), departments, rooms, practitioners
 * and the clinic's holidays. Services are in directory-services.ts, weekly hours and exceptions in
 * directory-availability.ts. Ids from another tenant are invisible under row-level security, so
 * they are refused exactly like ids that do not exist.
 */

/** '' means "clear it": optional text fields are stored as NULL rather than empty. */
export const blankToNull = (v: string | null | undefined) => (v === undefined ? undefined : v === null || v === '' ? null : v);
const set = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

type IdTable = 'location' | 'department' | 'practitioner' | 'room' | 'service';

/** Throws a 400 naming `path` when `id` is not a row of this clinic's `table`. */
export async function requireRow(scope: TenantScope, table: IdTable, id: string, path: string, what: string): Promise<void> {
  const row = await scope.tx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw validationFailed([{ path, message: `is not ${what} of this clinic` }]);
}

/** Problems for every id in `ids` that is not a row of this clinic's `table`, named `path.N`. */
export async function missingRows(scope: TenantScope, table: IdTable, ids: readonly string[], path: string, what: string): Promise<FieldProblem[]> {
  if (ids.length === 0) return [];
  const found = new Set((await scope.tx.selectFrom(table).select('id').where('id', 'in', [...new Set(ids)]).execute()).map((r) => r.id));
  return ids.flatMap((id, i) => (found.has(id) ? [] : [{ path: `${path}.${i}`, message: `is not ${what} of this clinic` }]));
}

/** The row of `table` with this path id, locked for the change, or a 404 (also for a malformed id). */
async function lockRow<T extends 'location' | 'department' | 'room' | 'practitioner'>(scope: TenantScope, table: T, id: string, what: string) {
  const row = isUuid(id) ? await scope.tx.selectFrom(table as 'location').select('id').where('id', '=', id).forUpdate().executeTakeFirst() : undefined;
  if (!row) throw notFound(what);
}

function checkContact(input: { phone?: string | null | undefined; email?: string | null | undefined }, problems: FieldProblem[]) {
  const phone = blankToNull(input.phone);
  const email = blankToNull(input.email);
  const e164 = phone ? toE164(phone) : phone;
  if (phone && !e164) problems.push({ path: 'phone', message: `"${phone}" is not a valid phone number` });
  const normalEmail = email ? normalizeEmail(email) : email;
  if (email && !normalEmail) problems.push({ path: 'email', message: 'is not an email address' });
  return { phone: e164 ?? (phone === undefined ? undefined : null), email: normalEmail ?? (email === undefined ? undefined : null) };
}

// Locations

type LocationRow = { id: string; name: string; address_line: string | null; city: string | null; postal_code: string | null; phone: string | null; time_zone: string; active: boolean };

const presentLocation = (l: LocationRow): Location => ({
  id: l.id,
  name: l.name,
  addressLine: l.address_line,
  city: l.city,
  postalCode: l.postal_code,
  phone: l.phone,
  timeZone: l.time_zone,
  active: l.active,
});

const locationColumns = ['id', 'name', 'address_line', 'city', 'postal_code', 'phone', 'time_zone', 'active'] as const;

export async function listLocations(scope: TenantScope): Promise<Location[]> {
  const rows = await scope.tx.selectFrom('location').select(locationColumns).orderBy('name').orderBy('id').execute();
  return rows.map(presentLocation);
}

function locationValues(input: LocationChange) {
  const problems: FieldProblem[] = [];
  if (input.timeZone !== undefined && !isIanaTimeZone(input.timeZone)) problems.push({ path: 'timeZone', message: `"${input.timeZone}" is not an IANA time zone` });
  const contact = checkContact({ phone: input.phone }, problems);
  if (problems.length) throw validationFailed(problems);
  return {
    ...set('name', input.name),
    ...set('address_line', blankToNull(input.addressLine)),
    ...set('city', blankToNull(input.city)),
    ...set('postal_code', blankToNull(input.postalCode)),
    ...set('phone', contact.phone),
    ...set('time_zone', input.timeZone),
    ...set('active', input.active),
  };
}

export async function createLocation(scope: TenantScope, input: NewLocation): Promise<Location> {
  const values = locationValues(input);
  const row = await scope.tx
    .insertInto('location')
    .values({ ...values, name: input.name, time_zone: input.timeZone, tenant_id: scope.tenantId })
    .returning(locationColumns)
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'scheduling.location.create', entityType: 'location', entityId: row.id });
  return presentLocation(row);
}

export async function changeLocation(scope: TenantScope, id: string, change: LocationChange): Promise<Location> {
  await lockRow(scope, 'location', id, 'Location');
  const values = locationValues(change);
  if (Object.keys(values).length) await scope.tx.updateTable('location').set(values).where('id', '=', id).execute();
  await scope.audit({ action: 'scheduling.location.update', entityType: 'location', entityId: id, detail: { fields: Object.keys(change) } });
  return presentLocation(await scope.tx.selectFrom('location').select(locationColumns).where('id', '=', id).executeTakeFirstOrThrow());
}

// Departments

const presentDepartment = (d: { id: string; name: string; location_id: string }): Department => ({ id: d.id, name: d.name, locationId: d.location_id });

export async function listDepartments(scope: TenantScope): Promise<Department[]> {
  return (await scope.tx.selectFrom('department').select(['id', 'name', 'location_id']).orderBy('name').orderBy('id').execute()).map(presentDepartment);
}

export async function createDepartment(scope: TenantScope, input: NewDepartment): Promise<Department> {
  await requireRow(scope, 'location', input.locationId, 'locationId', 'a location');
  const row = await scope.tx
    .insertInto('department')
    .values({ tenant_id: scope.tenantId, name: input.name, location_id: input.locationId })
    .returning(['id', 'name', 'location_id'])
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'scheduling.department.create', entityType: 'department', entityId: row.id });
  return presentDepartment(row);
}

export async function changeDepartment(scope: TenantScope, id: string, change: DepartmentChange): Promise<Department> {
  await lockRow(scope, 'department', id, 'Department');
  if (change.locationId) await requireRow(scope, 'location', change.locationId, 'locationId', 'a location');
  const values = { ...set('name', change.name), ...set('location_id', change.locationId) };
  if (Object.keys(values).length) await scope.tx.updateTable('department').set(values).where('id', '=', id).execute();
  await scope.audit({ action: 'scheduling.department.update', entityType: 'department', entityId: id, detail: { fields: Object.keys(change) } });
  return presentDepartment(await scope.tx.selectFrom('department').select(['id', 'name', 'location_id']).where('id', '=', id).executeTakeFirstOrThrow());
}

// Rooms

const presentRoom = (r: { id: string; location_id: string; name: string; active: boolean }): Room => ({ id: r.id, locationId: r.location_id, name: r.name, active: r.active });
const roomColumns = ['id', 'location_id', 'name', 'active'] as const;

export async function listRooms(scope: TenantScope, query: { locationId?: string | undefined }): Promise<Room[]> {
  let q = scope.tx.selectFrom('room').select(roomColumns).orderBy('location_id').orderBy('name');
  if (query.locationId) q = q.where('location_id', '=', query.locationId);
  return (await q.execute()).map(presentRoom);
}

/** A second room of the same name at one location would make the calendar ambiguous. */
async function refuseDuplicateRoom(scope: TenantScope, locationId: string, name: string, except?: string): Promise<void> {
  let q = scope.tx.selectFrom('room').select('id').where('location_id', '=', locationId).where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()));
  if (except) q = q.where('id', '!=', except);
  if (await q.executeTakeFirst()) throw conflict(`A room named "${name}" already exists at this location.`);
}

async function roomWrite<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (uniqueViolation(error) !== undefined) throw conflict(`A room named "${name}" already exists at this location.`);
    throw error;
  }
}

export async function createRoom(scope: TenantScope, input: NewRoom): Promise<Room> {
  await requireRow(scope, 'location', input.locationId, 'locationId', 'a location');
  await refuseDuplicateRoom(scope, input.locationId, input.name);
  const row = await roomWrite(input.name, () =>
    scope.tx
      .insertInto('room')
      .values({ tenant_id: scope.tenantId, location_id: input.locationId, name: input.name, ...set('active', input.active) })
      .returning(roomColumns)
      .executeTakeFirstOrThrow(),
  );
  await scope.audit({ action: 'scheduling.room.create', entityType: 'room', entityId: row.id });
  return presentRoom(row);
}

export async function changeRoom(scope: TenantScope, id: string, change: RoomChange): Promise<Room> {
  await lockRow(scope, 'room', id, 'Room');
  const current = await scope.tx.selectFrom('room').select(roomColumns).where('id', '=', id).executeTakeFirstOrThrow();
  if (change.locationId) await requireRow(scope, 'location', change.locationId, 'locationId', 'a location');
  const name = change.name ?? current.name;
  if (change.name !== undefined || change.locationId !== undefined) await refuseDuplicateRoom(scope, change.locationId ?? current.location_id, name, id);
  const values = { ...set('name', change.name), ...set('location_id', change.locationId), ...set('active', change.active) };
  if (Object.keys(values).length) await roomWrite(name, () => scope.tx.updateTable('room').set(values).where('id', '=', id).execute());
  await scope.audit({ action: 'scheduling.room.update', entityType: 'room', entityId: id, detail: { fields: Object.keys(change) } });
  return presentRoom(await scope.tx.selectFrom('room').select(roomColumns).where('id', '=', id).executeTakeFirstOrThrow());
}

// Practitioners

const practitionerColumns = ['id', 'prefix', 'given_name', 'family_name', 'specialty', 'email', 'phone', 'department_id', 'user_id', 'active'] as const;

/** Practitioners with the services they offer and the locations where they have weekly hours. */
export async function listPractitioners(scope: TenantScope, query: { active?: boolean | undefined; ids?: string[] }): Promise<Practitioner[]> {
  let q = scope.tx.selectFrom('practitioner').select(practitionerColumns).orderBy('family_name').orderBy('given_name').orderBy('id');
  if (query.active !== undefined) q = q.where('active', '=', query.active);
  // The clinic's own practitioners; those of outside organizations (imported into the directory) only by id.
  q = query.ids ? q.where('id', 'in', query.ids) : q.where('organization_id', 'is', null);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const offers = await scope.tx.selectFrom('service_practitioner').select(['practitioner_id', 'service_id']).where('practitioner_id', 'in', ids).orderBy('service_id').execute();
  const places = await scope.tx
    .selectFrom('availability_rule')
    .select(['practitioner_id', 'location_id'])
    .distinct()
    .where('practitioner_id', 'in', ids)
    .orderBy('location_id')
    .execute();
  return rows.map((p) => ({
    id: p.id,
    name: [p.prefix, p.given_name, p.family_name].filter(Boolean).join(' '),
    prefix: p.prefix,
    givenName: p.given_name,
    familyName: p.family_name,
    specialty: p.specialty,
    email: p.email,
    phone: p.phone,
    departmentId: p.department_id,
    userId: p.user_id,
    active: p.active,
    serviceIds: offers.filter((o) => o.practitioner_id === p.id).map((o) => o.service_id),
    locationIds: places.filter((o) => o.practitioner_id === p.id).map((o) => o.location_id),
  }));
}

/** Checks what a practitioner write refers to and returns the columns to store. */
async function practitionerValues(scope: TenantScope, input: PractitionerChange, self?: string) {
  const problems: FieldProblem[] = [];
  const contact = checkContact(input, problems);
  if (input.departmentId && !(await scope.tx.selectFrom('department').select('id').where('id', '=', input.departmentId).executeTakeFirst())) {
    problems.push({ path: 'departmentId', message: 'is not a department of this clinic' });
  }
  if (input.userId) {
    const user = await scope.tx.selectFrom('app_user').select('id').where('id', '=', input.userId).where('disabled_at', 'is', null).executeTakeFirst();
    if (!user) problems.push({ path: 'userId', message: 'is not an active staff user of this clinic' });
  }
  if (problems.length) throw validationFailed(problems);
  if (input.userId) {
    let q = scope.tx.selectFrom('practitioner').select('id').where('user_id', '=', input.userId);
    if (self) q = q.where('id', '!=', self);
    if (await q.executeTakeFirst()) throw conflict('That staff user is already linked to another practitioner.');
  }
  return {
    ...set('prefix', blankToNull(input.prefix)),
    ...set('given_name', input.givenName),
    ...set('family_name', input.familyName),
    ...set('specialty', blankToNull(input.specialty)),
    ...set('email', contact.email),
    ...set('phone', contact.phone),
    ...set('department_id', input.departmentId),
    ...set('user_id', input.userId),
    ...set('active', input.active),
  };
}

async function practitionerWrite<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (uniqueViolation(error) === 'practitioner_user_key') throw conflict('That staff user is already linked to another practitioner.');
    throw error;
  }
}

export async function createPractitioner(scope: TenantScope, input: NewPractitioner): Promise<Practitioner> {
  const values = await practitionerValues(scope, input);
  const row = await practitionerWrite(() =>
    scope.tx
      .insertInto('practitioner')
      .values({ ...values, tenant_id: scope.tenantId, given_name: input.givenName, family_name: input.familyName })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  await scope.audit({ action: 'scheduling.practitioner.create', entityType: 'practitioner', entityId: row.id });
  return (await listPractitioners(scope, { ids: [row.id] }))[0]!;
}

export async function changePractitioner(scope: TenantScope, id: string, change: PractitionerChange): Promise<Practitioner> {
  await lockRow(scope, 'practitioner', id, 'Practitioner');
  const values = await practitionerValues(scope, change, id);
  if (Object.keys(values).length) await practitionerWrite(() => scope.tx.updateTable('practitioner').set(values).where('id', '=', id).execute());
  await scope.audit({ action: 'scheduling.practitioner.update', entityType: 'practitioner', entityId: id, detail: { fields: Object.keys(change) } });
  return (await listPractitioners(scope, { ids: [id] }))[0]!;
}

/** The practitioner named by a path id, or a 404 (also for a malformed id). */
export async function requirePractitioner(scope: TenantScope, id: string, lock = false): Promise<void> {
  if (!isUuid(id)) throw notFound('Practitioner');
  let q = scope.tx.selectFrom('practitioner').select('id').where('id', '=', id);
  if (lock) q = q.forUpdate();
  if (!(await q.executeTakeFirst())) throw notFound('Practitioner');
}

// Holidays

const presentHoliday = (h: { id: string; date: string; name: string; location_id: string | null }): Holiday => ({ id: h.id, date: h.date, name: h.name, locationId: h.location_id });

export async function listHolidays(scope: TenantScope, query: { from?: string | undefined; to?: string | undefined }): Promise<Holiday[]> {
  let q = scope.tx.selectFrom('holiday').select(['id', 'date', 'name', 'location_id']).orderBy('date').orderBy('name');
  if (query.from) q = q.where('date', '>=', query.from);
  if (query.to) q = q.where('date', '<=', query.to);
  return (await q.execute()).map(presentHoliday);
}

export async function createHoliday(scope: TenantScope, input: NewHoliday): Promise<Holiday> {
  const locationId = input.locationId ?? null;
  if (locationId) await requireRow(scope, 'location', locationId, 'locationId', 'a location');
  const duplicate = () => conflict(`There is already a holiday on ${input.date} ${locationId ? 'at this location' : 'for the whole clinic'}.`);
  const existing = await scope.tx
    .selectFrom('holiday')
    .select('id')
    .where('date', '=', input.date)
    .where((eb) => (locationId ? eb('location_id', '=', locationId) : eb('location_id', 'is', null)))
    .executeTakeFirst();
  if (existing) throw duplicate();
  let row;
  try {
    row = await scope.tx
      .insertInto('holiday')
      .values({ tenant_id: scope.tenantId, date: input.date, name: input.name, location_id: locationId })
      .returning(['id', 'date', 'name', 'location_id'])
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (uniqueViolation(error) !== undefined) throw duplicate();
    throw error;
  }
  await scope.audit({ action: 'scheduling.holiday.create', entityType: 'holiday', entityId: row.id, detail: { date: input.date } });
  return presentHoliday(row);
}

export async function deleteHoliday(scope: TenantScope, id: string): Promise<void> {
  const row = isUuid(id) ? await scope.tx.deleteFrom('holiday').where('id', '=', id).returning(['id', 'date']).executeTakeFirst() : undefined;
  if (!row) throw notFound('Holiday');
  await scope.audit({ action: 'scheduling.holiday.delete', entityType: 'holiday', entityId: id, detail: { date: row.date } });
}
