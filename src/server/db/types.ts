import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Table types, kept by hand beside the migrations that create them. */

/** A timestamptz the database fills in when an insert leaves it out. */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type StaffRole = 'admin' | 'clinician' | 'front_desk' | 'marketing';
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'clinician', 'front_desk', 'marketing'];

export type LifecycleStatus = 'lead' | 'active' | 'lapsed' | 'inactive' | 'deceased';
export type AppointmentStatus = 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';

export interface TenantTable {
  id: Generated<string>;
  name: string;
  slug: string;
  time_zone: Generated<string>;
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
}

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
  lifecycle_status: Generated<LifecycleStatus>;
  created_at: CreatedAt;
  updated_at: DefaultTimestamp;
  archived_at: NullableTimestamp;
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

export interface DB {
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
}

export type Patient = Selectable<PatientTable>;
export type NewPatient = Insertable<PatientTable>;
export type PatientUpdate = Updateable<PatientTable>;
export type AppUser = Selectable<AppUserTable>;
export type Tenant = Selectable<TenantTable>;
