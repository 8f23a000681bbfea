import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../../server/app.ts';
import { ALL_STAFF } from '../../server/http/access.ts';
import { errorResponses } from '../../server/http/schemas.ts';
import { inTenant } from '../../server/http/tenant.ts';
import {
  changeDepartment, changeLocation, changePractitioner, changeRoom, createDepartment, createHoliday, createLocation,
  createPractitioner, createRoom, deleteHoliday, listDepartments, listHolidays, listLocations, listPractitioners, listRooms,
} from './directory.ts';
import { addAvailabilityException, deleteAvailabilityException, getAvailability, replaceWeeklyRules } from './directory-availability.ts';
import { changeService, createService, listServices } from './directory-services.ts';
import * as s from './directory-schema.ts';

const read = { access: { roles: ALL_STAFF } };
const write = { access: { roles: ['admin'] as const } };
const tags = ['scheduling'];
const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** The scheduling directory: locations, departments, rooms, practitioners, services, availability, holidays. */
export async function registerSchedulingDirectoryRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const db = deps.database.db;
  const base = '/api/scheduling';

  r.get(`${base}/locations`, { config: read, schema: { tags, summary: 'Locations, with their time zone', response: { 200: list(s.location), ...errorResponses(401, 403) } } }, async (request) =>
    inTenant(db, request, async (scope) => ({ items: await listLocations(scope) })),
  );
  r.post(`${base}/locations`, { config: write, schema: { tags, summary: 'Add a location', body: s.newLocation, response: { 201: s.location, ...errorResponses(400, 401, 403) } } }, async (request, reply) =>
    reply.status(201).send(await inTenant(db, request, (scope) => createLocation(scope, request.body))),
  );
  r.patch(`${base}/locations/:id`, { config: write, schema: { tags, summary: 'Change a location', params: s.idParams, body: s.locationChange, response: { 200: s.location, ...errorResponses(400, 401, 403, 404) } } }, async (request) =>
    inTenant(db, request, (scope) => changeLocation(scope, request.params.id, request.body)),
  );

  r.get(`${base}/departments`, { config: read, schema: { tags, summary: 'Departments', response: { 200: list(s.department), ...errorResponses(401, 403) } } }, async (request) =>
    inTenant(db, request, async (scope) => ({ items: await listDepartments(scope) })),
  );
  r.post(`${base}/departments`, { config: write, schema: { tags, summary: 'Add a department', body: s.newDepartment, response: { 201: s.department, ...errorResponses(400, 401, 403) } } }, async (request, reply) =>
    reply.status(201).send(await inTenant(db, request, (scope) => createDepartment(scope, request.body))),
  );
  r.patch(`${base}/departments/:id`, { config: write, schema: { tags, summary: 'Change a department', params: s.idParams, body: s.departmentChange, response: { 200: s.department, ...errorResponses(400, 401, 403, 404) } } }, async (request) =>
    inTenant(db, request, (scope) => changeDepartment(scope, request.params.id, request.body)),
  );

  r.get(`${base}/rooms`, { config: read, schema: { tags, summary: 'Rooms, optionally at one location', querystring: s.roomQuery, response: { 200: list(s.room), ...errorResponses(400, 401, 403) } } }, async (request) =>
    inTenant(db, request, async (scope) => ({ items: await listRooms(scope, request.query) })),
  );
  r.post(`${base}/rooms`, { config: write, schema: { tags, summary: 'Add a room; names are unique per location', body: s.newRoom, response: { 201: s.room, ...errorResponses(400, 401, 403, 409) } } }, async (request, reply) =>
    reply.status(201).send(await inTenant(db, request, (scope) => createRoom(scope, request.body))),
  );
  r.patch(`${base}/rooms/:id`, { config: write, schema: { tags, summary: 'Rename, move or retire a room', params: s.idParams, body: s.roomChange, response: { 200: s.room, ...errorResponses(400, 401, 403, 404, 409) } } }, async (request) =>
    inTenant(db, request, (scope) => changeRoom(scope, request.params.id, request.body)),
  );

  r.get(
    `${base}/practitioners`,
    { config: read, schema: { tags, summary: 'Practitioners, with the services they offer and the locations where they have weekly hours', querystring: s.activeQuery, response: { 200: list(s.practitioner), ...errorResponses(400, 401, 403) } } },
    async (request) => inTenant(db, request, async (scope) => ({ items: await listPractitioners(scope, request.query) })),
  );
  r.post(`${base}/practitioners`, { config: write, schema: { tags, summary: 'Add a practitioner, optionally linked to a staff user', body: s.newPractitioner, response: { 201: s.practitioner, ...errorResponses(400, 401, 403, 409) } } }, async (request, reply) =>
    reply.status(201).send(await inTenant(db, request, (scope) => createPractitioner(scope, request.body))),
  );
  r.patch(`${base}/practitioners/:id`, { config: write, schema: { tags, summary: 'Change a practitioner or their staff user link', params: s.idParams, body: s.practitionerChange, response: { 200: s.practitioner, ...errorResponses(400, 401, 403, 404, 409) } } }, async (request) =>
    inTenant(db, request, (scope) => changePractitioner(scope, request.params.id, request.body)),
  );

  r.get(
    `${base}/practitioners/:id/availability`,
    { config: read, schema: { tags, summary: 'Weekly hours, and exceptions not ended by `from` (default now)', params: s.idParams, querystring: s.availabilityQuery, response: { 200: s.availability, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => getAvailability(scope, request.params.id, request.query.from ? new Date(request.query.from) : deps.clock())),
  );
  r.put(
    `${base}/practitioners/:id/availability/rules`,
    { config: write, schema: { tags, summary: 'Replace the whole weekly set of hours at once', params: s.idParams, body: s.rulesBody, response: { 200: s.availability, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => replaceWeeklyRules(scope, request.params.id, request.body.rules, deps.clock())),
  );
  r.post(
    `${base}/practitioners/:id/exceptions`,
    { config: write, schema: { tags, summary: 'Add time off, or extra hours at a location', params: s.idParams, body: s.newException, response: { 201: s.availabilityException, ...errorResponses(400, 401, 403, 404) } } },
    async (request, reply) => reply.status(201).send(await inTenant(db, request, (scope) => addAvailabilityException(scope, request.params.id, request.body))),
  );
  r.delete(
    `${base}/practitioners/:id/exceptions/:exceptionId`,
    { config: write, schema: { tags, summary: 'Remove time off or extra hours', params: s.exceptionParams, response: { 204: z.null(), ...errorResponses(401, 403, 404) } } },
    async (request, reply) => {
      await inTenant(db, request, (scope) => deleteAvailabilityException(scope, request.params.id, request.params.exceptionId));
      return reply.status(204).send(null);
    },
  );

  r.get(`${base}/services`, { config: read, schema: { tags, summary: 'Services, with who offers them and where', querystring: s.activeQuery, response: { 200: list(s.service), ...errorResponses(400, 401, 403) } } }, async (request) =>
    inTenant(db, request, async (scope) => ({ items: await listServices(scope, request.query) })),
  );
  r.post(`${base}/services`, { config: write, schema: { tags, summary: 'Add a service', body: s.newService, response: { 201: s.service, ...errorResponses(400, 401, 403) } } }, async (request, reply) =>
    reply.status(201).send(await inTenant(db, request, (scope) => createService(scope, request.body))),
  );
  r.patch(
    `${base}/services/:id`,
    { config: write, schema: { tags, summary: 'Change a service; practitionerIds and locationIds replace who offers it and where', params: s.idParams, body: s.serviceChange, response: { 200: s.service, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => inTenant(db, request, (scope) => changeService(scope, request.params.id, request.body)),
  );

  r.get(`${base}/holidays`, { config: read, schema: { tags, summary: 'Days the clinic or a location is closed', querystring: s.holidayQuery, response: { 200: list(s.holiday), ...errorResponses(400, 401, 403) } } }, async (request) =>
    inTenant(db, request, async (scope) => ({ items: await listHolidays(scope, request.query) })),
  );
  r.post(`${base}/holidays`, { config: write, schema: { tags, summary: 'Close the clinic (or one location) for a day', body: s.newHoliday, response: { 201: s.holiday, ...errorResponses(400, 401, 403, 409) } } }, async (request, reply) =>
    reply.status(201).send(await inTenant(db, request, (scope) => createHoliday(scope, request.body))),
  );
  r.delete(`${base}/holidays/:id`, { config: write, schema: { tags, summary: 'Remove a holiday', params: s.idParams, response: { 204: z.null(), ...errorResponses(401, 403, 404) } } }, async (request, reply) => {
    await inTenant(db, request, (scope) => deleteHoliday(scope, request.params.id));
    return reply.status(204).send(null);
  });
}
