import type { TenantScope } from '../../server/db/scope.ts';
import { notFound, validationFailed, type FieldProblem } from '../../server/errors.ts';
import { isUuid } from '../../shared/ids.ts';
import type { Availability, AvailabilityException, AvailabilityRule, NewException, RuleInput } from './directory-schema.ts';
import { missingRows, requirePractitioner } from './directory.ts';

/**
 * A practitioner's weekly hours (wall-clock times at a location on an ISO weekday) and the
 * exceptions to them: time off wherever they work, extra hours at one location.
 */

const WEEKDAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const HOUR_MS = 3_600_000;
const MAX_EXTRA_MS = 24 * HOUR_MS;
const MAX_TIME_OFF_MS = 366 * 24 * HOUR_MS;

const hhmm = (time: string) => time.slice(0, 5);

const presentRule = (r: { id: string; location_id: string; weekday: number; start_time: string; end_time: string; valid_from: string | null; valid_until: string | null }): AvailabilityRule => ({
  id: r.id,
  locationId: r.location_id,
  weekday: r.weekday,
  startTime: hhmm(r.start_time),
  endTime: hhmm(r.end_time),
  validFrom: r.valid_from,
  validUntil: r.valid_until,
});

const presentException = (e: { id: string; kind: 'time_off' | 'extra'; location_id: string | null; starts_at: Date; ends_at: Date; reason: string | null }): AvailabilityException => ({
  id: e.id,
  kind: e.kind,
  locationId: e.location_id,
  startsAt: new Date(e.starts_at).toISOString(),
  endsAt: new Date(e.ends_at).toISOString(),
  reason: e.reason,
});

const ruleColumns = ['id', 'location_id', 'weekday', 'start_time', 'end_time', 'valid_from', 'valid_until'] as const;
const exceptionColumns = ['id', 'kind', 'location_id', 'starts_at', 'ends_at', 'reason'] as const;

/** Weekly hours, and the exceptions that have not ended by `from`. */
export async function getAvailability(scope: TenantScope, practitionerId: string, from: Date): Promise<Availability> {
  await requirePractitioner(scope, practitionerId);
  const rules = await scope.tx
    .selectFrom('availability_rule')
    .select(ruleColumns)
    .where('practitioner_id', '=', practitionerId)
    .orderBy('weekday')
    .orderBy('start_time')
    .orderBy('valid_from')
    .execute();
  const exceptions = await scope.tx
    .selectFrom('availability_exception')
    .select(exceptionColumns)
    .where('practitioner_id', '=', practitionerId)
    .where('ends_at', '>', from)
    .orderBy('starts_at')
    .execute();
  return { rules: rules.map(presentRule), exceptions: exceptions.map(presentException) };
}

/** Whether two rules' validity periods share a day (an open end runs for ever). */
function periodsMeet(a: RuleInput, b: RuleInput): boolean {
  const startsBeforeOtherEnds = (x: RuleInput, y: RuleInput) => !x.validFrom || !y.validUntil || x.validFrom <= y.validUntil;
  return startsBeforeOtherEnds(a, b) && startsBeforeOtherEnds(b, a);
}

/** Everything wrong with a weekly set, each problem named by its index path (rules.2.endTime). */
export function weeklyRuleProblems(rules: readonly RuleInput[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  rules.forEach((r, i) => {
    if (r.endTime <= r.startTime) problems.push({ path: `rules.${i}.endTime`, message: `must be after startTime (${r.startTime})` });
    if (r.validFrom && r.validUntil && r.validUntil < r.validFrom) problems.push({ path: `rules.${i}.validUntil`, message: `must not be before validFrom (${r.validFrom})` });
  });
  if (problems.length) return problems;
  // A practitioner is in one place at a time, so two rules of one weekday may not overlap, wherever they are.
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i]!;
      const b = rules[j]!;
      if (a.weekday !== b.weekday || !(a.startTime < b.endTime && b.startTime < a.endTime) || !periodsMeet(a, b)) continue;
      const day = WEEKDAYS[a.weekday];
      problems.push(
        { path: `rules.${i}`, message: `overlaps rules.${j} on ${day} (${a.startTime}-${a.endTime} and ${b.startTime}-${b.endTime})` },
        { path: `rules.${j}`, message: `overlaps rules.${i} on ${day} (${b.startTime}-${b.endTime} and ${a.startTime}-${a.endTime})` },
      );
    }
  }
  return problems;
}

