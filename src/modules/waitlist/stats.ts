import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { TenantScope } from '../../server/db/scope.ts';
import { AppError } from '../../server/errors.ts';

export type WaitlistStats = {
  from: string;
  to: string;
  timeZone: string;
  releases: number;
  offered: number;
  unmatched: number;
  open: number;
  filled: number;
  offers: number;
  fillRate: number | null;
  medianMinutesToFill: number | null;
};

/**
 * How well freed slots are filled from the waitlist, for slots released between two dates (in the
 * clinic's zone, inclusive). The fill rate counts only releases somebody was offered: a slot that
 * suited nobody on the list says nothing about how the list works. From the release rows alone.
 */
export async function waitlistStats(scope: TenantScope, range: { from: string; to: string }): Promise<WaitlistStats> {
  if (range.to < range.from) throw new AppError(400, 'validation_failed', 'Invalid request: to must not be before from', [{ path: 'querystring.to', message: 'must not be before from' }]);
  const tenant = await scope.tx.selectFrom('tenant').select('time_zone').where('id', '=', scope.tenantId).executeTakeFirstOrThrow();
  const zone = tenant.time_zone;
  const start = DateTime.fromISO(range.from, { zone }).startOf('day').toJSDate();
  const end = DateTime.fromISO(range.to, { zone }).plus({ days: 1 }).startOf('day').toJSDate();
  const row = await scope.tx
    .selectFrom('waitlist_release as r')
    .select([
      sql<number>`count(*)::int`.as('releases'),
      sql<number>`count(*) filter (where r.batches > 0)::int`.as('offered'),
      sql<number>`count(*) filter (where r.status = 'unmatched')::int`.as('unmatched'),
      sql<number>`count(*) filter (where r.status = 'open')::int`.as('open'),
      sql<number>`count(*) filter (where r.status = 'filled')::int`.as('filled'),
      sql<number>`coalesce(sum((select count(*) from waitlist_offer o where o.release_id = r.id)), 0)::int`.as('offers'),
      sql<number | null>`percentile_cont(0.5) within group (order by extract(epoch from r.closed_at - r.released_at)) filter (where r.status = 'filled')`.as('median_seconds'),
    ])
    .where('r.released_at', '>=', start)
    .where('r.released_at', '<', end)
    .executeTakeFirstOrThrow();
  const offered = Number(row.offered);
  const filled = Number(row.filled);
  return {
    from: range.from,
    to: range.to,
    timeZone: zone,
    releases: Number(row.releases),
    offered,
    unmatched: Number(row.unmatched),
    open: Number(row.open),
    filled,
    offers: Number(row.offers),
    fillRate: offered > 0 ? Math.round((filled / offered) * 1000) / 1000 : null,
    medianMinutesToFill: row.median_seconds === null ? null : Math.round((Number(row.median_seconds) / 60) * 10) / 10,
  };
}
