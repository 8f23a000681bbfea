import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { FhirTables } from './types-fhir.ts';
import type { Hl7Tables } from './types-hl7.ts';
import type { WebhookTables } from './types-webhooks.ts';

/** Table types, kept by hand beside the migrations that create them. */

/** A timestamptz the database fills in when an insert leaves it out. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type StaffRole = 'admin' | 'clinician' | 'front_desk' | 'marketing';
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'clinician', 'front_desk', 'marketing'];

/** What is stored; 'lapsed' is derived from the last kept visit (see patient_lifecycle in SQL). */
export type StoredLifecycleStatus = 'lead' | 'active' | 'inactive' | 'deceased';
export type LifecycleStatus = StoredLifecycleStatus | 'lapsed';
export type AppointmentStatus = 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';

export interface TenantTable {
  id: Generated<string>;
  name: string;
  slug: string;
  time_zone: Generated<string>;
  lapsed_after_days: Generated<number>;
  booking_page_enabled: Generated<boolean>;
  link_key: Buffer | null;
  created_at: CreatedAt;
}

export interface LocationTable {
  tenant_id: string;
  id: Generated<string>;
  name: string;
  address_line: string | null;
  city: string | null;
  postal_code: string | null;
  phone: string | null;
  time_zone: string;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

export interface DepartmentTable {
  tenant_id: string;
  id: Generated<string>;
  location_id: string;
  name: string;
  created_at: CreatedAt;
}

export interface PractitionerTable {
  tenant_id: string;
  id: Generated<string>;
  department_id: string | null;
  prefix: string | null;
  given_name: string;
  family_name: string;
  specialty: string | null;
  email: string | null;
  phone: string | null;
  active: Generated<boolean>;
  user_id: string | null;
  /** Set for a practitioner of an outside organization: in the directory, not on the staff. */
  organization_id: string | null;
  created_at: CreatedAt;
}

export interface ServiceTable {
  tenant_id: string;
  id: Generated<string>;
  department_id: string | null;
  name: string;
  duration_minutes: number;
  active: Generated<boolean>;
  created_at: CreatedAt;
  description: string | null;
  buffer_before_minutes: Generated<number>;
  buffer_after_minutes: Generated<number>;
  slot_interval_minutes: number | null;
  mode: Generated<ServiceMode>;
  eligibility: Generated<ServiceEligibility>;
  price_cents: number | null;
  currency: string | null;
  requires_room: Generated<boolean>;
  min_notice_minutes: Generated<number>;
  max_advance_days: number | null;
  max_future_bookings: number | null;
  public_booking: Generated<boolean>;
  /** Sent in the follow-up after a visit, unless the visit has its own. */
  care_instructions: string | null;
}

export type ServiceMode = 'in_person' | 'video';
export type ServiceEligibility = 'any' | 'new' | 'established';

export interface PatientTable {
  tenant_id: string;
  id: Generated<string>;
  mrn: string | null;
  given_name: string;
  family_name: string;
  preferred_name: string | null;
  birth_date: string | null;
  sex: 'female' | 'male' | 'other' | 'unknown' | null;
  phone: string | null;
  email: string | null;
  address_line: string | null;
  city: string | null;
  postal_code: string | null;
  language: string | null;
  time_zone: string | null;
  lifecycle_status: Generated<StoredLifecycleStatus>;
  gender_identity: string | null;
  pronouns: string | null;
  region: string | null;
  country: string | null;
  phone_use: Generated<ContactUse>;
  email_use: Generated<ContactUse>;
  preferred_channel: PreferredChannel | null;
  /** 'HH:MM:SS' in the patient's own time zone. */
  quiet_hours_start: string | null;
  quiet_hours_end: string | null;
  custom_fields: ColumnType<Record<string, unknown>, string | undefined, string>;
  source_channel: string | null;
  source_campaign: string | null;
  source_referrer: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  /** Maintained by a trigger on appointment: the start of the last fulfilled visit. */
  last_visit_at: ColumnType<Date | null, never, never>;
  version: Generated<number>;
  merged_into_id: string | null;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
  archived_at: NullableTimestamp;
  /** Maintained by triggers (migration 0003): the keys patient search looks people up by. */
  search_keys: ColumnType<string[], never, never>;
}

export type PreferredChannel = 'sms' | 'email' | 'phone' | 'portal' | 'mail';
export type ContactUse = 'home' | 'work' | 'mobile' | 'other';

export interface PatientIdentifierTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  system: string;
  value: string;
  created_at: CreatedAt;
}