/** Replaces the practitioner's whole weekly set at once: all of it is stored, or none. */
export async function replaceWeeklyRules(scope: TenantScope, practitionerId: string, rules: readonly RuleInput[], now: Date): Promise<Availability> {
  await requirePractitioner(scope, practitionerId, true);
  const problems = weeklyRuleProblems(rules);
  const unknown = await missingRows(scope, 'location', rules.map((r) => r.locationId), 'rules', 'a location');
  problems.push(...unknown.map((p) => ({ path: `${p.path}.locationId`, message: p.message })));
  if (problems.length) throw validationFailed(problems);
  await scope.tx.deleteFrom('availability_rule').where('practitioner_id', '=', practitionerId).execute();
  if (rules.length) {
    await scope.tx
      .insertInto('availability_rule')
      .values(
        rules.map((r) => ({
          tenant_id: scope.tenantId,
          practitioner_id: practitionerId,
          location_id: r.locationId,
          weekday: r.weekday,
          start_time: r.startTime,
          end_time: r.endTime,
          valid_from: r.validFrom ?? null,
          valid_until: r.validUntil ?? null,
        })),
      )
      .execute();
  }
  await scope.audit({ action: 'scheduling.availability.replace', entityType: 'practitioner', entityId: practitionerId, detail: { rules: rules.length } });
  return getAvailability(scope, practitionerId, now);
}

/** Adds time off (wherever the practitioner works) or extra hours (at one location). */
export async function addAvailabilityException(scope: TenantScope, practitionerId: string, input: NewException): Promise<AvailabilityException> {
  await requirePractitioner(scope, practitionerId);
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  const locationId = input.locationId ?? null;
  const problems: FieldProblem[] = [];
  const length = endsAt.getTime() - startsAt.getTime();
  if (length <= 0) problems.push({ path: 'endsAt', message: 'must be after startsAt' });
  else if (input.kind === 'extra' && length > MAX_EXTRA_MS) problems.push({ path: 'endsAt', message: 'extra hours may last at most 24 hours' });
  else if (input.kind === 'time_off' && length > MAX_TIME_OFF_MS) problems.push({ path: 'endsAt', message: 'time off may last at most 366 days' });
  if (input.kind === 'extra' && !locationId) problems.push({ path: 'locationId', message: 'is required for extra hours' });
  if (input.kind === 'time_off' && locationId) problems.push({ path: 'locationId', message: 'must be left out: time off applies wherever the practitioner works' });
  if (input.kind === 'extra' && locationId) problems.push(...(await missingRows(scope, 'location', [locationId], 'locationId', 'a location')).map((p) => ({ ...p, path: 'locationId' })));
  if (problems.length) throw validationFailed(problems);
  const row = await scope.tx
    .insertInto('availability_exception')
    .values({
      tenant_id: scope.tenantId,
      practitioner_id: practitionerId,
      location_id: locationId,
      kind: input.kind,
      starts_at: startsAt,
      ends_at: endsAt,
      reason: input.reason ? input.reason : null,
    })
    .returning(exceptionColumns)
    .executeTakeFirstOrThrow();
  await scope.audit({ action: 'scheduling.exception.create', entityType: 'availability_exception', entityId: row.id, detail: { practitionerId, kind: input.kind } });
  return presentException(row);
}

export async function deleteAvailabilityException(scope: TenantScope, practitionerId: string, exceptionId: string): Promise<void> {
  await requirePractitioner(scope, practitionerId);
  const row = isUuid(exceptionId)
    ? await scope.tx.deleteFrom('availability_exception').where('id', '=', exceptionId).where('practitioner_id', '=', practitionerId).returning('id').executeTakeFirst()
    : undefined;
  if (!row) throw notFound('Availability exception');
  await scope.audit({ action: 'scheduling.exception.delete', entityType: 'availability_exception', entityId: exceptionId, detail: { practitionerId } });
}
