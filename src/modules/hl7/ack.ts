import type { Header, Hl7ErrorCode } from './parse.ts';

/**
 * The acknowledgement Rapport sends back: MSH, MSA and one ERR per problem (HL7 v2.5+ layout:
 * ERR-2 location, ERR-3 code from table 0357, ERR-4 severity, ERR-8 the message for a person).
 * Built by hand rather than with a library, because the content (AE/AR with our own ERR text,
 * warnings on an AA) is the point and the layout is three segments.
 */

export type AckCode = 'AA' | 'AE' | 'AR';

export type AckIssue = {
  code: Hl7ErrorCode | '0';
  /** E error, W warning (an AA that ignored something), I information. */
  severity: 'E' | 'W' | 'I';
  message: string;
  /** ERL: segment^sequence^field[^repetition^component], e.g. PID^1^13. */
  location?: string | undefined;
};

const ERROR_TEXT: Record<AckIssue['code'], string> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '206': 'Application record locked',
  '207': 'Application internal error',
};

/** Escapes text for an ACK field written with the standard encoding characters ^~\&. */
export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\E\\')
    .replace(/\|/g, '\\F\\')
    .replace(/\^/g, '\\S\\')
    .replace(/&/g, '\\T\\')
    .replace(/~/g, '\\R\\')
    .replace(/[\r\n]+/g, ' ');
}

/** An HL7 timestamp in UTC: YYYYMMDDHHMMSS+0000. */
export function hl7Timestamp(at: Date): string {
  return `${at.toISOString().replace(/[-:T]/g, '').slice(0, 14)}+0000`;
}

export type AckInput = {
  code: AckCode;
  /** The message being answered; missing parts (a message without a readable MSH) are left empty. */
  header: Partial<Header>;
  issues: AckIssue[];
  /** This ACK's own MSH-10. */
  controlId: string;
  now: Date;
  /** MSH-3 of the ACK when the message named no receiving application. */
  application: string;
};

/** The ACK message, segments ending in CR. */
export function buildAck(input: AckInput): string {
  const h = input.header;
  const trigger = h.triggerEvent ? escapeText(h.triggerEvent) : '';
  const version = h.version && /^2\.\d+(\.\d+)?$/.test(h.version) ? h.version : '2.5';
  const msh = [
    'MSH',
    '^~\\&',
    escapeText(h.receivingApplication || input.application),
    escapeText(h.receivingFacility ?? ''),
    escapeText(h.sendingApplication ?? ''),
    escapeText(h.sendingFacility ?? ''),
    hl7Timestamp(input.now),
    '',
    `ACK^${trigger}^ACK`,
    escapeText(input.controlId),
    h.processingId && /^[PTD]$/.test(h.processingId) ? h.processingId : 'P',
    version,
  ].join('|');
  const msa = ['MSA', input.code, escapeText(h.controlId ?? '')].join('|');
  const errs = input.issues.map((issue) =>
    ['ERR', '', issue.location ?? '', `${issue.code}^${ERROR_TEXT[issue.code]}^HL70357`, issue.severity, '', '', '', escapeText(issue.message)].join('|'),
  );
  return [msh, msa, ...errs].join('\r') + '\r';
}
