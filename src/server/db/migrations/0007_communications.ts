import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * Communications and journeys: each clinic's sender and providers, the consent ledger, message
 * templates, the outbox (every message a row before anything is sent, with the raw attempts at
 * each provider), two-way SMS conversations, journeys with their runs, and what the shipped
 * journeys need: medication reminders, invoices with an open balance, and visit surveys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
-- One row per clinic. Provider secrets are write-only through the API (never returned).
CREATE TABLE messaging_settings (
  tenant_id uuid PRIMARY KEY REFERENCES tenant (id),
  email_from_name text CHECK (length(email_from_name) BETWEEN 1 AND 100),
  email_from_address text CHECK (email_from_address ~ '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'),
  email_reply_to text CHECK (email_reply_to ~ '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'),
  sms_provider text NOT NULL DEFAULT 'none' CHECK (sms_provider IN ('none', 'twilio', 'webhook')),
  sms_from text,
  twilio_account_sid text,
  twilio_auth_token text,
  twilio_base_url text,
  webhook_url text,
  webhook_secret text,
  -- Nothing but urgent care messages goes out between these times in the patient's own zone.
  quiet_hours_start time NOT NULL DEFAULT '21:00',
  quiet_hours_end time NOT NULL DEFAULT '08:00',
  -- { purpose: { "count": n, "days": d } }: at most n messages of that purpose in any d days.
  frequency_caps jsonb NOT NULL DEFAULT '{"care": {"count": 10, "days": 1}, "billing": {"count": 2, "days": 7},
    "education": {"count": 2, "days": 7}, "marketing": {"count": 2, "days": 30}, "research": {"count": 1, "days": 30}}'::jsonb
    CHECK (jsonb_typeof(frequency_caps) = 'object'),
  help_text text CHECK (length(help_text) <= 320),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (sms_provider <> 'twilio' OR (twilio_account_sid IS NOT NULL AND twilio_auth_token IS NOT NULL AND sms_from IS NOT NULL)),
  CHECK (sms_provider <> 'webhook' OR (webhook_url IS NOT NULL AND webhook_secret IS NOT NULL))
);

-- Consent is a ledger: the latest row per (patient, channel, purpose) is the patient's answer.
CREATE TABLE consent_event (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'in_app')),
  purpose text NOT NULL CHECK (purpose IN ('care', 'billing', 'education', 'marketing', 'research')),
  status text NOT NULL CHECK (status IN ('granted', 'withdrawn')),
  source text NOT NULL CHECK (source IN ('staff', 'form', 'keyword', 'import', 'preference_centre', 'unsubscribe', 'booking', 'api', 'bounce')),
  recorded_by uuid,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  note text CHECK (length(note) <= 500),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX consent_event_patient_idx ON consent_event (tenant_id, patient_id, channel, purpose, recorded_at DESC);

CREATE TABLE message_template (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'in_app')),
  language text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
  purpose text NOT NULL CHECK (purpose IN ('care', 'billing', 'education', 'marketing', 'research')),
  subject text CHECK (length(subject) <= 200),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, key, channel, language),
  CHECK ((channel = 'email') = (subject IS NOT NULL))
);

CREATE TABLE journey (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- Set on the journeys Rapport ships, so they are created once and can be told apart.
  key text CHECK (key ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  description text CHECK (length(description) <= 1000),
  trigger jsonb NOT NULL CHECK (jsonb_typeof(trigger) = 'object'),
  steps jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array'),
  enabled boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, key)
);