export interface PatientContactPointTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  system: 'phone' | 'email';
  value: string;
  use: Generated<ContactUse>;
  rank: Generated<number>;
  created_at: CreatedAt;
}

export type PatientLinkKind = 'guardian_of' | 'shares_phone_with';

export interface PatientLinkTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  related_id: string;
  kind: PatientLinkKind;
  created_at: CreatedAt;
}

export interface TagTable {
  tenant_id: string;
  id: Generated<string>;
  name: string;
  color: Generated<string>;
  created_at: CreatedAt;
}

export interface PatientTagTable {
  tenant_id: string;
  patient_id: string;
  tag_id: string;
  created_at: CreatedAt;
}

export type CustomFieldType = 'text' | 'number' | 'date' | 'choice';

export interface CustomFieldTable {
  tenant_id: string;
  id: Generated<string>;
  key: string;
  label: string;
  type: CustomFieldType;
  choices: string[] | null;
  required: Generated<boolean>;
  created_at: CreatedAt;
  archived_at: NullableTimestamp;
}

export interface PatientChangeTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  change_set: string;
  changed_at: DefaultTimestamp;
  actor_type: string;
  actor_id: string | null;
  field: string;
  old_value: ColumnType<unknown, string | null, string | null>;
  new_value: ColumnType<unknown, string | null, string | null>;
}

export type LeadStage = 'new' | 'contacted' | 'qualified' | 'converted' | 'lost';
export type LeadOrigin = 'staff' | 'api' | 'web_form' | 'import';

export interface LeadTable {
  tenant_id: string;
  id: Generated<string>;
  given_name: string;
  family_name: string;
  birth_date: string | null;
  phone: string | null;
  email: string | null;
  interest: string | null;
  message: string | null;
  stage: Generated<LeadStage>;
  lost_reason: string | null;
  owner_id: string | null;
  patient_id: string | null;
  origin: LeadOrigin;
  source_channel: string | null;
  source_campaign: string | null;
  source_referrer: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_term: string | null;
  utm_content: string | null;
  created_at: CreatedAt;
  stage_changed_at: DefaultTimestamp;
  converted_at: NullableTimestamp;
}

export interface TimelineEventTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string | null;
  lead_id: string | null;
  occurred_at: Timestamp;
  recorded_at: DefaultTimestamp;
  kind: string;
  summary: string;
  detail: ColumnType<Record<string, unknown>, string | undefined, string>;
  actor_type: string;
  actor_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
}

export type TaskStatus = 'open' | 'done' | 'cancelled';
export type TaskPriority = 'low' | 'normal' | 'high' | 'urgent';

export interface TaskTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string | null;
  title: string;
  description: string | null;
  assignee_id: string | null;
  due_at: NullableTimestamp;
  priority: Generated<TaskPriority>;
  status: Generated<TaskStatus>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
  completed_at: NullableTimestamp;
}

export type DuplicateStatus = 'open' | 'merged' | 'dismissed';

export interface DuplicateCandidateTable {
  tenant_id: string;
  id: Generated<string>;
  patient_a: string;
  patient_b: string;
  /** numeric(5,4): read back as a string by both drivers. */
  score: ColumnType<string, number | string, number | string>;
  reasons: ColumnType<unknown, string, string>;
  status: Generated<DuplicateStatus>;
  detected_by: 'create' | 'update' | 'import' | 'scan';
  detected_at: DefaultTimestamp;
  resolved_at: NullableTimestamp;
  resolved_by: string | null;
}

