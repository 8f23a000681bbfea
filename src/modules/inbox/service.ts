import { randomUUID } from 'node:crypto';
import type { TenantScope } from '../../server/db/scope.ts';
import type { MessageStatus } from '../../server/db/types.ts';
import { AppError, notFound } from '../../server/errors.ts';
import { decodeCursor, encodeCursor } from '../../server/http/cursor.ts';
import { PATIENT_STAFF } from '../../server/http/access.ts';
import { isUuid } from '../../shared/ids.ts';
import { describeReason, scheduleMessage } from '../messaging/outbox.ts';
import { messagingSettings } from '../messaging/policy.ts';
import type { HandledAs } from './inbound.ts';
import { preview } from './keywords.ts';
import { patientsOnNumber, replyTarget, smsOptedOut, type Candidate } from './numbers.ts';

/**
 * The shared inbox: one conversation per phone number that texted the clinic, what was said both
 * ways, who is looking after it, and what has been read. Staff replies go out through the outbox.
 */

export type ConversationSummary = {
  id: string;
  channel: 'sms';
  address: string;
  status: 'open' | 'closed';
  unreadCount: number;
  lastMessageAt: string;
  preview: string | null;
  assignee: { id: string; name: string } | null;
  patient: Candidate | null;
  /** With no patient set: everyone the number may be (a household), for staff to choose from. */
  candidates: Candidate[];
  createdAt: string;
};

export type ThreadItem =
  | { direction: 'in'; id: string; at: string; body: string; handledAs: HandledAs; readAt: string | null }
  | {
      direction: 'out';
      id: string;
      at: string;
      body: string | null;
      templateKey: string | null;
      status: MessageStatus;
      /** Why it was not sent or failed, in words. */
      reason: string | null;
      sentBy: string | null;
    };

export type Thread = { conversation: ConversationSummary; optedOut: boolean; items: ThreadItem[] };

export type InboxQuery = {
  status: 'open' | 'closed' | 'all';
  assigned: 'me' | 'unassigned' | 'anyone';
  unread: boolean;
  limit: number;
  cursor?: string | undefined;
};

export type InboxPage = { items: ConversationSummary[]; nextCursor: string | null; smsProvider: 'none' | 'twilio' | 'webhook' };

const THREAD_LIMIT = 200;
const iso = (d: Date) => new Date(d).toISOString();
const userOf = (scope: TenantScope) => (scope.actor.type === 'user' ? scope.actor.id : scope.actor.type === 'api_token' ? scope.actor.userId : null);

