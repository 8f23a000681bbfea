import type { Kysely } from 'kysely';
import type { Config } from '../../server/config.ts';
import { invalidCredentials, rateLimited } from '../../server/errors.ts';
import { withSystem, withTenant, type RequestOrigin } from '../../server/db/scope.ts';
import type { DB, StaffRole } from '../../server/db/types.ts';
import { hashPassword, hashSecret, newSecret, verifyPassword } from './secrets.ts';

export type AuthDeps = {
  db: Kysely<DB>;
  clock: () => Date;
  config: Pick<Config, 'sessionIdleMinutes' | 'sessionMaxHours' | 'loginMaxFailures' | 'loginWindowMinutes'>;
};

/** The identity a request carries once its cookie or bearer token has been checked. */
export type Principal = {
  kind: 'session' | 'api_token';
  credentialId: string;
  tenantId: string;
  tenantName: string;
  userId: string;
  email: string;
  displayName: string;
  role: StaffRole;
};

// Verifying against a fixed hash when the email is unknown keeps the response time the same,
// so timing does not reveal which emails have accounts.
let dummyHash: Promise<string> | undefined;

/** Checks email and password, counts failures against the email and the address, opens a session. */
export async function signIn(
  deps: AuthDeps,
  input: { email: string; password: string; origin: RequestOrigin },
): Promise<{ token: string; principal: Principal }> {
  const emailKey = input.email.trim().toLowerCase();
  const ip = input.origin.ip ?? 'unknown';
  const now = deps.clock();
  const windowStart = new Date(now.getTime() - deps.config.loginWindowMinutes * 60_000);

  const failures = await withSystem(deps.db, async (tx) => {
    const row = await tx
      .selectFrom('login_attempt')
      .select((eb) => [
        eb.fn.count<number>('id').filterWhere('email_key', '=', emailKey).as('by_email'),
        eb.fn.count<number>('id').filterWhere('ip', '=', ip).as('by_ip'),
      ])
      .where('succeeded', '=', false)
      .where('attempted_at', '>', windowStart)
      .where((eb) => eb.or([eb('email_key', '=', emailKey), eb('ip', '=', ip)]))
      .executeTakeFirstOrThrow();
    return { byEmail: Number(row.by_email), byIp: Number(row.by_ip) };
  });
  // An address gets more room than one account: a clinic's front desk may share one.
  if (failures.byEmail >= deps.config.loginMaxFailures || failures.byIp >= deps.config.loginMaxFailures * 4) {
    throw rateLimited(deps.config.loginWindowMinutes * 60);
  }

  const user = await withSystem(deps.db, (tx) =>
    tx
      .selectFrom('app_user')
      .innerJoin('tenant', 'tenant.id', 'app_user.tenant_id')
      .select([
        'app_user.id',
        'app_user.tenant_id',
        'app_user.email',
        'app_user.display_name',
        'app_user.role',
        'app_user.password_hash',
        'app_user.disabled_at',
        'tenant.name as tenant_name',
      ])
      .where((eb) => eb(eb.fn('lower', ['app_user.email']), '=', emailKey))
      .executeTakeFirst(),
  );
  dummyHash ??= hashPassword('not-a-real-password');
  const ok = await verifyPassword(user?.password_hash ?? (await dummyHash), input.password);
  const succeeded = Boolean(user && ok && !user.disabled_at);

  await withSystem(deps.db, (tx) =>
    tx.insertInto('login_attempt').values({ email_key: emailKey, ip, succeeded, attempted_at: now }).execute(),
  );

  if (!user || !succeeded) {
    if (user) {
      await withTenant(
        deps.db,
        { tenantId: user.tenant_id, actor: { type: 'user', id: user.id, role: user.role }, origin: input.origin },
        (scope) => scope.audit({ action: 'auth.login', entityType: 'app_user', entityId: user.id, outcome: 'denied' }),
      );
    }
    throw invalidCredentials();
  }

  const { token, hash } = newSecret('rps');
  const sessionId = await withTenant(
    deps.db,
    { tenantId: user.tenant_id, actor: { type: 'user', id: user.id, role: user.role }, origin: input.origin },
    async (scope) => {
      const row = await scope.tx
        .insertInto('auth_session')
        .values({
          tenant_id: user.tenant_id,
          user_id: user.id,
          token_hash: hash,
          created_at: now,
          last_seen_at: now,
          expires_at: new Date(now.getTime() + deps.config.sessionMaxHours * 3_600_000),
          ip: input.origin.ip ?? null,
          user_agent: input.origin.userAgent?.slice(0, 500) ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await scope.tx.updateTable('app_user').set({ last_login_at: now }).where('id', '=', user.id).execute();
      await scope.audit({ action: 'auth.login', entityType: 'app_user', entityId: user.id });
      return row.id;
    },
  );
  return {
    token,
    principal: {
      kind: 'session',
      credentialId: sessionId,
      tenantId: user.tenant_id,
      tenantName: user.tenant_name,
      userId: user.id,
      email: user.email,
      displayName: user.display_name,
      role: user.role,
    },
  };
}

/**
 * Finds the live session for a cookie value. A session ends after `sessionIdleMinutes` without a
 * request, or `sessionMaxHours` after sign-in, whichever comes first.
 */
export async function resolveSession(deps: AuthDeps, token: string): Promise<Principal | null> {
  const now = deps.clock();
  return withSystem(deps.db, async (tx) => {
    const row = await tx
      .selectFrom('auth_session as s')
      .innerJoin('app_user as u', (join) => join.onRef('u.tenant_id', '=', 's.tenant_id').onRef('u.id', '=', 's.user_id'))
      .innerJoin('tenant as t', 't.id', 's.tenant_id')
      .select([
        's.id',
        's.tenant_id',
        's.user_id',
        's.last_seen_at',
        's.expires_at',
        'u.email',
        'u.display_name',
        'u.role',
        'u.disabled_at',
        't.name as tenant_name',
      ])
      .where('s.token_hash', '=', hashSecret(token))
      .executeTakeFirst();
    if (!row) return null;
    const idleLimit = new Date(row.last_seen_at.getTime() + deps.config.sessionIdleMinutes * 60_000);
    if (row.disabled_at || now >= row.expires_at || now >= idleLimit) {
      await tx.deleteFrom('auth_session').where('id', '=', row.id).where('tenant_id', '=', row.tenant_id).execute();
      return null;
    }
    // Touch at most once a minute: enough for idle expiry, without a write per request.
    if (now.getTime() - row.last_seen_at.getTime() > 60_000) {
      await tx
        .updateTable('auth_session')
        .set({ last_seen_at: now })
        .where('id', '=', row.id)
        .where('tenant_id', '=', row.tenant_id)
        .execute();
    }
    return {
      kind: 'session',
      credentialId: row.id,
      tenantId: row.tenant_id,
      tenantName: row.tenant_name,
      userId: row.user_id,
      email: row.email,
      displayName: row.display_name,
      role: row.role,
    };
  });
}

/** Finds the user behind an `Authorization: Bearer` API token, unless it was revoked. */
export async function resolveApiToken(deps: AuthDeps, token: string): Promise<Principal | null> {
  const now = deps.clock();
  return withSystem(deps.db, async (tx) => {
    const row = await tx
      .selectFrom('api_token as k')
      .innerJoin('app_user as u', (join) => join.onRef('u.tenant_id', '=', 'k.tenant_id').onRef('u.id', '=', 'k.user_id'))
      .innerJoin('tenant as t', 't.id', 'k.tenant_id')
      .select(['k.id', 'k.tenant_id', 'k.user_id', 'k.last_used_at', 'u.email', 'u.display_name', 'u.role', 't.name as tenant_name'])
      .where('k.token_hash', '=', hashSecret(token))
      .where('k.revoked_at', 'is', null)
      .where('u.disabled_at', 'is', null)
      .executeTakeFirst();
    if (!row) return null;
    if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000) {
      await tx
        .updateTable('api_token')
        .set({ last_used_at: now })
        .where('id', '=', row.id)
        .where('tenant_id', '=', row.tenant_id)
        .execute();
    }
    return {
      kind: 'api_token',
      credentialId: row.id,
      tenantId: row.tenant_id,
      tenantName: row.tenant_name,
      userId: row.user_id,
      email: row.email,
      displayName: row.display_name,
      role: row.role,
    };
  });
}

export async function signOut(deps: AuthDeps, principal: Principal, origin: RequestOrigin): Promise<void> {
  await withTenant(
    deps.db,
    { tenantId: principal.tenantId, actor: { type: 'user', id: principal.userId, role: principal.role }, origin },
    async (scope) => {
      await scope.tx.deleteFrom('auth_session').where('id', '=', principal.credentialId).execute();
      await scope.audit({ action: 'auth.logout', entityType: 'app_user', entityId: principal.userId });
    },
  );
}

/** Housekeeping: forget ended sessions and old sign-in attempts. Returns how many rows went. */
export async function purgeExpiredCredentials(deps: AuthDeps): Promise<{ sessions: number; attempts: number }> {
  const now = deps.clock();
  const idleCutoff = new Date(now.getTime() - deps.config.sessionIdleMinutes * 60_000);
  const attemptCutoff = new Date(now.getTime() - Math.max(deps.config.loginWindowMinutes, 24 * 60) * 60_000);
  return withSystem(deps.db, async (tx) => {
    const sessions = await tx
      .deleteFrom('auth_session')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', idleCutoff)]))
      .executeTakeFirst();
    const attempts = await tx.deleteFrom('login_attempt').where('attempted_at', '<', attemptCutoff).executeTakeFirst();
    return { sessions: Number(sessions.numDeletedRows), attempts: Number(attempts.numDeletedRows) };
  });
}
