import { createHash } from 'node:crypto';
import type { Schedule, Slot } from '@medplum/fhirtypes';
import { sql } from 'kysely';
import type { TenantScope } from '../../../server/db/scope.ts';
import { isUuid } from '../../../shared/ids.ts';
import { findSlots, localDate } from '../../scheduling/slots.ts';
import { badSearch } from '../outcome.ts';
import { ID_PARAM, parseDateValue, parseToken, referenceId, type SearchRequest } from '../search.ts';
import type { FhirContext, ResourceModule } from '../types.ts';
import { compact } from './common.ts';
import { SERVICE_SYSTEM } from './location.ts';

/**
 * A Schedule is one practitioner's availability at one location (their weekly hours there); its id
 * is derived from the two ids, so it is stable without a table of its own. Slots are the free times
 * of a schedule computed by Rapport's slot search (the same one staff and the booking page use),
 * not stored rows: a slot's id names its service, practitioner, location and start, so one found
 * by a search can be read back while it is still free.
 */

const DAY = 86_400_000;

export function scheduleId(practitionerId: string, locationId: string): string {
  const h = createHash('sha256').update(`${practitionerId}:${locationId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function schedulePairs(scope: TenantScope) {
  return scope.tx
    .selectFrom('availability_rule as r')
    .innerJoin('practitioner as pr', 'pr.id', 'r.practitioner_id')
    .innerJoin('location as l', 'l.id', 'r.location_id')
    .select([
      'r.practitioner_id', 'r.location_id', 'pr.given_name', 'pr.family_name', 'pr.prefix', 'pr.active as practitioner_active', 'l.name as location_name', 'l.active as location_active',
      sql<string[]>`array_agg(distinct r.weekday || ' ' || to_char(r.start_time, 'HH24:MI') || '-' || to_char(r.end_time, 'HH24:MI'))`.as('hours'),
    ])
    .groupBy(['r.practitioner_id', 'r.location_id', 'pr.given_name', 'pr.family_name', 'pr.prefix', 'pr.active', 'l.name', 'l.active'])
    .orderBy('pr.family_name')
    .orderBy('pr.given_name')
    .orderBy('r.practitioner_id')
    .orderBy('l.name')
    .orderBy('r.location_id')
    .execute();
}
type Pair = Awaited<ReturnType<typeof schedulePairs>>[number];

const WEEKDAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function scheduleToFhir(p: Pair): Schedule {
  const name = [p.prefix, p.given_name, p.family_name].filter(Boolean).join(' ');
  const hours = [...p.hours].sort().map((h) => `${WEEKDAYS[Number(h.split(' ')[0])]} ${h.split(' ')[1]}`);
  return {
    resourceType: 'Schedule',
    id: scheduleId(p.practitioner_id, p.location_id),
    active: p.practitioner_active && p.location_active,
    actor: [
      { reference: `Practitioner/${p.practitioner_id}`, display: name },
      { reference: `Location/${p.location_id}`, display: p.location_name },
    ],
    comment: `Weekly hours: ${hours.join(', ')}`,
  };
}

async function findPair(scope: TenantScope, id: string): Promise<Pair | undefined> {
  return (await schedulePairs(scope)).find((p) => scheduleId(p.practitioner_id, p.location_id) === id);
}

export const scheduleModule: ResourceModule<Schedule> = {
  type: 'Schedule',
  documentation: "One per practitioner and location with weekly hours there (availability_rule); actor names both. Its Slots are searched with Slot?schedule=.",
  interactions: ['read', 'search-type'],
  searchParams: [
    ID_PARAM,
    { name: 'actor', type: 'reference', documentation: 'The Practitioner or Location of the schedule' },
    { name: 'active', type: 'token', documentation: 'true or false' },
  ],
  sorts: [],
  versioned: false,
  async read(scope, id) {
    const pair = isUuid(id) ? await findPair(scope, id) : undefined;
    return pair ? scheduleToFhir(pair) : undefined;
  },
  async search(scope, request) {
    let all = (await schedulePairs(scope)).map(scheduleToFhir);
    for (const p of request.params) {
      all = all.filter((s) =>
        p.values.some((v) => {
          if (p.name === '_id') return s.id === v;
          if (p.name === 'active') return String(s.active) === parseToken(v).code;
          if (p.name === 'actor') return s.actor.some((a) => a.reference === v || a.reference?.endsWith(`/${v}`) || v.endsWith(`/${a.reference}`));
          return false;
        }),
      );
    }
    return all.slice(request.offset, request.offset + request.count + 1);
  },
};

/** The active services a schedule's practitioner offers at its location, by name. */
function offeredServices(scope: TenantScope, pair: Pair) {
  return scope.tx
    .selectFrom('service as s')
    .innerJoin('service_practitioner as sp', 'sp.service_id', 's.id')
    .innerJoin('service_location as sl', 'sl.service_id', 's.id')
    .select(['s.id', 's.name'])
    .where('sp.practitioner_id', '=', pair.practitioner_id)
    .where('sl.location_id', '=', pair.location_id)
    .where('s.active', '=', true)
    .orderBy('s.name')
    .execute();
}

async function slotSearch(scope: TenantScope, request: SearchRequest, ctx: FhirContext): Promise<Slot[]> {
  const scheduleParam = request.params.find((p) => p.name === 'schedule');
  if (!scheduleParam) throw badSearch('Slot search needs schedule=Schedule/<id> (see Schedule search).', 'schedule');
  const pairs = await schedulePairs(scope);
  const wanted = scheduleParam.values.map((v) => referenceId(v, 'Schedule', 'schedule'));
  const chosen = pairs.filter((p) => wanted.includes(scheduleId(p.practitioner_id, p.location_id)));
  let from = ctx.now;
  let to = new Date(ctx.now.getTime() + 7 * DAY);
  for (const p of request.params.filter((p) => p.name === 'start')) {
    for (const v of p.values) {
      const d = parseDateValue(v, 'start');
      if (d.prefix === 'ge' || d.prefix === 'gt' || d.prefix === 'sa') from = d.prefix === 'ge' ? d.start : d.end;
      else if (d.prefix === 'le' || d.prefix === 'lt' || d.prefix === 'eb') to = d.prefix === 'le' ? d.end : d.start;
      else if (d.prefix === 'eq') [from, to] = [d.start, d.end];
      else throw badSearch('start takes the prefixes eq, ge, gt, le, lt, sa and eb.', 'start');
    }
  }
  if (from < ctx.now) from = ctx.now;
  const serviceIds = request.params
    .filter((p) => p.name === 'service' || p.name === 'service-type')
    .flatMap((p) => p.values.map((v) => (p.name === 'service' ? referenceId(v, 'HealthcareService', 'service') : parseToken(v).code ?? '')));
  const slots: Slot[] = [];
  for (const pair of chosen) {
    const zone = await scope.tx.selectFrom('location').select('time_zone').where('id', '=', pair.location_id).executeTakeFirstOrThrow();
    const offered = await offeredServices(scope, pair);
    for (const service of offered.filter((s) => !serviceIds.length || serviceIds.includes(s.id))) {
      if (to <= from) continue;
      const found = await findSlots(
        scope,
        { serviceId: service.id, practitionerId: pair.practitioner_id, locationId: pair.location_id, from: localDate(from, zone.time_zone), to: localDate(new Date(to.getTime() - 1), zone.time_zone) },
        ctx.now,
      );
      for (const s of found) {
        const start = Date.parse(s.startsAt);
        if (start < from.getTime() || start >= to.getTime()) continue;
        slots.push(slotToFhir(pair, service, s));
      }
    }
  }
  slots.sort((a, b) => a.start.localeCompare(b.start) || a.id!.localeCompare(b.id!));
  return slots.slice(request.offset, request.offset + request.count + 1);
}

/**
 * A slot is not a stored row: its id names what it is, so it can be read back. `<offer>-<start>`:
 * a hash of the service, practitioner and location (found again among the tenant's own offers)
 * and the start in Unix seconds. 43 characters, within FHIR's 64.
 */
const offerHash = (serviceId: string, practitionerId: string, locationId: string) => createHash('sha256').update(`${serviceId}:${practitionerId}:${locationId}`).digest('hex').slice(0, 32);
const SLOT_ID = /^([0-9a-f]{32})-(\d{1,12})$/;

function slotToFhir(pair: Pair, service: { id: string; name: string }, s: { startsAt: string; endsAt: string }): Slot {
  return compact({
    resourceType: 'Slot' as const,
    id: `${offerHash(service.id, pair.practitioner_id, pair.location_id)}-${Math.floor(Date.parse(s.startsAt) / 1000)}`,
    schedule: { reference: `Schedule/${scheduleId(pair.practitioner_id, pair.location_id)}` },
    status: 'free' as const,
    start: s.startsAt,
    end: s.endsAt,
    serviceType: [{ coding: [{ system: SERVICE_SYSTEM, code: service.id, display: service.name }], text: service.name }],
  });
}

/** The slot an id names, if it is still free now (a slot booked since, or past, is not found). */
async function slotRead(scope: TenantScope, id: string, ctx: FhirContext): Promise<Slot | undefined> {
  const m = SLOT_ID.exec(id);
  if (!m) return undefined;
  const startsAt = new Date(Number(m[2]) * 1000);
  if (startsAt < ctx.now) return undefined;
  for (const pair of await schedulePairs(scope)) {
    const offered = await offeredServices(scope, pair);
    const service = offered.find((o) => offerHash(o.id, pair.practitioner_id, pair.location_id) === m[1]);
    if (!service) continue;
    const zone = await scope.tx.selectFrom('location').select('time_zone').where('id', '=', pair.location_id).executeTakeFirstOrThrow();
    const day = localDate(startsAt, zone.time_zone);
    const found = await findSlots(scope, { serviceId: service.id, practitionerId: pair.practitioner_id, locationId: pair.location_id, from: day, to: day }, ctx.now);
    const slot = found.find((s) => Date.parse(s.startsAt) === startsAt.getTime());
    return slot ? slotToFhir(pair, service, slot) : undefined;
  }
  return undefined;
}

export const slotModule: ResourceModule<Slot> = {
  type: 'Slot',
  documentation:
    "Free times of a Schedule for each service its practitioner offers there, computed by Rapport's slot search with the booking rules (notice, horizon, buffers, rooms). Read by the id a search gave while the slot is still free (a booked or past slot is 404); search by schedule (required), start (ge/le/gt/lt/eq; 7 days from now by default, at most 62) and service; book one by creating an Appointment with its start, practitioner, location and service.",
  interactions: ['read', 'search-type'],
  searchParams: [
    { name: 'schedule', type: 'reference', documentation: 'The Schedule (required)' },
    { name: 'start', type: 'date', documentation: 'The slot start, with ge/gt/le/lt/eq' },
    { name: 'service', type: 'reference', documentation: 'A HealthcareService the slot is for' },
    { name: 'service-type', type: 'token', documentation: `A service, as ${SERVICE_SYSTEM}|<HealthcareService id>` },
  ],
  sorts: [],
  versioned: false,
  read: slotRead,
  search: slotSearch,
};
