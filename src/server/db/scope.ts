import { sql, type Kysely, type Transaction } from 'kysely';
import { APP_ROLE } from './migrations/helpers.ts';
import type { AuditEventTable, DB, StaffRole } from './types.ts';

/** Who is acting: a signed-in user, an integration's API token, the system itself, or the public. */
export type Actor =
  | { type: 'user'; id: string; role: StaffRole }
  | { type: 'api_token'; id: string; userId: string; role: StaffRole }
  | { type: 'system'; id: null }
  | { type: 'public'; id: null };

/** Where a request came from, for the audit log. */
export type RequestOrigin = { requestId?: string; ip?: string; userAgent?: string };

export type AuditEntry = {
  action: string;
  entityType?: string;
  entityId?: string;
  patientId?: string | null;
  outcome?: AuditEventTable['outcome'];
  detail?: Record<string, unknown>;
};

/** A transaction confined to one tenant, with the audit log of that transaction at hand. */
export type TenantScope = {
  tx: Transaction<DB>;
  tenantId: string;
  actor: Actor;
  /** Writes one audit record, or several in one statement (a batch of work). */
  audit(entry: AuditEntry | readonly AuditEntry[]): Promise<void>;
};

export type TenantContext = { tenantId: string; actor: Actor; origin?: RequestOrigin };

/**
 * Runs `work` in one transaction as the application role with the tenant set, so row-level
 * security confines every statement to that tenant whatever the query says. Audit records written
 * through `scope.audit` commit or roll back with the work they describe.
 */
export async function withTenant<T>(
  db: Kysely<DB>,
  context: TenantContext,
  work: (scope: TenantScope) => Promise<T>,
): Promise<T> {
  // A refusal or failure is worth recording even though the work rolls back: those entries are
  // written again, on their own, when the transaction does not commit.
  const refusals: AuditEntry[] = [];
  try {
    return await db.transaction().execute(async (tx) => {
      await enterTenant(tx, context.tenantId);
      const scope: TenantScope = {
        tx,
        tenantId: context.tenantId,
        actor: context.actor,
        audit: async (entry) => {
          const entries = Array.isArray(entry) ? (entry as readonly AuditEntry[]) : [entry as AuditEntry];
          refusals.push(...entries.filter((e) => e.outcome && e.outcome !== 'success'));
          await writeAudit(tx, context, entries);
        },
      };
      return work(scope);
    });
  } catch (error) {
    if (refusals.length) {
      await db.transaction().execute(async (tx) => {
        await enterTenant(tx, context.tenantId);
        await writeAudit(tx, context, refusals);
      });
    }
    throw error;
  }
}

/** Makes the rest of the transaction run as the application role, confined to one tenant. */
async function enterTenant(tx: Transaction<DB>, tenantId: string): Promise<void> {
  await sql`select set_config('rapport.tenant_id', ${tenantId}, true), set_config('role', ${APP_ROLE}, true)`.execute(tx);
}

/**
 * Runs `work` in one transaction as the owning role, outside any tenant. Only for work that must
 * cross tenants or comes before a tenant is known: migrations, sign-in, token look-up, creating a
 * tenant, housekeeping jobs. Patient data is never read or written here.
 */
export async function withSystem<T>(db: Kysely<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}

async function writeAudit(tx: Transaction<DB>, context: TenantContext, entries: readonly AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  await tx
    .insertInto('audit_event')
    .values(
      entries.map((entry) => ({
        tenant_id: context.tenantId,
        actor_type: context.actor.type,
        actor_id: context.actor.id,
        action: entry.action,
        entity_type: entry.entityType ?? null,
        entity_id: entry.entityId ?? null,
        patient_id: entry.patientId ?? null,
        outcome: entry.outcome ?? 'success',
        request_id: context.origin?.requestId ?? null,
        ip: context.origin?.ip ?? null,
        user_agent: context.origin?.userAgent?.slice(0, 500) ?? null,
        detail: entry.detail ? JSON.stringify(entry.detail) : null,
      })),
    )
    .execute();
}

/** Writes one audit record in its own transaction (e.g. a denied access, where no work runs). */
export async function recordAudit(db: Kysely<DB>, context: TenantContext, entry: AuditEntry): Promise<void> {
  await withTenant(db, context, (scope) => scope.audit(entry));
}
