import { apiRequest } from './client.ts';

/** Leads and the lead board (see src/modules/leads/). */

export type LeadStage = 'new' | 'contacted' | 'qualified' | 'converted' | 'lost';
export const LEAD_STAGES: readonly LeadStage[] = ['new', 'contacted', 'qualified', 'converted', 'lost'];

export interface LeadSource {
  channel: string | null;
  campaign: string | null;
  referrer: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  utmTerm: string | null;
  utmContent: string | null;
}

export interface Lead {
  id: string;
  givenName: string;
  familyName: string;
  birthDate: string | null;
  phone: string | null;
  email: string | null;
  interest: string | null;
  message: string | null;
  stage: LeadStage;
  lostReason: string | null;
  owner: { id: string; name: string } | null;
  patientId: string | null;
  origin: 'staff' | 'api' | 'web_form' | 'import';
  source: LeadSource;
  createdAt: string;
  stageChangedAt: string;
  convertedAt: string | null;
}

export interface NewLead {
  givenName: string;
  familyName: string;
  birthDate?: string;
  phone?: string;
  email?: string;
  interest?: string;
  message?: string;
  source?: { channel?: string; campaign?: string; referrer?: string };
}

export type LeadBoard = Record<LeadStage, Lead[]>;

export const fetchLeadBoard = (signal?: AbortSignal): Promise<{ stages: Partial<LeadBoard> }> =>
  apiRequest('/api/leads', { signal });

export const createLead = (lead: NewLead): Promise<Lead> => apiRequest('/api/leads', { method: 'POST', body: lead });

export const moveLead = (id: string, stage: Exclude<LeadStage, 'converted'>, lostReason?: string): Promise<Lead> =>
  apiRequest(`/api/leads/${encodeURIComponent(id)}`, {
    method: 'PATCH',
    body: stage === 'lost' ? { stage, lostReason } : { stage },
  });

export interface ConvertInput {
  /** Link to this existing patient instead of registering a new one. */
  patientId?: string;
  confirmNotDuplicate?: boolean;
}

export const convertLead = (id: string, input: ConvertInput): Promise<{ lead: Lead; patientId: string; created: boolean }> =>
  apiRequest(`/api/leads/${encodeURIComponent(id)}/convert`, { method: 'POST', body: input });
