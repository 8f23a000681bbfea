import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { withTenant, type RequestOrigin } from '../../server/db/scope.ts';
import type { DB } from '../../server/db/types.ts';
import { AppError } from '../../server/errors.ts';
import { buildAck, type AckCode, type AckIssue } from './ack.ts';
import { admit, discharge, merge, registerOrUpdate } from './adt.ts';
import { Hl7Error, type HandlerContext, type HandlerResult } from './context.ts';
import { isParseFailure, parseMessage, type Header, type ParsedMessage } from './parse.ts';
import { book, changeStatus, reschedule } from './siu.ts';

/**
 * One message in, one ACK out. The work and the message log row commit in one transaction and
 * the ACK is built from what committed: AA only after the commit, AE (nothing changed) when the
 * message cannot be applied, AR when it cannot be read or is not a message Rapport takes. A
 * resend of an applied message (same sender, MSH-10 and content) gets the stored ACK again.
 */

export type Hl7Deps = {
  db: Kysely<DB>;
  tenantId: string;
  clock: () => Date;
  logger?: Logger | undefined;
  /** MSH-3 of our ACKs when the message named no receiving application. */
  application?: string;
};

export type Processed = { ack: string; code: AckCode; replayed: boolean };

type Handler = (ctx: HandlerContext) => Promise<HandlerResult>;

/** Every message Rapport takes, by MSH-9.1 and MSH-9.2. */
export const HANDLERS: Record<string, Handler> = {
  'ADT^A01': admit,
  'ADT^A03': discharge,
  'ADT^A04': registerOrUpdate,
  'ADT^A08': registerOrUpdate,
  'ADT^A40': merge,
  'SIU^S12': book,
  'SIU^S13': (ctx) => reschedule(ctx, true),
  'SIU^S14': (ctx) => reschedule(ctx, false),
  'SIU^S15': (ctx) => changeStatus(ctx, 'cancel'),
  'SIU^S26': (ctx) => changeStatus(ctx, 'noshow'),
};

const newControlId = () => `R${randomBytes(9).toString('hex')}`;

/** Checks what makes a message one Rapport does not take at all: AR. */
function refusal(header: Header): Hl7Error | null {
  if (!/^2\.[1-9](\.\d+)?$/.test(header.version)) return new Hl7Error('203', `HL7 version "${header.version}" is not supported; Rapport takes v2.1 to v2.9.`, 'MSH^1^12', 'AR');
  if (header.processingId !== 'P') {
    return new Hl7Error('202', `Processing id "${header.processingId}" is not accepted: this listener applies production messages (P) only.`, 'MSH^1^11', 'AR');
  }
  if (!HANDLERS[`${header.messageCode}^${header.triggerEvent}`]) {
    const known = Object.keys(HANDLERS).some((k) => k.startsWith(`${header.messageCode}^`));
    return known
      ? new Hl7Error('201', `Event ${header.messageCode}^${header.triggerEvent} is not supported; Rapport takes ${Object.keys(HANDLERS).join(', ')}.`, 'MSH^1^9', 'AR')
      : new Hl7Error('200', `Message type ${header.messageCode} is not supported; Rapport takes ADT and SIU.`, 'MSH^1^9', 'AR');
  }
  return null;
}

/** Turns what went wrong while applying a message into the ERR of its AE. */
function issueOf(error: unknown, logger: Logger | undefined, header: Header): Hl7Error {
  if (error instanceof Hl7Error) return error;
  if (error instanceof AppError) {
    const fields = error.fields?.map((f) => `${f.path} ${f.message}`).join('; ');
    const message = error.code === 'validation_failed' && fields ? `Rapport refused the data: ${fields}.` : error.message;
    return new Hl7Error(error.status === 404 ? '204' : error.status === 400 ? '102' : '207', message);
  }
  logger?.error({ err: error, controlId: header.controlId, type: `${header.messageCode}^${header.triggerEvent}` }, 'hl7 message failed');
  return new Hl7Error('207', 'Rapport could not apply the message because of an internal error; nothing was changed. Resend it later.');
}