export interface PatientMergeTable {
  tenant_id: string;
  id: Generated<string>;
  survivor_id: string;
  merged_id: string;
  chosen: ColumnType<unknown, string, string>;
  survivor_before: ColumnType<unknown, string, string>;
  merged_before: ColumnType<unknown, string, string>;
  moved: ColumnType<unknown, string, string>;
  merged_at: DefaultTimestamp;
  merged_by: string | null;
  undone_at: NullableTimestamp;
  undone_by: string | null;
}

export interface SavedViewTable {
  tenant_id: string;
  id: Generated<string>;
  owner_id: string;
  name: string;
  filters: ColumnType<unknown, string, string>;
  shared: Generated<boolean>;
  created_at: CreatedAt;
}

/** Blocking keys for duplicate detection, kept by triggers (migration 0004); never written by code. */
export interface PatientMatchKeyTable {
  tenant_id: string;
  patient_id: string;
  source: 'patient' | 'contact_point' | 'identifier';
  source_id: string;
  key: string;
}

export type ImportRunStatus = 'queued' | 'running' | 'completed' | 'failed';

export interface ImportRunTable {
  tenant_id: string;
  id: Generated<string>;
  filename: string;
  mapping: ColumnType<Record<string, string>, string, string>;
  options: ColumnType<Record<string, unknown>, string | undefined, string>;
  dry_run: boolean;
  status: Generated<ImportRunStatus>;
  total_rows: number;
  processed_rows: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  failed: Generated<number>;
  sent_to_review: Generated<number>;
  problems: ColumnType<unknown[], string | undefined, string>;
  problem_count: Generated<number>;
  warnings: ColumnType<string[], string | undefined, string>;
  error: string | null;
  /** The file, until the run ends. */
  csv: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export interface RateLimitCounterTable {
  key: string;
  window_start: Timestamp;
  hits: number;
}

export interface AppointmentTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  practitioner_id: string;
  location_id: string;
  service_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  time_zone: string;
  status: AppointmentStatus;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
  room_id: string | null;
  buffer_before_minutes: Generated<number>;
  buffer_after_minutes: Generated<number>;
  /** Kept by a trigger: the visit with its buffers, the time no other appointment may take. */
  block_start: ColumnType<Date, never, never>;
  block_end: ColumnType<Date, never, never>;
  version: Generated<number>;
  confirmed_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  cancel_reason: string | null;
  booked_via: Generated<BookedVia>;
  series_id: string | null;
  notes: string | null;
  /** The clinician's care instructions for this visit; they win over the service's. */
  care_instructions: string | null;
}

export type BookedVia = 'staff' | 'api' | 'public' | 'waitlist' | 'seed' | 'import' | 'hl7' | 'fhir';
/** Statuses that hold the practitioner's and room's time (the exclusion constraints' predicate). */
export const ACTIVE_APPOINTMENT_STATUSES = ['booked', 'arrived', 'fulfilled'] as const;
export type AppointmentAction = 'booked' | 'rescheduled' | 'confirmed' | 'checked_in' | 'noshow' | 'completed' | 'cancelled';

export interface RoomTable {
  tenant_id: string;
  id: Generated<string>;
  location_id: string;
  name: string;
  active: Generated<boolean>;
  created_at: CreatedAt;
}

export interface ServicePractitionerTable {
  tenant_id: string;
  service_id: string;
  practitioner_id: string;
}

export interface ServiceLocationTable {
  tenant_id: string;
  service_id: string;
  location_id: string;
}

export interface AvailabilityRuleTable {
  tenant_id: string;
  id: Generated<string>;
  practitioner_id: string;
  location_id: string;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
  /** 'HH:MM:SS', wall clock at the location. */
  start_time: string;
  end_time: string;
  /** 'YYYY-MM-DD' (dates come back as strings, see connection.ts). */
  valid_from: string | null;
  valid_until: string | null;
  created_at: CreatedAt;
}

