/** Shapes of the JSON API as the web app consumes them (see the server's contract). */

export type StaffRole = 'admin' | 'clinician' | 'front_desk' | 'marketing';

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  /** One of StaffRole; kept as string so a role added on the server does not break the app. */
  role: StaffRole | (string & {});
}

export interface TenantSummary {
  id: string;
  name: string;
}

/** Answer of POST /api/auth/login and GET /api/auth/me. */
export interface Session {
  user: SessionUser;
  tenant: TenantSummary;
}

export interface ClinicOverview {
  tenant: TenantSummary;
  counts: {
    patients: number;
    practitioners: number;
    locations: number;
    appointmentsToday: number;
    appointmentsUpcoming: number;
  };
}

export type LifecycleStatus = 'lead' | 'active' | 'lapsed' | 'inactive' | 'deceased';

/** One line of the patient list: enough to tell two John Smiths apart. */
export interface PatientListItem {
  id: string;
  mrn: string | null;
  givenName: string;
  familyName: string;
  preferredName: string | null;
  /** Calendar date, YYYY-MM-DD. */
  birthDate: string | null;
  sex: string | null;
  phone: string | null;
  email: string | null;
  city: string | null;
  lifecycleStatus: LifecycleStatus;
  /** Tag names, in name order. */
  tags: string[];
  sourceChannel: string | null;
  /** ISO 8601 instant. */
  lastVisitAt: string | null;
  /** ISO 8601 instant. */
  nextAppointmentAt: string | null;
}

export interface PatientPage {
  items: PatientListItem[];
  nextCursor: string | null;
}

export interface FieldProblem {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; fields?: FieldProblem[]; details?: unknown };
}