-- One journey for one patient about one thing (an appointment, an invoice, a dose time). The
-- unique occurrence makes a trigger that fires twice start one run.
CREATE TABLE journey_run (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  journey_id uuid NOT NULL,
  trigger_type text NOT NULL,
  patient_id uuid NOT NULL,
  subject_type text,
  subject_id uuid,
  occurrence text NOT NULL,
  status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'running', 'done', 'cancelled', 'failed')),
  -- The steps still to run; a branch puts its chosen arm in front of the rest.
  plan jsonb NOT NULL CHECK (jsonb_typeof(plan) = 'array'),
  steps_done integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL,
  lease_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, journey_id, occurrence),
  FOREIGN KEY (tenant_id, journey_id) REFERENCES journey (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX journey_run_due_idx ON journey_run (next_at) WHERE status IN ('waiting', 'running');
CREATE INDEX journey_run_subject_idx ON journey_run (tenant_id, subject_type, subject_id) WHERE subject_id IS NOT NULL;
CREATE INDEX journey_run_patient_idx ON journey_run (tenant_id, patient_id, created_at DESC);

CREATE TABLE journey_step_log (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  run_id uuid NOT NULL,
  step_type text NOT NULL,
  outcome text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, run_id) REFERENCES journey_run (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX journey_step_log_run_idx ON journey_step_log (tenant_id, run_id, at);

-- Two-way SMS: one conversation per phone number, tied to a patient when the number says who.
CREATE TABLE conversation (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  channel text NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms')),
  address text NOT NULL,
  patient_id uuid,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  assignee_id uuid,
  unread_count integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
  last_message_at timestamptz NOT NULL DEFAULT now(),
  last_message_preview text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, channel, address),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES app_user (tenant_id, id)
);
CREATE INDEX conversation_inbox_idx ON conversation (tenant_id, status, last_message_at DESC);
CREATE INDEX conversation_patient_idx ON conversation (tenant_id, patient_id);

-- Every message Rapport sends or means to send, before anything is sent.
CREATE TABLE message (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'in_app')),
  purpose text NOT NULL CHECK (purpose IN ('care', 'billing', 'education', 'marketing', 'research')),
  status text NOT NULL DEFAULT 'scheduled'
    CHECK (status IN ('scheduled', 'sending', 'sent', 'delivered', 'failed', 'not_sent', 'sandboxed')),
  reason text,
  -- Unique per (subject, rule, channel, occurrence): scheduling the same thing twice is a no-op.
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 300),
  template_key text,
  language text,
  journey_id uuid,
  journey_run_id uuid,
  subject_type text,
  subject_id uuid,
  conversation_id uuid,
  -- The address it went to (or would have); kept as sent, the patient's record may change later.
  to_address text,
  subject text,
  body_text text,
  body_html text,
  -- Facts fixed when the message was scheduled (a free-text reply, an offer's link ...).
  variables jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Urgent messages ignore quiet hours (a same-day change); nothing is ever sent after expires_at.
  urgent boolean NOT NULL DEFAULT false,
  due_at timestamptz NOT NULL,
  expires_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 6,
  lease_until timestamptz,
  claimed_by text,
  provider text,
  provider_message_id text,
  created_by_type text NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  delivered_at timestamptz,
  read_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key),
  CHECK (status NOT IN ('failed', 'not_sent') OR reason IS NOT NULL),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversation (tenant_id, id),
  FOREIGN KEY (tenant_id, journey_run_id) REFERENCES journey_run (tenant_id, id)
);
CREATE INDEX message_due_idx ON message (due_at) WHERE status = 'scheduled';
CREATE INDEX message_lease_idx ON message (lease_until) WHERE status = 'sending';
CREATE INDEX message_patient_idx ON message (tenant_id, patient_id, created_at DESC);
CREATE INDEX message_list_idx ON message (tenant_id, created_at DESC, id DESC);
CREATE INDEX message_subject_idx ON message (tenant_id, subject_type, subject_id) WHERE subject_id IS NOT NULL;
CREATE INDEX message_provider_idx ON message (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX message_run_idx ON message (tenant_id, journey_run_id) WHERE journey_run_id IS NOT NULL;
CREATE INDEX message_cap_idx ON message (tenant_id, patient_id, purpose, sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX message_conversation_idx ON message (tenant_id, conversation_id, created_at) WHERE conversation_id IS NOT NULL;

-- Each time a worker handed a message to a provider (or decided not to), as it happened.
CREATE TABLE message_attempt (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  message_id uuid NOT NULL,
  attempt integer NOT NULL,
  worker text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  outcome text NOT NULL CHECK (outcome IN ('sent', 'delivered', 'retry', 'failed', 'not_sent', 'deferred', 'sandboxed')),
  provider text,
  provider_message_id text,
  detail text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, message_id) REFERENCES message (tenant_id, id)
);
CREATE INDEX message_attempt_message_idx ON message_attempt (tenant_id, message_id, started_at);

CREATE TABLE inbound_message (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL,
  patient_id uuid,
  provider text NOT NULL,
  provider_message_id text NOT NULL,
  from_address text NOT NULL,
  to_address text NOT NULL,
  body text NOT NULL,
  -- What Rapport did with it: a keyword (stop, start, help), confirm or cancel, or a conversation.
  handled_as text NOT NULL CHECK (handled_as IN ('stop', 'start', 'help', 'confirm', 'cancel', 'conversation')),
  appointment_id uuid,
  received_at timestamptz NOT NULL,
  read_at timestamptz,
  read_by uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, provider, provider_message_id),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversation (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX inbound_message_conversation_idx ON inbound_message (tenant_id, conversation_id, received_at);

-- Medication reminders: dose times of day in the patient's zone, until an end date.
CREATE TABLE medication_reminder (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  medication text NOT NULL CHECK (length(medication) BETWEEN 1 AND 200),
  instructions text CHECK (length(instructions) <= 500),
  times_of_day time[] NOT NULL CHECK (cardinality(times_of_day) BETWEEN 1 AND 8),
  start_date date NOT NULL,
  end_date date NOT NULL,
  channel text NOT NULL DEFAULT 'sms' CHECK (channel IN ('email', 'sms', 'in_app')),
  active boolean NOT NULL DEFAULT true,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (end_date >= start_date),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX medication_reminder_active_idx ON medication_reminder (tenant_id, end_date) WHERE active;
CREATE INDEX medication_reminder_patient_idx ON medication_reminder (tenant_id, patient_id);

-- What a patient owes: enough for billing notices (payments proper come with their own issue).
CREATE TABLE invoice (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  number text NOT NULL CHECK (length(number) BETWEEN 1 AND 40),
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  balance_cents integer NOT NULL CHECK (balance_cents >= 0),
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  issued_on date NOT NULL,
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'void')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  CHECK (balance_cents <= amount_cents),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX invoice_patient_idx ON invoice (tenant_id, patient_id, due_on);
CREATE INDEX invoice_open_idx ON invoice (tenant_id, due_on) WHERE status = 'open';

-- The survey a follow-up links to: how was the visit, 0 to 10, and a comment.
CREATE TABLE survey_response (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  appointment_id uuid,
  score integer NOT NULL CHECK (score BETWEEN 0 AND 10),
  comment text CHECK (length(comment) <= 2000),
  responded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, appointment_id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);

-- Workers sleep until told: a message due now wakes them at once.
CREATE FUNCTION rapport_outbox_notify() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    PERFORM pg_notify('rapport_outbox', '');
    RETURN NULL;
  END
  $fn$;
CREATE TRIGGER message_notify AFTER INSERT ON message
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_outbox_notify();
CREATE TRIGGER journey_run_notify AFTER INSERT ON journey_run
  FOR EACH STATEMENT EXECUTE FUNCTION rapport_outbox_notify();
`,
    )
    .execute(db);

  for (const table of [
    'messaging_settings',
    'message_template',
    'journey',
    'journey_run',
    'journey_step_log',
    'conversation',
    'message',
    'inbound_message',
    'medication_reminder',
    'invoice',
  ]) {
    await isolateTenantTable(db, table);
  }
  // The ledger and the attempts are history: written once, never changed.
  await isolateTenantTable(db, 'consent_event', ['SELECT', 'INSERT', 'UPDATE']);
  await isolateTenantTable(db, 'message_attempt', ['SELECT', 'INSERT']);
  await isolateTenantTable(db, 'survey_response', ['SELECT', 'INSERT', 'UPDATE']);
}
