import { apiRequest } from '../api/client.ts';
import type { Step, Trigger } from '../../modules/journeys/schema.ts';

/** The templates, journeys and care APIs as the web app uses them (see src/modules/journeys/api-schema.ts). */

export type { Condition, Step, Trigger } from '../../modules/journeys/schema.ts';

export type Channel = 'email' | 'sms' | 'in_app';
export type Purpose = 'care' | 'billing' | 'education' | 'marketing' | 'research';
export type VariableContext = 'patient' | 'clinic' | 'appointment' | 'offer' | 'medication' | 'invoice' | 'survey';

export interface JourneyRef {
  id: string;
  name: string;
  enabled: boolean;
}

export interface MessageTemplate {
  id: string;
  key: string;
  name: string;
  channel: Channel;
  language: string;
  purpose: Purpose;
  subject: string | null;
  body: string;
  version: number;
  variables: string[];
  warnings: string[];
  usedBy: JourneyRef[];
  allowedContexts: VariableContext[] | null;
  createdAt: string;
  updatedAt: string;
}

export interface TemplateGroup {
  key: string;
  name: string;
  purpose: Purpose;
  templates: MessageTemplate[];
  usedBy: JourneyRef[];
}

export interface NewTemplate {
  key: string;
  name: string;
  channel: Channel;
  language: string;
  purpose: Purpose;
  subject: string | null;
  body: string;
}

export interface TemplateChange {
  version: number;
  name?: string;
  purpose?: Purpose;
  subject?: string | null;
  body?: string;
}

export interface PreviewRequest {
  templateId?: string;
  key?: string;
  channel?: Channel;
  subject?: string | null;
  body?: string;
  purpose?: Purpose;
  language?: string;
  patientId?: string;
}

export interface Preview {
  channel: Channel;
  subject: string | null;
  text: string;
  html: string | null;
  sms: { encoding: 'GSM-7' | 'UCS-2'; segments: number; characters: number } | null;
  warnings: string[];
  sampleVariables: string[];
  notes: string[];
  patient: { id: string; name: string } | null;
  appointment: { id: string; startsAt: string; timeZone: string } | null;
}

const json = (method: 'POST' | 'PATCH', body: unknown) => ({ method, body });
const at = (base: string, id: string) => `${base}/${encodeURIComponent(id)}`;

export const fetchTemplates = async (signal?: AbortSignal): Promise<TemplateGroup[]> => (await apiRequest<{ items: TemplateGroup[] }>('/api/templates', { signal })).items;
export const createTemplate = (body: NewTemplate): Promise<MessageTemplate> => apiRequest('/api/templates', json('POST', body));
export const changeTemplate = (id: string, body: TemplateChange): Promise<MessageTemplate> => apiRequest(at('/api/templates', id), json('PATCH', body));
export const deleteTemplate = (id: string): Promise<void> => apiRequest(at('/api/templates', id), { method: 'DELETE' });
export const previewTemplate = (body: PreviewRequest): Promise<Preview> => apiRequest('/api/templates/preview', json('POST', body));

export interface JourneyCounts {
  waiting: number;
  done: number;
  cancelled: number;
  failed: number;
  sentLast30Days: number;
}

export interface Journey {
  id: string;
  key: string | null;
  name: string;
  description: string | null;
  trigger: Trigger;
  steps: Step[];
  enabled: boolean;
  version: number;
  counts: JourneyCounts;
  createdAt: string;
  updatedAt: string;
}

export interface JourneyInput {
  name: string;
  description: string | null;
  trigger: Trigger;
  steps: Step[];
  enabled?: boolean;
}

export const fetchJourneys = async (signal?: AbortSignal): Promise<Journey[]> => (await apiRequest<{ items: Journey[] }>('/api/journeys', { signal })).items;
export const createJourney = (body: JourneyInput): Promise<Journey> => apiRequest('/api/journeys', json('POST', body));
export const changeJourney = (id: string, body: JourneyInput & { version: number }): Promise<Journey> => apiRequest(at('/api/journeys', id), json('PATCH', body));
export const deleteJourney = (id: string): Promise<void> => apiRequest(at('/api/journeys', id), { method: 'DELETE' });
export const switchJourney = (id: string, on: boolean): Promise<Journey> => apiRequest(`${at('/api/journeys', id)}/${on ? 'enable' : 'disable'}`, { method: 'POST' });

export type RunStatus = 'waiting' | 'running' | 'done' | 'cancelled' | 'failed';

export interface PatientRun {
  id: string;
  journey: { id: string; name: string };
  status: RunStatus;
  reason: string | null;
  lastError: string | null;
  triggerType: string;
  subject: { type: string; id: string } | null;
  stepsDone: number;
  stepsLeft: number;
  nextAt: string | null;
  createdAt: string;
  updatedAt: string;
  log: Array<{ id: string; stepType: string; outcome: string; detail: Record<string, unknown>; at: string }>;
}

export const fetchPatientRuns = async (patientId: string, signal?: AbortSignal): Promise<PatientRun[]> =>
  (await apiRequest<{ items: PatientRun[] }>(`${at('/api/patients', patientId)}/journeys`, { signal })).items;
export const cancelRun = (id: string): Promise<PatientRun> => apiRequest(`${at('/api/journey-runs', id)}/cancel`, { method: 'POST' });

export interface MedicationReminder {
  id: string;
  patientId: string;
  medication: string;
  instructions: string | null;
  timesOfDay: string[];
  startDate: string;
  endDate: string;
  channel: Channel;
  active: boolean;
  timeZone: string;
  createdAt: string;
}

export interface NewMedicationReminder {
  medication: string;
  instructions: string | null;
  timesOfDay: string[];
  startDate: string;
  endDate: string;
  channel: Channel;
}

export const fetchMedicationReminders = (patientId: string, signal?: AbortSignal): Promise<{ items: MedicationReminder[]; timeZone: string }> =>
  apiRequest(`${at('/api/patients', patientId)}/medication-reminders`, { signal });
export const addMedicationReminder = (patientId: string, body: NewMedicationReminder): Promise<MedicationReminder> =>
  apiRequest(`${at('/api/patients', patientId)}/medication-reminders`, json('POST', body));
export const stopMedicationReminder = (id: string): Promise<MedicationReminder> => apiRequest(at('/api/medication-reminders', id), json('PATCH', { active: false }));

export type InvoiceStatus = 'open' | 'paid' | 'void';

export interface Invoice {
  id: string;
  patientId: string;
  number: string;
  amountCents: number;
  balanceCents: number;
  currency: string;
  issuedOn: string;
  dueOn: string;
  status: InvoiceStatus;
  createdAt: string;
  updatedAt: string;
}

export interface NewInvoice {
  number: string;
  amountCents: number;
  currency: string;
  issuedOn?: string;
  dueOn: string;
}

export const fetchInvoices = async (patientId: string, signal?: AbortSignal): Promise<Invoice[]> =>
  (await apiRequest<{ items: Invoice[] }>(`${at('/api/patients', patientId)}/invoices`, { signal })).items;
export const addInvoice = (patientId: string, body: NewInvoice): Promise<Invoice> => apiRequest(`${at('/api/patients', patientId)}/invoices`, json('POST', body));
export const recordPayment = (id: string, amountCents: number): Promise<Invoice> => apiRequest(at('/api/invoices', id), json('PATCH', { payment: { amountCents } }));
export const settleInvoice = (id: string, status: 'paid' | 'void'): Promise<Invoice> => apiRequest(at('/api/invoices', id), json('PATCH', { status }));
