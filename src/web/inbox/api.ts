import { apiRequest } from '../api/client.ts';

/** The shared inbox's API (see src/modules/inbox/). */

export type HandledAs = 'stop' | 'start' | 'help' | 'confirm' | 'cancel' | 'conversation';
export type OutboundStatus = 'scheduled' | 'sending' | 'sent' | 'delivered' | 'failed' | 'not_sent' | 'sandboxed';

export interface PersonRef {
  id: string;
  givenName: string;
  familyName: string;
}

export interface Conversation {
  id: string;
  channel: 'sms';
  /** The phone number that texted, in E.164. */
  address: string;
  status: 'open' | 'closed';
  unreadCount: number;
  lastMessageAt: string;
  preview: string | null;
  assignee: { id: string; name: string } | null;
  patient: PersonRef | null;
  /** With no patient set: everyone with the number on file (a household). */
  candidates: PersonRef[];
  createdAt: string;
}

export type ThreadItem =
  | { direction: 'in'; id: string; at: string; body: string; handledAs: HandledAs; readAt: string | null }
  | { direction: 'out'; id: string; at: string; body: string | null; templateKey: string | null; status: OutboundStatus; reason: string | null; sentBy: string | null };

export interface Thread {
  conversation: Conversation;
  /** The patient (or the number) opted out of texts: replies are refused. */
  optedOut: boolean;
  items: ThreadItem[];
}

export interface InboxFilters {
  status: 'open' | 'closed' | 'all';
  assigned: 'me' | 'unassigned' | 'anyone';
  unread: boolean;
}

export interface InboxPage {
  items: Conversation[];
  nextCursor: string | null;
  smsProvider: 'none' | 'twilio' | 'webhook';
}

const path = (id: string, action = '') => `/api/inbox/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

export const fetchInbox = (filters: InboxFilters, cursor: string | null, signal?: AbortSignal): Promise<InboxPage> =>
  apiRequest('/api/inbox', { query: { status: filters.status, assigned: filters.assigned, unread: filters.unread ? 'true' : null, cursor, limit: 50 }, signal });

export const fetchThread = (id: string, signal?: AbortSignal): Promise<Thread> => apiRequest(path(id), { signal });

export const markRead = (id: string): Promise<Conversation> => apiRequest(path(id, 'read'), { method: 'POST' });

export const assignConversation = (id: string, assigneeId: string | null): Promise<Conversation> => apiRequest(path(id, 'assign'), { method: 'POST', body: { assigneeId } });

export const setConversationOpen = (id: string, open: boolean): Promise<Conversation> => apiRequest(path(id, open ? 'reopen' : 'close'), { method: 'POST' });

export const linkConversation = (id: string, patientId: string): Promise<Conversation> => apiRequest(path(id, 'link'), { method: 'POST', body: { patientId } });

export const sendReply = (id: string, body: string, idempotencyKey: string): Promise<ThreadItem> =>
  apiRequest(path(id, 'replies'), { method: 'POST', body: { body, idempotencyKey } });

export const simulateText = (from: string, body: string): Promise<{ conversationId: string; handledAs: HandledAs }> =>
  apiRequest('/api/inbox/sandbox/inbound', { method: 'POST', body: { from, body } });

/** The longest reply the API takes: ten SMS segments. */
export const MAX_REPLY = 1600;
