import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ConfigError } from '../../server/config.ts';
import { withSystem } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { buildAck } from './ack.ts';
import { startMllpServer, type MllpServer } from './mllp.ts';
import { processHl7Message } from './process.ts';

/** The largest message the listener takes; a bigger frame is answered AR and dropped. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export type Hl7ListenerOptions = {
  db: Kysely<DB>;
  clock: () => Date;
  host: string;
  port: number;
  /** The clinic every message goes to (resolveHl7Tenant). */
  tenant: { id: string; slug: string };
  logger?: Logger | undefined;
};

/**
 * Which clinic the listener's messages belong to: HL7_TENANT, or the only tenant. One listener
 * serves one clinic; a second clinic runs its own listener (another process, another port).
 */
export async function resolveHl7Tenant(db: Kysely<DB>, slug: string | undefined): Promise<{ id: string; slug: string }> {
  const rows = await withSystem(db, (tx) =>
    tx
      .selectFrom('tenant')
      .select(['id', 'slug'])
      .$if(slug !== undefined, (q) => q.where('slug', '=', slug!))
      .orderBy('created_at')
      .limit(2)
      .execute(),
  );
  if (slug !== undefined && !rows[0]) throw new ConfigError([`HL7_TENANT: no clinic has the slug "${slug}"`]);
  if (slug === undefined && rows.length !== 1) {
    throw new ConfigError([
      rows.length ? 'HL7_TENANT: must name the clinic HL7 messages belong to, as there is more than one (not set)' : 'HL7_TENANT: there is no clinic yet for HL7 messages to belong to',
    ]);
  }
  return rows[0]!;
}

/** Starts the MLLP listener for one clinic. */
export async function startHl7Listener(options: Hl7ListenerOptions): Promise<MllpServer & { tenant: { id: string; slug: string } }> {
  const tenant = options.tenant;
  const deps = { db: options.db, tenantId: tenant.id, clock: options.clock, logger: options.logger };
  const server = await startMllpServer({
    host: options.host,
    port: options.port,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    logger: options.logger,
    onMessage: async (text, remote) => (await processHl7Message(deps, text, { ip: remote.ip })).ack,
    onOversized: () =>
      buildAck({
        code: 'AR',
        header: {},
        issues: [{ code: '100', severity: 'E', message: `The message is larger than ${MAX_MESSAGE_BYTES} bytes and was not read.` }],
        controlId: `R${Date.now().toString(36)}`,
        now: options.clock(),
        application: 'Rapport',
      }),
  });
  return { ...server, tenant };
}