export type AvailabilityExceptionKind = 'time_off' | 'extra';

export interface AvailabilityExceptionTable {
  tenant_id: string;
  id: Generated<string>;
  practitioner_id: string;
  location_id: string | null;
  kind: AvailabilityExceptionKind;
  starts_at: Timestamp;
  ends_at: Timestamp;
  reason: string | null;
  created_at: CreatedAt;
}

export interface HolidayTable {
  tenant_id: string;
  id: Generated<string>;
  date: string;
  name: string;
  location_id: string | null;
  created_at: CreatedAt;
}

export interface AppointmentSeriesTable {
  tenant_id: string;
  id: Generated<string>;
  rrule: string;
  time_zone: string;
  created_at: CreatedAt;
}

export interface AppointmentEventTable {
  tenant_id: string;
  id: Generated<string>;
  appointment_id: string;
  action: AppointmentAction;
  from_status: AppointmentStatus | null;
  to_status: AppointmentStatus;
  previous_starts_at: NullableTimestamp;
  starts_at: Timestamp;
  reason: string | null;
  via: BookedVia;
  actor_type: 'user' | 'api_token' | 'system' | 'public';
  actor_id: string | null;
  occurred_at: DefaultTimestamp;
}

export type WaitlistEntryStatus = 'waiting' | 'booked' | 'withdrawn' | 'expired';

export interface WaitlistEntryTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  service_id: string;
  practitioner_id: string | null;
  location_id: string | null;
  weekdays: ColumnType<number[], number[] | undefined, number[]>;
  earliest_time: string | null;
  latest_time: string | null;
  not_before: string | null;
  not_after: string | null;
  appointment_id: string | null;
  status: Generated<WaitlistEntryStatus>;
  notes: string | null;
  last_offered_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export type WaitlistReleaseStatus = 'open' | 'filled' | 'expired' | 'unmatched';

export interface WaitlistReleaseTable {
  tenant_id: string;
  id: Generated<string>;
  practitioner_id: string;
  location_id: string;
  service_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  source_appointment_id: string | null;
  status: Generated<WaitlistReleaseStatus>;
  batches: Generated<number>;
  released_at: DefaultTimestamp;
  closed_at: NullableTimestamp;
  filled_appointment_id: string | null;
}

export type WaitlistOfferStatus = 'pending' | 'accepted' | 'gone' | 'declined' | 'expired';

export interface WaitlistOfferTable {
  tenant_id: string;
  id: Generated<string>;
  release_id: string;
  entry_id: string;
  patient_id: string;
  batch: number;
  status: Generated<WaitlistOfferStatus>;
  offered_at: DefaultTimestamp;
  expires_at: Timestamp;
  responded_at: NullableTimestamp;
  appointment_id: string | null;
}

