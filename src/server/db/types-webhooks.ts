import type { ColumnType, Generated } from 'kysely';

/** Tables of outbound webhooks (migration 0011_webhooks), kept by hand beside the migration. */

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type WebhookDeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';
export type WebhookAttemptOutcome = 'delivered' | 'retry' | 'failed';

export interface WebhookSubscriptionTable {
  tenant_id: string;
  id: Generated<string>;
  url: string;
  description: string | null;
  events: string[];
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: NullableTimestamp;
  enabled: Generated<boolean>;
  disabled_reason: 'failing' | 'staff' | null;
  disabled_at: NullableTimestamp;
  consecutive_failures: Generated<number>;
  last_delivered_at: NullableTimestamp;
  last_failed_at: NullableTimestamp;
  secret_rotated_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryTable {
  tenant_id: string;
  id: Generated<string>;
  subscription_id: string;
  event_id: string;
  event_type: string;
  body: string;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  due_at: Timestamp;
  lease_until: NullableTimestamp;
  claimed_by: string | null;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: NullableTimestamp;
  occurred_at: Timestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptTable {
  tenant_id: string;
  id: Generated<string>;
  delivery_id: string;
  attempt: number;
  outcome: WebhookAttemptOutcome;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
  worker: string | null;
}

export interface WebhookTables {
  webhook_subscription: WebhookSubscriptionTable;
  webhook_delivery: WebhookDeliveryTable;
  webhook_attempt: WebhookAttemptTable;
}