/** Reads, applies and acknowledges one message. Never throws for anything the message contains. */
export async function processHl7Message(deps: Hl7Deps, raw: string, origin: RequestOrigin = {}): Promise<Processed> {
  const now = deps.clock();
  const application = deps.application ?? 'Rapport';
  const answer = (code: AckCode, header: Partial<Header>, issues: AckIssue[]): Processed => ({
    ack: buildAck({ code, header, issues, controlId: newControlId(), now, application }),
    code,
    replayed: false,
  });
  const parsed = parseMessage(raw);
  if (isParseFailure(parsed)) {
    deps.logger?.warn({ code: parsed.code, controlId: parsed.header?.controlId }, 'hl7 message refused: unreadable');
    return answer('AR', parsed.header ?? {}, [{ code: parsed.code, severity: 'E', message: parsed.message, location: parsed.location }]);
  }
  const header = parsed.header;
  const refused = refusal(header);
  if (refused) {
    deps.logger?.warn({ code: refused.code, controlId: header.controlId }, 'hl7 message refused');
    return answer('AR', header, [{ code: refused.code, severity: 'E', message: refused.message, location: refused.location }]);
  }

  const context = {
    tenantId: deps.tenantId,
    actor: { type: 'system' as const, id: null },
    origin: { ...origin, requestId: `hl7:${header.controlId}`.slice(0, 200), userAgent: `HL7 ${header.sendingApplication}|${header.sendingFacility}` },
  };
  const stored = await storedAck(deps, parsed);
  if (stored) return { ack: stored.ack, code: stored.ack_code, replayed: true };
  try {
    return await withTenant(deps.db, context, async (scope) => {
      const tenant = await scope.tx.selectFrom('tenant').select('time_zone').executeTakeFirstOrThrow();
      const ctx: HandlerContext = { scope, message: parsed, now, zone: tenant.time_zone, sender: senderOf(header), warnings: [] };
      const result = await HANDLERS[`${header.messageCode}^${header.triggerEvent}`]!(ctx);
      const processed = answer('AA', header, ctx.warnings);
      const inserted = await scope.tx
        .insertInto('hl7_message')
        .values(logRow(deps, parsed, now, processed, result, origin))
        .onConflict((oc) => oc.columns(['tenant_id', 'sending_application', 'sending_facility', 'control_id', 'content_hash']).where(sql<boolean>`status = 'processed'`).doNothing())
        .returning('id')
        .executeTakeFirst();
      // Another connection applied the same message first: undo ours and answer with its ACK.
      if (!inserted) throw new AlreadyApplied();
      return processed;
    });
  } catch (error) {
    if (error instanceof AlreadyApplied) {
      const first = await storedAck(deps, parsed);
      if (first) return { ack: first.ack, code: first.ack_code, replayed: true };
    }
    const issue = issueOf(error, deps.logger, header);
    const failed = answer(issue.ack, header, [{ code: issue.code, severity: 'E', message: issue.message, location: issue.location }]);
    if (issue.ack === 'AE') await logFailure(deps, context, parsed, now, failed, issue, origin);
    deps.logger?.warn({ code: issue.code, controlId: header.controlId, type: `${header.messageCode}^${header.triggerEvent}` }, 'hl7 message not applied');
    return failed;
  }
}

class AlreadyApplied extends Error {}

/** The sender as one string: MSH-3 and MSH-4 (their namespace ids). */
const senderOf = (h: Header) => `hl7v2:${h.sendingApplication}|${h.sendingFacility}`;

async function storedAck(deps: Hl7Deps, parsed: ParsedMessage) {
  const h = parsed.header;
  return withTenant(deps.db, { tenantId: deps.tenantId, actor: { type: 'system', id: null } }, (scope) =>
    scope.tx
      .selectFrom('hl7_message')
      .select(['ack', 'ack_code'])
      .where('sending_application', '=', h.sendingApplication)
      .where('sending_facility', '=', h.sendingFacility)
      .where('control_id', '=', h.controlId)
      .where('content_hash', '=', parsed.contentHash)
      .where('status', '=', 'processed')
      .executeTakeFirst(),
  );
}

function logRow(deps: Hl7Deps, parsed: ParsedMessage, now: Date, processed: Processed, result: HandlerResult | null, origin: RequestOrigin, error?: Hl7Error) {
  const h = parsed.header;
  return {
    tenant_id: deps.tenantId,
    received_at: now,
    sending_application: h.sendingApplication.slice(0, 227),
    sending_facility: h.sendingFacility.slice(0, 227),
    control_id: h.controlId,
    message_type: `${h.messageCode}^${h.triggerEvent}`.slice(0, 20),
    content_hash: parsed.contentHash,
    status: error ? ('error' as const) : ('processed' as const),
    ack_code: processed.code as 'AA' | 'AE',
    ack: processed.ack,
    error_code: error?.code ?? null,
    error_message: error?.message ?? null,
    patient_id: result?.patientId ?? null,
    entity_type: result?.entityType ?? null,
    entity_id: result?.entityId ?? null,
    remote_address: origin.ip ?? null,
    raw: parsed.text,
  };
}

/** Keeps a message that got AE in the log, in its own transaction: the work itself rolled back. */
async function logFailure(
  deps: Hl7Deps,
  context: Parameters<typeof withTenant>[1],
  parsed: ParsedMessage,
  now: Date,
  failed: Processed,
  error: Hl7Error,
  origin: RequestOrigin,
): Promise<void> {
  try {
    await withTenant(deps.db, context, async (scope) => {
      await scope.tx.insertInto('hl7_message').values(logRow(deps, parsed, now, failed, null, origin, error)).execute();
    });
  } catch (logError) {
    deps.logger?.error({ err: logError, controlId: parsed.header.controlId }, 'hl7 message log not written');
  }
}
