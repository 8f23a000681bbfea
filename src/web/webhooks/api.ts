import { apiRequest } from '../api/client.ts';

/** The webhook settings API (see src/modules/webhooks/routes.ts and schema.ts). */

export interface WebhookSubscription {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  disabledReason: 'failing' | 'staff' | null;
  disabledAt: string | null;
  consecutiveFailures: number;
  lastDeliveredAt: string | null;
  lastFailedAt: string | null;
  secretHint: string;
  secretRotatedAt: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookAttempt {
  attempt: number;
  outcome: 'delivered' | 'retry' | 'failed';
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
}

export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  dueAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  occurredAt: string;
  createdAt: string;
  body: string;
  attemptLog: WebhookAttempt[];
}

export interface NewWebhook {
  url: string;
  events: string[];
  description?: string | null;
}

export type WebhookChange = Partial<NewWebhook & { enabled: boolean }>;

export const fetchWebhooks = (signal?: AbortSignal): Promise<{ items: WebhookSubscription[]; eventTypes: string[] }> => apiRequest('/api/settings/webhooks', { signal });

export const createWebhook = (body: NewWebhook): Promise<{ subscription: WebhookSubscription; secret: string }> =>
  apiRequest('/api/settings/webhooks', { method: 'POST', body });

export const changeWebhook = (id: string, body: WebhookChange): Promise<WebhookSubscription> =>
  apiRequest(`/api/settings/webhooks/${encodeURIComponent(id)}`, { method: 'PATCH', body });

export const deleteWebhook = (id: string): Promise<void> => apiRequest(`/api/settings/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const rotateWebhookSecret = (id: string): Promise<{ subscription: WebhookSubscription; secret: string }> =>
  apiRequest(`/api/settings/webhooks/${encodeURIComponent(id)}/rotate-secret`, { method: 'POST' });

export const sendTestWebhook = (id: string): Promise<WebhookDelivery> => apiRequest(`/api/settings/webhooks/${encodeURIComponent(id)}/test`, { method: 'POST' });

export const fetchDeliveries = (id: string, cursor: string | null, signal?: AbortSignal): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> =>
  apiRequest(`/api/settings/webhooks/${encodeURIComponent(id)}/deliveries`, { query: { cursor, limit: 25 }, signal });

export const redeliverWebhook = (deliveryId: string): Promise<WebhookDelivery> =>
  apiRequest(`/api/settings/webhooks/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, { method: 'POST' });
