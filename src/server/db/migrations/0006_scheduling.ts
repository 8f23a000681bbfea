import { sql, type Kysely } from 'kysely';
import { isolateTenantTable } from './helpers.ts';

/**
 * Scheduling: rooms, what a service needs and who offers it where, weekly availability with its
 * exceptions and the clinic's holidays, appointments that can never overlap for one practitioner
 * or room (exclusion constraints on the time the appointment blocks, buffers included), every
 * status change of an appointment, recurring series, the waitlist with its offers, and private
 * calendar feeds.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE tenant
  ADD COLUMN booking_page_enabled boolean NOT NULL DEFAULT true,
  -- HMAC key for links sent to patients (manage a booking, answer a waitlist offer); created on
  -- first use, so rotating it is setting it to NULL (every link sent before stops working).
  ADD COLUMN link_key bytea;

ALTER TABLE location ADD COLUMN active boolean NOT NULL DEFAULT true;

-- A practitioner may be a staff user of Rapport (their calendar, their "my day").
ALTER TABLE practitioner
  ADD COLUMN user_id uuid,
  ADD FOREIGN KEY (tenant_id, user_id) REFERENCES app_user (tenant_id, id);
CREATE UNIQUE INDEX practitioner_user_key ON practitioner (tenant_id, user_id) WHERE user_id IS NOT NULL;

CREATE TABLE room (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  location_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, location_id, name),
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id)
);

ALTER TABLE service
  ADD COLUMN description text CHECK (length(description) <= 2000),
  ADD COLUMN buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240),
  ADD COLUMN buffer_after_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
  -- How far apart offered start times are; NULL means the service's duration.
  ADD COLUMN slot_interval_minutes integer CHECK (slot_interval_minutes BETWEEN 5 AND 720),
  ADD COLUMN mode text NOT NULL DEFAULT 'in_person' CHECK (mode IN ('in_person', 'video')),
  ADD COLUMN eligibility text NOT NULL DEFAULT 'any' CHECK (eligibility IN ('any', 'new', 'established')),
  ADD COLUMN price_cents integer CHECK (price_cents >= 0),
  ADD COLUMN currency text CHECK (currency ~ '^[A-Z]{3}$'),
  ADD COLUMN requires_room boolean NOT NULL DEFAULT false,
  -- Booking rules, enforced on every path (staff, API, public page).
  ADD COLUMN min_notice_minutes integer NOT NULL DEFAULT 0 CHECK (min_notice_minutes BETWEEN 0 AND 525600),
  ADD COLUMN max_advance_days integer CHECK (max_advance_days BETWEEN 1 AND 1095),
  ADD COLUMN max_future_bookings integer CHECK (max_future_bookings BETWEEN 1 AND 100),
  ADD COLUMN public_booking boolean NOT NULL DEFAULT true;

-- Who offers a service, and where. A slot needs both.
CREATE TABLE service_practitioner (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  service_id uuid NOT NULL,
  practitioner_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, service_id, practitioner_id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES service (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX service_practitioner_practitioner_idx ON service_practitioner (tenant_id, practitioner_id);

CREATE TABLE service_location (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  service_id uuid NOT NULL,
  location_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, service_id, location_id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES service (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id) ON DELETE CASCADE
);

-- Until now a service belonged to a department: its practitioners offer it, at its location.
INSERT INTO service_practitioner (tenant_id, service_id, practitioner_id)
SELECT s.tenant_id, s.id, p.id FROM service s JOIN practitioner p ON p.tenant_id = s.tenant_id AND p.department_id = s.department_id;
INSERT INTO service_location (tenant_id, service_id, location_id)
SELECT s.tenant_id, s.id, d.location_id FROM service s JOIN department d ON d.tenant_id = s.tenant_id AND d.id = s.department_id;

-- Weekly hours: wall-clock times at the location, on an ISO weekday (1 = Monday).
CREATE TABLE availability_rule (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  practitioner_id uuid NOT NULL,
  location_id uuid NOT NULL,
  weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  start_time time NOT NULL,
  end_time time NOT NULL,
  valid_from date,
  valid_until date,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (end_time > start_time),
  CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from),
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id)
);
CREATE INDEX availability_rule_practitioner_idx ON availability_rule (tenant_id, practitioner_id);

-- Time off (the practitioner is away wherever they work) and extra hours (at one location).
CREATE TABLE availability_exception (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  practitioner_id uuid NOT NULL,
  location_id uuid,
  kind text NOT NULL CHECK (kind IN ('time_off', 'extra')),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  reason text CHECK (length(reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (ends_at > starts_at),
  CHECK (kind = 'time_off' OR location_id IS NOT NULL),
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id)
);
CREATE INDEX availability_exception_practitioner_idx ON availability_exception (tenant_id, practitioner_id, starts_at);

-- Whole days the clinic (or one location) is closed, as a date at the location.
CREATE TABLE holiday (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  date date NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  location_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE NULLS NOT DISTINCT (tenant_id, date, location_id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id)
);

CREATE TABLE appointment_series (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  rrule text NOT NULL CHECK (length(rrule) <= 500),
  time_zone text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- block_start/block_end are the time the appointment takes from its practitioner and room:
-- the visit with the service's buffers either side, kept by a trigger from the buffer columns.
ALTER TABLE appointment
  ADD COLUMN room_id uuid,
  ADD COLUMN buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240),
  ADD COLUMN buffer_after_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
  ADD COLUMN block_start timestamptz,
  ADD COLUMN block_end timestamptz,
  ADD COLUMN version integer NOT NULL DEFAULT 1,
  ADD COLUMN confirmed_at timestamptz,
  ADD COLUMN cancelled_at timestamptz,
  ADD COLUMN cancel_reason text CHECK (length(cancel_reason) <= 500),
  ADD COLUMN booked_via text NOT NULL DEFAULT 'staff'
    CHECK (booked_via IN ('staff', 'api', 'public', 'waitlist', 'seed', 'import', 'hl7', 'fhir')),
  ADD COLUMN series_id uuid,
  ADD COLUMN notes text CHECK (length(notes) <= 2000),
  ADD FOREIGN KEY (tenant_id, room_id) REFERENCES room (tenant_id, id),
  ADD FOREIGN KEY (tenant_id, series_id) REFERENCES appointment_series (tenant_id, id);

CREATE FUNCTION appointment_block() RETURNS trigger
  LANGUAGE plpgsql
  AS $fn$
  BEGIN
    NEW.block_start := NEW.starts_at - make_interval(mins => NEW.buffer_before_minutes);
    NEW.block_end := NEW.ends_at + make_interval(mins => NEW.buffer_after_minutes);
    RETURN NEW;
  END
  $fn$;
CREATE TRIGGER appointment_block BEFORE INSERT OR UPDATE OF starts_at, ends_at, buffer_before_minutes, buffer_after_minutes
  ON appointment FOR EACH ROW EXECUTE FUNCTION appointment_block();

UPDATE appointment SET block_start = starts_at, block_end = ends_at;
ALTER TABLE appointment
  ALTER COLUMN block_start SET NOT NULL,
  ALTER COLUMN block_end SET NOT NULL,
  -- Bounded, so "what overlaps [a, b)" is an index range scan from a - 1 day.
  ADD CONSTRAINT appointment_block_bounded CHECK (block_end - block_start <= interval '1 day');

-- No double booking, ever: active appointments of one practitioner (or one room) never overlap.
ALTER TABLE appointment
  ADD CONSTRAINT appointment_practitioner_no_overlap EXCLUDE USING gist (
    tenant_id WITH =, practitioner_id WITH =, tstzrange(block_start, block_end) WITH &&
  ) WHERE (status IN ('booked', 'arrived', 'fulfilled')),
  ADD CONSTRAINT appointment_room_no_overlap EXCLUDE USING gist (
    tenant_id WITH =, room_id WITH =, tstzrange(block_start, block_end) WITH &&
  ) WHERE (room_id IS NOT NULL AND status IN ('booked', 'arrived', 'fulfilled'));

CREATE INDEX appointment_practitioner_idx ON appointment (tenant_id, practitioner_id, block_start);
CREATE INDEX appointment_room_idx ON appointment (tenant_id, room_id, block_start) WHERE room_id IS NOT NULL;
CREATE INDEX appointment_location_idx ON appointment (tenant_id, location_id, starts_at);

-- Every change of an appointment: who, when, from what to what.
CREATE TABLE appointment_event (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  appointment_id uuid NOT NULL,
  action text NOT NULL
    CHECK (action IN ('booked', 'rescheduled', 'confirmed', 'checked_in', 'noshow', 'completed', 'cancelled')),
  from_status text,
  to_status text NOT NULL,
  previous_starts_at timestamptz,
  starts_at timestamptz NOT NULL,
  reason text CHECK (length(reason) <= 500),
  via text NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_token', 'system', 'public')),
  actor_id uuid,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointment (tenant_id, id)
);
CREATE INDEX appointment_event_appointment_idx ON appointment_event (tenant_id, appointment_id, occurred_at);

-- A patient who wants an earlier (or any) slot, and what suits them.
CREATE TABLE waitlist_entry (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  patient_id uuid NOT NULL,
  service_id uuid NOT NULL,
  practitioner_id uuid,
  location_id uuid,
  -- ISO weekdays that suit; wall-clock window at the location; dates that suit.
  weekdays smallint[] NOT NULL DEFAULT '{1,2,3,4,5,6,7}' CHECK (weekdays <@ '{1,2,3,4,5,6,7}'::smallint[] AND cardinality(weekdays) > 0),
  earliest_time time,
  latest_time time,
  not_before date,
  not_after date,
  -- The booking the patient holds and would give up for an earlier one.
  appointment_id uuid,
  status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'booked', 'withdrawn', 'expired')),
  notes text CHECK (length(notes) <= 1000),
  last_offered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK (latest_time IS NULL OR earliest_time IS NULL OR latest_time > earliest_time),
  CHECK (not_after IS NULL OR not_before IS NULL OR not_after >= not_before),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES service (tenant_id, id),
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id),
  FOREIGN KEY (tenant_id, appointment_id) REFERENCES appointment (tenant_id, id)
);
CREATE INDEX waitlist_entry_waiting_idx ON waitlist_entry (tenant_id, service_id) WHERE status = 'waiting';
CREATE INDEX waitlist_entry_patient_idx ON waitlist_entry (tenant_id, patient_id);

-- A slot that came free (a cancellation, a reschedule away), offered to the waitlist.
CREATE TABLE waitlist_release (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  practitioner_id uuid NOT NULL,
  location_id uuid NOT NULL,
  service_id uuid NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  source_appointment_id uuid,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'filled', 'expired', 'unmatched')),
  batches integer NOT NULL DEFAULT 0,
  released_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  filled_appointment_id uuid,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES location (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES service (tenant_id, id)
);
CREATE INDEX waitlist_release_open_idx ON waitlist_release (tenant_id, released_at) WHERE status = 'open';

CREATE TABLE waitlist_offer (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  release_id uuid NOT NULL,
  entry_id uuid NOT NULL,
  patient_id uuid NOT NULL,
  batch integer NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'gone', 'declined', 'expired')),
  offered_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  responded_at timestamptz,
  appointment_id uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, release_id, entry_id),
  FOREIGN KEY (tenant_id, release_id) REFERENCES waitlist_release (tenant_id, id),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES waitlist_entry (tenant_id, id),
  FOREIGN KEY (tenant_id, patient_id) REFERENCES patient (tenant_id, id)
);
CREATE INDEX waitlist_offer_patient_idx ON waitlist_offer (tenant_id, patient_id, offered_at);

-- A practitioner's private calendar subscription: a secret URL, revocable.
CREATE TABLE calendar_feed (
  tenant_id uuid NOT NULL REFERENCES tenant (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  practitioner_id uuid NOT NULL,
  token_hash text NOT NULL UNIQUE,
  label text CHECK (length(label) <= 100),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, practitioner_id) REFERENCES practitioner (tenant_id, id) ON DELETE CASCADE
);
`,
    )
    .execute(db);

  for (const table of [
    'room',
    'service_practitioner',
    'service_location',
    'availability_rule',
    'availability_exception',
    'holiday',
    'appointment_series',
    'appointment_event',
    'waitlist_entry',
    'waitlist_release',
    'waitlist_offer',
    'calendar_feed',
  ]) {
    await isolateTenantTable(db, table);
  }
}
