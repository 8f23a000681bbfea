import type { TenantScope } from '../../server/db/scope.ts';
import type { AckIssue } from './ack.ts';
import type { Hl7ErrorCode, ParsedMessage } from './parse.ts';

/** What every message handler gets: the tenant's transaction, the message, and where it came from. */
export type HandlerContext = {
  scope: TenantScope;
  message: ParsedMessage;
  now: Date;
  /** The clinic's zone, for timestamps sent without an offset. */
  zone: string;
  /** Names the sender in external_ref and as the assigning authority of ids that name none. */
  sender: string;
  /** Warnings for the AA's ERR segments: fields that were ignored, not applied. */
  warnings: AckIssue[];
};

/** What a handler touched, for the message log. */
export type HandlerResult = { patientId?: string | undefined; entityType?: string | undefined; entityId?: string | undefined };

/** A message that cannot be applied: answered with AE (or AR) and this ERR, nothing stored. */
export class Hl7Error extends Error {
  readonly code: Hl7ErrorCode;
  readonly location: string | undefined;
  readonly ack: 'AE' | 'AR';
  constructor(code: Hl7ErrorCode, message: string, location?: string, ack: 'AE' | 'AR' = 'AE') {
    super(message);
    this.name = 'Hl7Error';
    this.code = code;
    this.location = location;
    this.ack = ack;
  }
}

export const warn = (ctx: HandlerContext, code: Hl7ErrorCode, message: string, location?: string) =>
  ctx.warnings.push({ code, severity: 'W', message, location });
