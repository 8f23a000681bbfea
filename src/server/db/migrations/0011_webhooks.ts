import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * Tables of the outbound webhooks (decision 0023): a clinic's subscriptions, one delivery row per
 * (event, subscription) written in the transaction of the change that made the event, and every
 * attempt at delivering it. Deliveries are claimed by workers like the message outbox (SKIP LOCKED
 * under a lease) and wake them through NOTIFY 'rapport_webhooks'.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE webhook_subscription (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
  description text CHECK (length(description) <= 500),
  events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 50),
  -- The signing key itself: an HMAC needs it, so it cannot be hashed. Never returned by the API.
  secret text NOT NULL CHECK (length(secret) >= 32),
  -- After a rotation the old secret also signs, until previous_secret_expires_at.
  previous_secret text,
  previous_secret_expires_at timestamptz,
  enabled boolean NOT NULL DEFAULT true,
  -- 'failing' when the worker turned it off; null when staff did (or it is on).
  disabled_reason text CHECK (disabled_reason IN ('failing', 'staff')),
  disabled_at timestamptz,
  -- Deliveries that ended failed since the last one delivered.
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_delivered_at timestamptz,
  last_failed_at timestamptz,
  secret_rotated_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE INDEX webhook_subscription_events_idx ON webhook_subscription USING gin (events) WHERE enabled;

CREATE TABLE webhook_delivery (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  subscription_id uuid NOT NULL,
  -- One event goes to every subscription that wants it under the same id (receivers dedupe by it).
  event_id uuid NOT NULL,
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
  -- The exact bytes sent and signed, the same on every attempt and redelivery.
  body text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
  -- Sends started since the delivery was created or last redelivered (a claim is a send).
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 20),
  due_at timestamptz NOT NULL,
  lease_until timestamptz,
  claimed_by text,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  occurred_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, subscription_id, event_id),
  FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscription (tenant_id, id) ON DELETE CASCADE,
  CHECK ((status = 'sending') = (lease_until IS NOT NULL))
);
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (due_at) WHERE status = 'pending';
CREATE INDEX webhook_delivery_lease_idx ON webhook_delivery (lease_until) WHERE status = 'sending';
CREATE INDEX webhook_delivery_log_idx ON webhook_delivery (tenant_id, subscription_id, created_at DESC, id DESC);

CREATE TABLE webhook_attempt (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  delivery_id uuid NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 1),
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  status_code integer,
  error text CHECK (length(error) <= 1000),
  response_body text CHECK (length(response_body) <= 1100),
  worker text,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, delivery_id, attempt),
  FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_delivery (tenant_id, id) ON DELETE CASCADE
);

-- Webhook workers sleep until told: an event written now wakes them at once.
CREATE FUNCTION rapport_webhooks_notify() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    PERFORM pg_notify('rapport_webhooks', '');
    RETURN NULL;
  END
  $fn$;
CREATE TRIGGER webhook_delivery_notify AFTER INSERT ON webhook_delivery
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_webhooks_notify();
`,
    )
    .execute(db);
  await isolateTenantTable(db, 'webhook_subscription');
  await isolateTenantTable(db, 'webhook_delivery');
  await isolateTenantTable(db, 'webhook_attempt', ['SELECT', 'INSERT', 'DELETE']);
}