function conversationQuery(scope: TenantScope) {
  return scope.tx
    .selectFrom('conversation as c')
    .leftJoin('patient as p', 'p.id', 'c.patient_id')
    .leftJoin('app_user as u', 'u.id', 'c.assignee_id')
    .select([
      'c.id', 'c.address', 'c.status', 'c.unread_count', 'c.last_message_at', 'c.last_message_preview', 'c.created_at',
      'c.patient_id', 'p.given_name', 'p.family_name', 'c.assignee_id', 'u.display_name as assignee_name',
    ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof conversationQuery>['executeTakeFirstOrThrow']>>;

async function present(scope: TenantScope, r: Row): Promise<ConversationSummary> {
  return {
    id: r.id,
    channel: 'sms',
    address: r.address,
    status: r.status,
    unreadCount: r.unread_count,
    lastMessageAt: iso(r.last_message_at),
    preview: r.last_message_preview,
    assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
    patient: r.patient_id ? { id: r.patient_id, givenName: r.given_name ?? '', familyName: r.family_name ?? '' } : null,
    candidates: r.patient_id ? [] : await patientsOnNumber(scope, r.address),
    createdAt: iso(r.created_at),
  };
}

async function loadConversation(scope: TenantScope, id: string): Promise<ConversationSummary> {
  const row = isUuid(id) ? await conversationQuery(scope).where('c.id', '=', id).executeTakeFirst() : undefined;
  if (!row) throw notFound('Conversation');
  return present(scope, row);
}

/** The conversation's row, locked for a change; 404 when not of this clinic. */
async function lockConversation(scope: TenantScope, id: string) {
  const row = isUuid(id)
    ? await scope.tx.selectFrom('conversation').select(['id', 'address', 'patient_id', 'status', 'assignee_id']).where('id', '=', id).forUpdate().executeTakeFirst()
    : undefined;
  if (!row) throw notFound('Conversation');
  return row;
}

type OutboundRow = {
  id: string;
  body_text: string | null;
  template_key: string | null;
  status: MessageStatus;
  reason: string | null;
  sent_at: Date | null;
  due_at: Date;
  display_name: string | null;
};

const presentOutbound = (m: OutboundRow): ThreadItem => ({
  direction: 'out',
  id: m.id,
  at: iso(m.sent_at ?? m.due_at),
  body: m.body_text,
  templateKey: m.template_key,
  status: m.status,
  reason: m.status === 'not_sent' ? describeReason(m.reason) : m.reason,
  sentBy: m.display_name,
});

type Cursor = { at: string; id: string };

/** Conversations, latest message first, by status, assignee and unread. */
export async function listConversations(scope: TenantScope, query: InboxQuery): Promise<InboxPage> {
  let q = conversationQuery(scope);
  if (query.status !== 'all') q = q.where('c.status', '=', query.status);
  if (query.assigned === 'unassigned') q = q.where('c.assignee_id', 'is', null);
  if (query.assigned === 'me') {
    const me = userOf(scope);
    q = me ? q.where('c.assignee_id', '=', me) : q.where('c.assignee_id', 'is', null).where('c.id', 'is', null);
  }
  if (query.unread) q = q.where('c.unread_count', '>', 0);
  if (query.cursor) {
    const c = decodeCursor<Cursor>(query.cursor, (c) => typeof c.at === 'string' && !Number.isNaN(Date.parse(c.at)) && typeof c.id === 'string' && isUuid(c.id));
    q = q.where((eb) => eb(eb.refTuple('c.last_message_at', 'c.id'), '<', eb.tuple(new Date(c.at), c.id)));
  }
  const rows = await q.orderBy('c.last_message_at', 'desc').orderBy('c.id', 'desc').limit(query.limit + 1).execute();
  const page = rows.slice(0, query.limit);
  const items = [];
  for (const row of page) items.push(await present(scope, row));
  const last = page.at(-1);
  const settings = await messagingSettings(scope);
  await scope.audit({ action: 'conversation.list', entityType: 'conversation', detail: { count: items.length, status: query.status, assigned: query.assigned, unread: query.unread } });
  return {
    items,
    nextCursor: rows.length > query.limit && last ? encodeCursor({ at: iso(last.last_message_at), id: last.id }) : null,
    smsProvider: settings.sms_provider,
  };
}

/**
 * One conversation with what was said both ways, oldest first: the texts received, and every text
 * sent to the number (replies, and reminders or confirmations addressed to it) once due.
 */
export async function getThread(scope: TenantScope, id: string, now: Date): Promise<Thread> {
  const conversation = await loadConversation(scope, id);
  const inbound = await scope.tx
    .selectFrom('inbound_message')
    .select(['id', 'body', 'handled_as', 'received_at', 'read_at'])
    .where('conversation_id', '=', conversation.id)
    .orderBy('received_at', 'desc')
    .limit(THREAD_LIMIT)
    .execute();
  // Texts Rapport sent the number on its own (reminders ...) were addressed to a patient with it on file.
  const patientIds = [...new Set([...(conversation.patient ? [conversation.patient.id] : []), ...(await patientsOnNumber(scope, conversation.address)).map((p) => p.id)])];
  const outbound = await scope.tx
    .selectFrom('message as m')
    .leftJoin('app_user as u', 'u.id', 'm.created_by')
    .select(['m.id', 'm.body_text', 'm.template_key', 'm.status', 'm.reason', 'm.sent_at', 'm.due_at', 'u.display_name'])
    .where('m.channel', '=', 'sms')
    .where((eb) =>
      eb.or([
        eb('m.conversation_id', '=', conversation.id),
        ...(patientIds.length ? [eb.and([eb('m.patient_id', 'in', patientIds), eb('m.to_address', '=', conversation.address), eb('m.due_at', '<=', now)])] : []),
      ]),
    )
    .orderBy('m.due_at', 'desc')
    .limit(THREAD_LIMIT)
    .execute();
  const items: ThreadItem[] = [
    ...inbound.map((m): ThreadItem => ({ direction: 'in', id: m.id, at: iso(m.received_at), body: m.body, handledAs: m.handled_as, readAt: m.read_at ? iso(m.read_at) : null })),
    ...outbound.map(presentOutbound),
  ];
  // Oldest first; a text and Rapport's answer to it share an instant, and the text came first.
  items.sort((a, b) => a.at.localeCompare(b.at) || (a.direction === b.direction ? 0 : a.direction === 'in' ? -1 : 1));
  const optedOut = await smsOptedOut(scope, { id: conversation.id, patient_id: conversation.patient?.id ?? null });
  await scope.audit({ action: 'conversation.view', entityType: 'conversation', entityId: conversation.id, patientId: conversation.patient?.id ?? null });
  return { conversation, optedOut, items: items.slice(-THREAD_LIMIT) };
}

/** Marks every text in the conversation read by the caller. */
export async function markConversationRead(scope: TenantScope, id: string, now: Date): Promise<ConversationSummary> {
  const row = await lockConversation(scope, id);
  const read = await scope.tx
    .updateTable('inbound_message')
    .set({ read_at: now, read_by: userOf(scope) })
    .where('conversation_id', '=', row.id)
    .where('read_at', 'is', null)
    .returning('id')
    .execute();
  await scope.tx.updateTable('conversation').set({ unread_count: 0 }).where('id', '=', row.id).execute();
  await scope.audit({ action: 'conversation.mark_read', entityType: 'conversation', entityId: row.id, patientId: row.patient_id, detail: { messages: read.length } });
  return loadConversation(scope, row.id);
}

/** Gives the conversation to a member of staff who sees patients, or to nobody (null). */
export async function assignConversation(scope: TenantScope, id: string, assigneeId: string | null): Promise<ConversationSummary> {
  const row = await lockConversation(scope, id);
  if (assigneeId) {
    const user = await scope.tx.selectFrom('app_user').select(['id', 'role', 'disabled_at']).where('id', '=', assigneeId).executeTakeFirst();
    const problem = !user || user.disabled_at ? 'is not an active member of staff of this clinic' : !PATIENT_STAFF.includes(user.role) ? 'has a role that cannot see patients' : null;
    if (problem) throw new AppError(400, 'validation_failed', `Invalid request: assigneeId ${problem}`, [{ path: 'assigneeId', message: problem }]);
  }
  await scope.tx.updateTable('conversation').set({ assignee_id: assigneeId }).where('id', '=', row.id).execute();
  await scope.audit({ action: 'conversation.assign', entityType: 'conversation', entityId: row.id, patientId: row.patient_id, detail: { from: row.assignee_id, to: assigneeId } });
  return loadConversation(scope, row.id);
}

/** Closes a conversation (done with for now) or opens it again; a new text reopens it by itself. */
export async function setConversationStatus(scope: TenantScope, id: string, status: 'open' | 'closed'): Promise<ConversationSummary> {
  const row = await lockConversation(scope, id);
  if (row.status !== status) {
    await scope.tx.updateTable('conversation').set({ status }).where('id', '=', row.id).execute();
    await scope.audit({ action: status === 'closed' ? 'conversation.close' : 'conversation.reopen', entityType: 'conversation', entityId: row.id, patientId: row.patient_id });
  }
  return loadConversation(scope, row.id);
}

/** Ties a conversation to one of the patients its number may be (a household member), and its texts with it. */
export async function linkConversation(scope: TenantScope, id: string, patientId: string): Promise<ConversationSummary> {
  const row = await lockConversation(scope, id);
  const candidates = await patientsOnNumber(scope, row.address);
  if (!candidates.some((c) => c.id === patientId)) {
    const message = candidates.length ? 'is not one of the patients with this phone number' : 'cannot be set: no patient has this phone number on file';
    throw new AppError(400, 'validation_failed', `Invalid request: patientId ${message}`, [{ path: 'patientId', message }]);
  }
  await scope.tx.updateTable('conversation').set({ patient_id: patientId }).where('id', '=', row.id).execute();
  await scope.tx.updateTable('inbound_message').set({ patient_id: patientId }).where('conversation_id', '=', row.id).where('patient_id', 'is', null).execute();
  await scope.audit({ action: 'conversation.link', entityType: 'conversation', entityId: row.id, patientId, detail: { previous: row.patient_id } });
  return loadConversation(scope, row.id);
}

export type ReplyInput = { body: string; idempotencyKey?: string | undefined };

/**
 * A staff reply: an urgent care text to the conversation's number, through the outbox. Refused
 * (409 opted_out) when the patient opted out of texts. The same idempotency key twice sends once.
 */
export async function replyInConversation(scope: TenantScope, id: string, input: ReplyInput, now: Date): Promise<ThreadItem> {
  const body = input.body.trim();
  if (!body) throw new AppError(400, 'validation_failed', 'Invalid request: body must not be empty', [{ path: 'body', message: 'must not be empty' }]);
  const row = await lockConversation(scope, id);
  if (await smsOptedOut(scope, row)) {
    throw new AppError(409, 'opted_out', 'This patient opted out of text messages (they replied STOP). They can text START to opt back in; until then, call them instead.');
  }
  const target = await replyTarget(scope, row);
  const scheduled = await scheduleMessage(
    scope,
    {
      patientId: target.patientId,
      channel: 'sms',
      purpose: 'care',
      idempotencyKey: `inbox-reply:${row.id}:${input.idempotencyKey ?? randomUUID()}`,
      dueAt: now,
      urgent: true,
      body,
      conversationId: row.id,
      toAddress: target.toAddress,
    },
    now,
  );
  if (scheduled.created) {
    await scope.tx.updateTable('conversation').set({ last_message_at: now, last_message_preview: preview(body) }).where('id', '=', row.id).execute();
    await scope.audit({ action: 'conversation.reply', entityType: 'message', entityId: scheduled.id, patientId: target.patientId ?? row.patient_id, detail: { conversationId: row.id, status: scheduled.status } });
  }
  const m = await scope.tx
    .selectFrom('message as m')
    .leftJoin('app_user as u', 'u.id', 'm.created_by')
    .select(['m.id', 'm.body_text', 'm.template_key', 'm.status', 'm.reason', 'm.sent_at', 'm.due_at', 'u.display_name'])
    .where('m.id', '=', scheduled.id)
    .executeTakeFirstOrThrow();
  return presentOutbound(m);
}
