import { createHash } from 'node:crypto';
import { Message, type HL7Node } from 'node-hl7-client';

/**
 * Reading an HL7 v2 message. node-hl7-client's Message does the splitting (segments on CR, LF or
 * CRLF; fields, repetitions, components and subcomponents on the message's own encoding
 * characters) and the unescaping (\F\ \S\ \T\ \R\ \E\); this file checks what a listener must
 * refuse before touching data and gives the rest of the module plain strings by HL7 position.
 */

/** One segment: its name and the library's node, read through `value`, `repetitions` and `component`. */
export type Segment = { name: string; node: HL7Node };

export type Header = {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-7 as sent. */
  timestamp: string;
  messageCode: string;
  triggerEvent: string;
  controlId: string;
  processingId: string;
  version: string;
};

export type ParsedMessage = {
  header: Header;
  segments: Segment[];
  /** sha256 of the segments joined by CR with MSH-7 emptied: equal for a resend of the same message. */
  contentHash: string;
  /** The message with CR between segments, as stored. */
  text: string;
};

/** Why a message could not be read: becomes an AR with this ERR. */
export type ParseFailure = { code: Hl7ErrorCode; message: string; location?: string; header?: Partial<Header> };

/** HL7 table 0357, the codes Rapport answers with. */
export type Hl7ErrorCode = '100' | '101' | '102' | '103' | '200' | '201' | '202' | '203' | '204' | '205' | '206' | '207';

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;
// Control characters other than the segment terminators have no place in an HL7 message.
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const GARBLED = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;

/** Reads a message, or says (for the ERR segment) why it cannot be read. */
export function parseMessage(raw: string): ParsedMessage | ParseFailure {
  const text = raw.replace(/^[\r\n\s]+/, '').replace(/[\r\n]+$/, '');
  if (!text.startsWith('MSH') || text.length < 9) {
    return { code: '100', message: 'The message does not begin with an MSH segment.', location: 'MSH' };
  }
  const fieldSeparator = text[3]!;
  if (/[A-Za-z0-9\r\n]/.test(fieldSeparator)) return { code: '102', message: 'MSH-1 (field separator) is missing or invalid.', location: 'MSH^1^1' };
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.trim() !== '');
  const header = readHeaderLoosely(lines[0]!, fieldSeparator);
  if (GARBLED.test(text)) return { code: '102', message: 'The message contains control characters or bytes that are not text: it is garbled.', header };
  for (const [i, line] of lines.entries()) {
    const name = line.slice(0, 3);
    if (!SEGMENT_NAME.test(name) || (line.length > 3 && line[3] !== fieldSeparator)) {
      return { code: '100', message: `Segment ${i + 1} ("${line.slice(0, 12)}") is not a segment: the message is truncated or garbled.`, location: `${name}^${i + 1}`, header };
    }
    if (name === 'MSH' && i > 0) return { code: '100', message: 'A second MSH: batches are not accepted, send one message per MLLP frame.', location: `MSH^${i + 1}`, header };
  }
  let message: Message;
  try {
    message = new Message({ text: lines.join('\r') });
  } catch {
    return { code: '102', message: 'The message cannot be parsed.', header };
  }
  const segments = message.toArray().map((node) => ({ name: node.name, node }));
  if (segments.length !== lines.length) return { code: '100', message: 'The message cannot be split into segments.', header };
  const msh = segments[0]!;
  const h: Header = {
    sendingApplication: component(msh, 3, 1),
    sendingFacility: component(msh, 4, 1),
    receivingApplication: component(msh, 5, 1),
    receivingFacility: component(msh, 6, 1),
    timestamp: value(msh, 7),
    messageCode: component(msh, 9, 1),
    triggerEvent: component(msh, 9, 2),
    controlId: value(msh, 10),
    processingId: component(msh, 11, 1),
    version: component(msh, 12, 1),
  };
  if (!h.messageCode) return { code: '101', message: 'MSH-9 (message type) is required.', location: 'MSH^1^9', header: h };
  if (!h.controlId) return { code: '101', message: 'MSH-10 (message control id) is required.', location: 'MSH^1^10', header: h };
  if (h.controlId.length > 199) return { code: '102', message: 'MSH-10 (message control id) is longer than 199 characters.', location: 'MSH^1^10', header: h };
  if (!h.version) return { code: '101', message: 'MSH-12 (version id) is required.', location: 'MSH^1^12', header: h };
  const mshFields = lines[0]!.split(fieldSeparator);
  if (mshFields.length > 6) mshFields[6] = '';
  const contentHash = createHash('sha256').update([mshFields.join(fieldSeparator), ...lines.slice(1)].join('\r')).digest('hex');
  return { header: h, segments, contentHash, text: lines.join('\r') };
}

export const isParseFailure = (p: ParsedMessage | ParseFailure): p is ParseFailure => 'code' in p;

/** The MSH fields an ACK needs, read without the parser, for messages the parser refuses. */
function readHeaderLoosely(line: string, fieldSeparator: string): Partial<Header> {
  const f = line.split(fieldSeparator);
  const first = (s: string | undefined) => (s ?? '').split(f[1]?.[0] ?? '^')[0]!.slice(0, 227);
  return {
    sendingApplication: first(f[2]),
    sendingFacility: first(f[3]),
    receivingApplication: first(f[4]),
    receivingFacility: first(f[5]),
    messageCode: first(f[8]),
    triggerEvent: (f[8] ?? '').split(f[1]?.[0] ?? '^')[1] ?? '',
    controlId: (f[9] ?? '').slice(0, 199),
    processingId: first(f[10]),
    version: first(f[11]),
  };
}

/** The node of field `field` (1-based, HL7 numbering): MSH counts its field separator as MSH-1. */
function fieldNode(segment: Segment, field: number): HL7Node {
  return segment.node.get(segment.name === 'MSH' ? field - 1 : field);
}

/** Every repetition of a field, as nodes to read components from. */
export function repetitions(segment: Segment, field: number): HL7Node[] {
  const node = fieldNode(segment, field);
  return node.toArray().filter((rep) => rep.toRaw() !== '');
}

/** Component `comp` (1-based) of a repetition, and subcomponent `sub` of it when given; '' when absent. */
export function part(rep: HL7Node | undefined, comp: number, sub?: number): string {
  if (!rep) return '';
  const c = rep.get(comp - 1);
  const text = sub === undefined ? (c.length > 1 ? c.get(0).toString() : c.toString()) : c.get(sub - 1).toString();
  return text.trim();
}

/** Component `comp` of the first repetition of a field. */
export function component(segment: Segment, field: number, comp: number, sub?: number): string {
  return part(repetitions(segment, field)[0], comp, sub);
}

/** The first component of a field's first repetition: the field's value for simple types. */
export function value(segment: Segment, field: number): string {
  return component(segment, field, 1);
}

export function segmentsNamed(message: ParsedMessage, name: string): Segment[] {
  return message.segments.filter((s) => s.name === name);
}

export function firstSegment(message: ParsedMessage, name: string): Segment | undefined {
  return message.segments.find((s) => s.name === name);
}