export interface CalendarFeedTable {
  tenant_id: string;
  id: Generated<string>;
  practitioner_id: string;
  token_hash: string;
  label: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface AppUserTable {
  tenant_id: string;
  id: Generated<string>;
  email: string;
  display_name: string;
  role: StaffRole;
  password_hash: string | null;
  created_at: CreatedAt;
  last_login_at: NullableTimestamp;
  disabled_at: NullableTimestamp;
}

export interface AuthSessionTable {
  tenant_id: string;
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  created_at: CreatedAt;
  last_seen_at: DefaultTimestamp;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiTokenTable {
  tenant_id: string;
  id: Generated<string>;
  token_hash: string;
  user_id: string;
  name: string;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface LoginAttemptTable {
  id: Generated<number>;
  email_key: string;
  ip: string;
  succeeded: boolean;
  attempted_at: DefaultTimestamp;
}

export interface AuditEventTable {
  tenant_id: string;
  id: Generated<string>;
  occurred_at: DefaultTimestamp;
  actor_type: 'user' | 'api_token' | 'system' | 'public';
  actor_id: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  patient_id: string | null;
  outcome: 'success' | 'denied' | 'failure';
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: ColumnType<Record<string, unknown> | null, string | null, never>;
}

type Json<T> = ColumnType<T, string, string>;
type Channel = 'email' | 'sms' | 'in_app';
type Purpose = 'care' | 'billing' | 'education' | 'marketing' | 'research';

export interface MessagingSettingsTable {
  tenant_id: string;
  email_from_name: string | null;
  email_from_address: string | null;
  email_reply_to: string | null;
  sms_provider: Generated<'none' | 'twilio' | 'webhook'>;
  sms_from: string | null;
  twilio_account_sid: string | null;
  twilio_auth_token: string | null;
  twilio_base_url: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  /** 'HH:MM:SS' */
  quiet_hours_start: Generated<string>;
  quiet_hours_end: Generated<string>;
  frequency_caps: ColumnType<Record<string, { count: number; days: number }>, string | undefined, string>;
  help_text: string | null;
  updated_at: DefaultTimestamp;
}

export type ConsentSource = 'staff' | 'form' | 'keyword' | 'import' | 'preference_centre' | 'unsubscribe' | 'booking' | 'api' | 'bounce';

export interface ConsentEventTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  channel: Channel;
  purpose: Purpose;
  status: 'granted' | 'withdrawn';
  source: ConsentSource;
  recorded_by: string | null;
  recorded_at: DefaultTimestamp;
  note: string | null;
}

export interface MessageTemplateTable {
  tenant_id: string;
  id: Generated<string>;
  key: string;
  name: string;
  channel: Channel;
  language: Generated<string>;
  purpose: Purpose;
  subject: string | null;
  body: string;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface JourneyTable {
  tenant_id: string;
  id: Generated<string>;
  key: string | null;
  name: string;
  description: string | null;
  trigger: Json<unknown>;
  steps: Json<unknown[]>;
  enabled: Generated<boolean>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export type JourneyRunStatus = 'waiting' | 'running' | 'done' | 'cancelled' | 'failed';

export interface JourneyRunTable {
  tenant_id: string;
  id: Generated<string>;
  journey_id: string;
  trigger_type: string;
  patient_id: string;
  subject_type: string | null;
  subject_id: string | null;
  occurrence: string;
  status: Generated<JourneyRunStatus>;
  plan: Json<unknown[]>;
  steps_done: Generated<number>;
  next_at: Timestamp;
  lease_until: NullableTimestamp;
  attempts: Generated<number>;
  last_error: string | null;
  reason: string | null;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface JourneyStepLogTable {
  tenant_id: string;
  id: Generated<string>;
  run_id: string;
  step_type: string;
  outcome: string;
  detail: Json<Record<string, unknown>>;
  at: DefaultTimestamp;
}

export interface ConversationTable {
  tenant_id: string;
  id: Generated<string>;
  channel: Generated<'sms'>;
  address: string;
  patient_id: string | null;
  status: Generated<'open' | 'closed'>;
  assignee_id: string | null;
  unread_count: Generated<number>;
  last_message_at: DefaultTimestamp;
  last_message_preview: string | null;
  created_at: CreatedAt;
}

export type MessageStatus = 'scheduled' | 'sending' | 'sent' | 'delivered' | 'failed' | 'not_sent' | 'sandboxed';

export interface MessageTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string | null;
  channel: Channel;
  purpose: Purpose;
  status: Generated<MessageStatus>;
  reason: string | null;
  idempotency_key: string;
  template_key: string | null;
  language: string | null;
  journey_id: string | null;
  journey_run_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  conversation_id: string | null;
  to_address: string | null;
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  variables: ColumnType<Record<string, string>, string | undefined, string>;
  urgent: Generated<boolean>;
  due_at: Timestamp;
  expires_at: NullableTimestamp;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  lease_until: NullableTimestamp;
  claimed_by: string | null;
  provider: string | null;
  provider_message_id: string | null;
  created_by_type: string;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
  sent_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  read_at: NullableTimestamp;
}

export interface MessageAttemptTable {
  tenant_id: string;
  id: Generated<string>;
  message_id: string;
  attempt: number;
  worker: string | null;
  started_at: Timestamp;
  finished_at: DefaultTimestamp;
  outcome: 'sent' | 'delivered' | 'retry' | 'failed' | 'not_sent' | 'deferred' | 'sandboxed';
  provider: string | null;
  provider_message_id: string | null;
  detail: string | null;
}

export interface InboundMessageTable {
  tenant_id: string;
  id: Generated<string>;
  conversation_id: string;
  patient_id: string | null;
  provider: string;
  provider_message_id: string;
  from_address: string;
  to_address: string;
  body: string;
  handled_as: 'stop' | 'start' | 'help' | 'confirm' | 'cancel' | 'conversation';
  appointment_id: string | null;
  received_at: Timestamp;
  read_at: NullableTimestamp;
  read_by: string | null;
}

export interface MedicationReminderTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  medication: string;
  instructions: string | null;
  /** 'HH:MM:SS' each */
  times_of_day: string[];
  start_date: string;
  end_date: string;
  channel: Generated<Channel>;
  active: Generated<boolean>;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface InvoiceTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  number: string;
  amount_cents: number;
  balance_cents: number;
  currency: Generated<string>;
  issued_on: string;
  due_on: string;
  status: Generated<'open' | 'paid' | 'void'>;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface SurveyResponseTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  appointment_id: string | null;
  score: number;
  comment: string | null;
  responded_at: DefaultTimestamp;
}

// Interoperability (0008_interop): what Rapport keeps from other systems.

export type InteropSource = 'fhir' | 'hl7' | 'staff';

export interface OrganizationTable {
  tenant_id: string;
  id: Generated<string>;
  name: string;
  kind: string | null;
  phone: string | null;
  email: string | null;
  address_line: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  active: Generated<boolean>;
  version: Generated<number>;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface ExternalRefTable {
  tenant_id: string;
  system: string;
  resource_type: string;
  external_id: string;
  entity_id: string;
  content_hash: string | null;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export type EncounterStatus = 'planned' | 'arrived' | 'triaged' | 'in-progress' | 'onleave' | 'finished' | 'cancelled' | 'entered-in-error' | 'unknown';

export interface EncounterTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  status: EncounterStatus;
  class_code: string | null;
  type_system: string | null;
  type_code: string | null;
  type_display: string | null;
  reason_display: string | null;
  practitioner_id: string | null;
  organization_id: string | null;
  location_name: string | null;
  started_at: Timestamp;
  ended_at: NullableTimestamp;
  source: InteropSource;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface ImmunizationTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  encounter_id: string | null;
  status: 'completed' | 'entered-in-error' | 'not-done';
  vaccine_system: string | null;
  vaccine_code: string | null;
  vaccine_display: string;
  occurred_at: Timestamp;
  source: InteropSource;
  created_at: CreatedAt;
}

export interface ConditionTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  encounter_id: string | null;
  clinical_status: 'active' | 'recurrence' | 'relapse' | 'inactive' | 'remission' | 'resolved' | null;
  verification_status: string | null;
  code_system: string | null;
  code: string | null;
  display: string;
  onset_at: NullableTimestamp;
  abated_at: NullableTimestamp;
  recorded_at: NullableTimestamp;
  tag_id: string | null;
  source: InteropSource;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface PatientMedicationTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  encounter_id: string | null;
  status: 'active' | 'on-hold' | 'cancelled' | 'completed' | 'entered-in-error' | 'stopped' | 'draft' | 'unknown';
  code_system: string | null;
  code: string | null;
  display: string;
  dosage_text: string | null;
  authored_at: NullableTimestamp;
  requester_id: string | null;
  source: InteropSource;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface CarePlanTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  encounter_id: string | null;
  status: 'draft' | 'active' | 'on-hold' | 'revoked' | 'completed' | 'entered-in-error' | 'unknown';
  title: string;
  category_code: string | null;
  period_start: NullableTimestamp;
  period_end: NullableTimestamp;
  activities: ColumnType<CarePlanActivity[], string | CarePlanActivity[] | undefined, string | CarePlanActivity[]>;
  source: InteropSource;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}
export type CarePlanActivity = { code: string | null; display: string; status: string | null };

export interface ClaimTable {
  tenant_id: string;
  id: Generated<string>;
  patient_id: string;
  encounter_id: string | null;
  status: 'active' | 'cancelled' | 'draft' | 'entered-in-error';
  service_start: NullableTimestamp;
  service_end: NullableTimestamp;
  total_cents: number | null;
  payer_paid_cents: number | null;
  patient_paid_cents: number | null;
  currency: Generated<string>;
  payer: string | null;
  outcome: 'queued' | 'complete' | 'error' | 'partial' | null;
  organization_id: string | null;
  source: InteropSource;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
}

export interface DB extends FhirTables, Hl7Tables, WebhookTables {
  tenant: TenantTable;
  location: LocationTable;
  department: DepartmentTable;
  practitioner: PractitionerTable;
  service: ServiceTable;
  patient: PatientTable;
  appointment: AppointmentTable;
  app_user: AppUserTable;
  auth_session: AuthSessionTable;
  api_token: ApiTokenTable;
  login_attempt: LoginAttemptTable;
  audit_event: AuditEventTable;
  patient_identifier: PatientIdentifierTable;
  patient_contact_point: PatientContactPointTable;
  patient_link: PatientLinkTable;
  tag: TagTable;
  patient_tag: PatientTagTable;
  custom_field: CustomFieldTable;
  patient_change: PatientChangeTable;
  lead: LeadTable;
  timeline_event: TimelineEventTable;
  task: TaskTable;
  duplicate_candidate: DuplicateCandidateTable;
  patient_merge: PatientMergeTable;
  saved_view: SavedViewTable;
  rate_limit_counter: RateLimitCounterTable;
  patient_match_key: PatientMatchKeyTable;
  import_run: ImportRunTable;
  room: RoomTable;
  service_practitioner: ServicePractitionerTable;
  service_location: ServiceLocationTable;
  availability_rule: AvailabilityRuleTable;
  availability_exception: AvailabilityExceptionTable;
  holiday: HolidayTable;
  appointment_series: AppointmentSeriesTable;
  appointment_event: AppointmentEventTable;
  waitlist_entry: WaitlistEntryTable;
  waitlist_release: WaitlistReleaseTable;
  waitlist_offer: WaitlistOfferTable;
  calendar_feed: CalendarFeedTable;
  messaging_settings: MessagingSettingsTable;
  consent_event: ConsentEventTable;
  message_template: MessageTemplateTable;
  journey: JourneyTable;
  journey_run: JourneyRunTable;
  journey_step_log: JourneyStepLogTable;
  conversation: ConversationTable;
  message: MessageTable;
  message_attempt: MessageAttemptTable;
  inbound_message: InboundMessageTable;
  medication_reminder: MedicationReminderTable;
  invoice: InvoiceTable;
  survey_response: SurveyResponseTable;
  organization: OrganizationTable;
  external_ref: ExternalRefTable;
  encounter: EncounterTable;
  immunization: ImmunizationTable;
  condition: ConditionTable;
  patient_medication: PatientMedicationTable;
  care_plan: CarePlanTable;
  claim: ClaimTable;
}

export type Patient = Selectable<PatientTable>;
export type NewPatient = Insertable<PatientTable>;
export type PatientUpdate = Updateable<PatientTable>;
export type AppUser = Selectable<AppUserTable>;
export type Tenant = Selectable<TenantTable>;
