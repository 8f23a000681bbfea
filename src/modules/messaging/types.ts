/**
 * The words of communications: channels, purposes, message states, and the contract every
 * delivery channel (SMTP, an SMS provider, the in-app inbox, the sandbox) fulfils.
 */

export const CHANNELS = ['email', 'sms', 'in_app'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Why a message is sent; consent is given or withdrawn per channel and purpose. */
export const PURPOSES = ['care', 'billing', 'education', 'marketing', 'research'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** Purposes a patient must opt in to; the others are sent until the patient opts out. */
export const OPT_IN_PURPOSES: readonly Purpose[] = ['education', 'marketing', 'research'];
/** The others, sent until the patient opts out: what a general "yes" (START, an import's SMS opt-in) grants again. */
export const OPT_OUT_PURPOSES: readonly Purpose[] = PURPOSES.filter((p) => !OPT_IN_PURPOSES.includes(p));

/**
 * Purposes a message may be sent urgently for (past quiet hours and frequency caps): care only,
 * something about the patient's health or visit they must know now. Billing is left out on
 * purpose: a balance can always wait for the morning, caps on billing are what keep reminders of a
 * debt from turning into harassment, and debt-collection rules (the US FDCPA among them) presume
 * contact before 8:00 or after 21:00 inconvenient. Marketing, education and research never are.
 */
export const URGENT_PURPOSES: readonly Purpose[] = ['care'];

/** Whether a message of `purpose` may be marked urgent. */
export const mayBeUrgent = (purpose: Purpose): boolean => URGENT_PURPOSES.includes(purpose);

/** The refusal for an urgent message of another purpose, in the words of every API that takes `urgent`. */
export const URGENT_REFUSAL = 'may only be true for care messages; other purposes wait for quiet hours and count towards frequency caps';

/**
 * scheduled: a row waiting for its time. sending: claimed by a worker under a lease.
 * Terminal: sent (the provider accepted it), delivered (the provider or the app confirmed it),
 * failed (the provider refused it, reason given), not_sent (Rapport decided not to, reason given),
 * sandboxed (no provider is configured: kept for the sandbox page, never delivered).
 */
export const MESSAGE_STATUSES = ['scheduled', 'sending', 'sent', 'delivered', 'failed', 'not_sent', 'sandboxed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const TERMINAL_STATUSES: readonly MessageStatus[] = ['sent', 'delivered', 'failed', 'not_sent', 'sandboxed'];

/** A message ready for a channel: rendered, addressed, with the key a provider may deduplicate by. */
export type OutgoingMessage = {
  id: string;
  tenantId: string;
  channel: Channel;
  /** An email address, or a phone number in E.164 for SMS. */
  to: string;
  /** Email: the tenant's sender ("Name <address>"); SMS: the tenant's number or sender id. */
  from: string | null;
  replyTo?: string | null;
  subject: string | null;
  text: string;
  html: string | null;
  /**
   * Unique per message and generation: a message claimed again after a worker died carries the
   * same key (so the provider drops the repeat); a staff retry starts a new generation, a new key.
   */
  idempotencyKey: string;
  /** Extra headers for email (List-Unsubscribe, List-Unsubscribe-Post ...). */
  headers?: Record<string, string>;
  /** Where the provider should report delivery (SMS status callbacks). */
  statusCallbackUrl?: string | null;
};

/**
 * What a channel made of one attempt. `retry` is a transient problem (timeout, 4xx from SMTP,
 * 429/5xx from an API): the outbox tries again later. `failed` is permanent (a 5xx SMTP
 * rejection, an invalid number): the message ends failed with the provider's reason.
 */
export type SendResult =
  | { outcome: 'sent'; providerMessageId: string | null; response?: string | undefined }
  | { outcome: 'delivered'; providerMessageId: string | null; response?: string | undefined }
  | { outcome: 'retry'; reason: string; response?: string | undefined; retryAfterSeconds?: number | undefined }
  | { outcome: 'failed'; reason: string; response?: string | undefined };

export type ChannelAdapter = {
  /** Recorded on the message: 'smtp', 'twilio', 'webhook', 'in_app', 'sandbox'. */
  readonly provider: string;
  send(message: OutgoingMessage): Promise<SendResult>;
  close?(): Promise<void>;
};

/** A provider's report about a message it was given (from a status callback or a bounce). */
export type DeliveryReport = {
  provider: string;
  providerMessageId: string;
  status: 'sent' | 'delivered' | 'failed';
  reason?: string | null;
};

/** A text a patient sent in, as a provider hands it over. */
export type InboundSms = {
  provider: string;
  providerMessageId: string;
  from: string;
  to: string;
  body: string;
  receivedAt: Date;
};
