import { sql, type Kysely } from 'kysely';
import { withSystem, withTenant, type TenantScope } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { recordTimelineEvent } from '../timeline/events.ts';
import { continueRelease } from './offers.ts';
import { registerWaitlist } from './release.ts';

export type SweepResult = { tenants: number; offersExpired: number; releasesClosed: number; offersSent: number; entriesExpired: number };

/**
 * The waitlist's recurring job: offers nobody answered in time expire, a release whose slot has
 * started (or was booked another way) closes, an open release with no pending offer goes to the
 * next batch, and entries past their last suitable date expire. Each tenant in its own transaction.
 */
export async function sweepWaitlist(db: Kysely<DB>, now: Date): Promise<SweepResult> {
  registerWaitlist();
  // Only tenant ids cross tenants here; the work itself runs inside each tenant.
  const tenants = await withSystem(db, async (tx) => {
    const rows = await tx
      .selectFrom('waitlist_release')
      .select('tenant_id')
      .where('status', '=', 'open')
      .union(tx.selectFrom('waitlist_entry').select('tenant_id').where('status', '=', 'waiting').where('not_after', 'is not', null))
      .execute();
    return [...new Set(rows.map((r) => r.tenant_id))];
  });
  const result: SweepResult = { tenants: tenants.length, offersExpired: 0, releasesClosed: 0, offersSent: 0, entriesExpired: 0 };
  for (const tenantId of tenants) {
    await withTenant(db, { tenantId, actor: { type: 'system', id: null } }, async (scope) => {
      result.offersExpired += await expireOffers(scope, now);
      const releases = await scope.tx
        .selectFrom('waitlist_release')
        .selectAll()
        .where('status', '=', 'open')
        .orderBy('starts_at')
        .forUpdate()
        .skipLocked()
        .execute();
      for (const release of releases) {
        const step = await continueRelease(scope, release, now);
        if (step.state === 'expired' || step.state === 'closed') result.releasesClosed += 1;
        result.offersSent += step.offered;
      }
      result.entriesExpired += await expireEntries(scope, now);
    });
  }
  return result;
}

async function expireOffers(scope: TenantScope, now: Date): Promise<number> {
  const expired = await scope.tx
    .updateTable('waitlist_offer')
    .set({ status: 'expired' })
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .returning(['id', 'patient_id', 'release_id'])
    .execute();
  for (const offer of expired) {
    await recordTimelineEvent(scope, {
      patientId: offer.patient_id,
      kind: 'waitlist.offer_expired',
      summary: 'Waitlist offer expired without an answer',
      detail: { releaseId: offer.release_id, offerId: offer.id },
      occurredAt: now,
      subject: { type: 'waitlist_offer', id: offer.id },
    });
    await scope.audit({ action: 'waitlist.offer_expire', entityType: 'waitlist_offer', entityId: offer.id, patientId: offer.patient_id });
  }
  return expired.length;
}

/** Entries whose last suitable date (in the clinic's zone) has passed. */
async function expireEntries(scope: TenantScope, now: Date): Promise<number> {
  const expired = await scope.tx
    .updateTable('waitlist_entry')
    .set({ status: 'expired', updated_at: now })
    .where('status', '=', 'waiting')
    .where('not_after', '<', sql<string>`(select (${now}::timestamptz at time zone t.time_zone)::date from tenant t where t.id = ${scope.tenantId})`)
    .returning(['id', 'patient_id'])
    .execute();
  for (const entry of expired) {
    await scope.audit({ action: 'waitlist.expire', entityType: 'waitlist_entry', entityId: entry.id, patientId: entry.patient_id });
  }
  return expired.length;
}
