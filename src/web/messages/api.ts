import { apiRequest } from '../api/client.ts';

/** The messages, consent and communication settings API (see src/modules/messaging/routes.ts). */

export type Channel = 'email' | 'sms' | 'in_app';
export type Purpose = 'care' | 'billing' | 'education' | 'marketing' | 'research';
export type MessageStatus = 'scheduled' | 'sending' | 'sent' | 'delivered' | 'failed' | 'not_sent' | 'sandboxed';

export const CHANNELS: Channel[] = ['email', 'sms', 'in_app'];
export const PURPOSES: Purpose[] = ['care', 'billing', 'education', 'marketing', 'research'];
export const STATUSES: MessageStatus[] = ['scheduled', 'sending', 'sent', 'delivered', 'failed', 'not_sent', 'sandboxed'];

export interface Message {
  id: string;
  patient: { id: string; name: string } | null;
  channel: Channel;
  purpose: Purpose;
  status: MessageStatus;
  reason: string | null;
  /** Why, in words. */
  reasonText: string | null;
  template: { key: string; name: string | null } | null;
  subject: string | null;
  preview: string | null;
  to: string | null;
  urgent: boolean;
  dueAt: string;
  expiresAt: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  attempts: number;
  provider: string | null;
  journey: { id: string; name: string } | null;
  createdBy: { type: string; id: string | null; name: string | null };
  createdAt: string;
  retryable: boolean;
}

export interface MessageAttempt {
  attempt: number;
  outcome: string;
  startedAt: string;
  finishedAt: string;
  provider: string | null;
  providerMessageId: string | null;
  detail: string | null;
  worker: string | null;
}

export interface MessageDetail extends Message {
  bodyText: string | null;
  bodyHtml: string | null;
  attemptLog: MessageAttempt[];
  journeyRun: {
    id: string;
    status: string;
    stepsDone: number;
    reason: string | null;
    lastError: string | null;
    createdAt: string;
    steps: Array<{ stepType: string; outcome: string; at: string; detail: Record<string, unknown> }>;
  } | null;
}

export interface MessagePage {
  items: Message[];
  nextCursor: string | null;
}

export interface MessageFilters {
  status?: MessageStatus | null;
  channel?: Channel | null;
  purpose?: Purpose | null;
  q?: string | null;
}

export const fetchMessages = (filters: MessageFilters, cursor: string | null, signal?: AbortSignal): Promise<MessagePage> =>
  apiRequest('/api/messages', { query: { ...filters, cursor, limit: 50 }, signal });

export const fetchPatientMessages = (patientId: string, cursor: string | null, signal?: AbortSignal): Promise<MessagePage> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/messages`, { query: { cursor, limit: 25 }, signal });

export const fetchMessageCounts = (signal?: AbortSignal): Promise<{ counts: Record<MessageStatus, number>; total: number }> =>
  apiRequest('/api/messages/counts', { signal });

export const fetchMessage = (id: string, signal?: AbortSignal): Promise<MessageDetail> => apiRequest(`/api/messages/${encodeURIComponent(id)}`, { signal });

export const retryMessage = (id: string): Promise<MessageDetail> => apiRequest(`/api/messages/${encodeURIComponent(id)}/retry`, { method: 'POST' });

export interface NewMessage {
  channel: Channel;
  purpose: Purpose;
  subject?: string;
  body: string;
  urgent?: boolean;
  requestId: string;
}

export const sendMessage = (patientId: string, body: NewMessage): Promise<Message> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/messages`, { method: 'POST', body });

// ---- Consent

export type ConsentSource = 'staff' | 'form' | 'keyword' | 'import';

export interface ConsentCell {
  channel: Channel;
  purpose: Purpose;
  status: 'granted' | 'withdrawn' | 'default';
  allowed: boolean;
  needsOptIn: boolean;
  source: string | null;
  recordedAt: string | null;
  recordedBy: { id: string; name: string | null } | null;
}

export interface ConsentEntry {
  id: string;
  channel: Channel;
  purpose: Purpose;
  status: 'granted' | 'withdrawn';
  source: string;
  recordedAt: string;
  recordedBy: { id: string; name: string | null } | null;
  note: string | null;
}

export interface Consent {
  matrix: ConsentCell[];
  history: ConsentEntry[];
}

export interface ConsentChange {
  channels: Channel[];
  purposes: Purpose[];
  status: 'granted' | 'withdrawn';
  source: ConsentSource;
  note?: string | null;
}

export const fetchConsent = (patientId: string, signal?: AbortSignal): Promise<Consent> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/consent`, { signal });

export const recordConsent = (patientId: string, body: ConsentChange): Promise<Consent & { recorded: number; messagesStopped: number }> =>
  apiRequest(`/api/patients/${encodeURIComponent(patientId)}/consent`, { method: 'POST', body });

// ---- Settings

export type SmsProvider = 'none' | 'twilio' | 'webhook';
export type Cap = { count: number; days: number };

export interface MessagingSettings {
  emailFromName: string | null;
  emailFromAddress: string | null;
  emailReplyTo: string | null;
  smsProvider: SmsProvider;
  smsFrom: string | null;
  twilioAccountSid: string | null;
  twilioAuthTokenSet: boolean;
  twilioBaseUrl: string | null;
  webhookUrl: string | null;
  webhookSecretSet: boolean;
  quietHoursStart: string;
  quietHoursEnd: string;
  frequencyCaps: Record<Purpose, Cap>;
  helpText: string | null;
  smtpConfigured: boolean;
  delivery: { email: 'smtp' | 'sandbox'; sms: 'twilio' | 'webhook' | 'sandbox'; inApp: 'in_app' };
  updatedAt: string | null;
}

export type MessagingSettingsChange = Partial<{
  emailFromName: string | null;
  emailFromAddress: string | null;
  emailReplyTo: string | null;
  smsProvider: SmsProvider;
  smsFrom: string | null;
  twilioAccountSid: string | null;
  twilioAuthToken: string | null;
  twilioBaseUrl: string | null;
  webhookUrl: string | null;
  webhookSecret: string | null;
  quietHoursStart: string;
  quietHoursEnd: string;
  frequencyCaps: Partial<Record<Purpose, Cap>>;
  helpText: string | null;
}>;

export const fetchMessagingSettings = (signal?: AbortSignal): Promise<MessagingSettings> => apiRequest('/api/settings/messaging', { signal });

export const changeMessagingSettings = (body: MessagingSettingsChange): Promise<MessagingSettings> =>
  apiRequest('/api/settings/messaging', { method: 'PATCH', body });
