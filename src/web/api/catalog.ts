import { apiRequest } from './client.ts';

/** The clinic's own vocabulary: tags, custom fields, saved list views. */

export interface Tag {
  id: string;
  name: string;
  color: string;
  patients: number;
}

export const fetchTags = (signal?: AbortSignal): Promise<{ items: Tag[] }> => apiRequest('/api/tags', { signal });

export type CustomFieldType = 'text' | 'number' | 'date' | 'choice';

export interface CustomField {
  id: string;
  key: string;
  label: string;
  type: CustomFieldType;
  choices: string[] | null;
  required: boolean;
  archived: boolean;
}

export const fetchCustomFields = (signal?: AbortSignal): Promise<{ items: CustomField[] }> =>
  apiRequest('/api/custom-fields', { signal });

export interface SavedView {
  id: string;
  name: string;
  /** The list's query string parameters, as strings. */
  filters: Record<string, string>;
  shared: boolean;
  mine: boolean;
  createdAt: string;
}

export const fetchSavedViews = (signal?: AbortSignal): Promise<{ items: SavedView[] }> =>
  apiRequest('/api/saved-views', { signal });

export const createSavedView = (view: { name: string; filters: Record<string, string>; shared: boolean }): Promise<SavedView> =>
  apiRequest('/api/saved-views', { method: 'POST', body: view });

export const deleteSavedView = (id: string): Promise<void> =>
  apiRequest(`/api/saved-views/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** Someone who works at the clinic, as far as assigning work needs (GET /api/staff). */
export interface StaffMember {
  id: string;
  displayName: string;
  role: string;
}

export const fetchStaff = (signal?: AbortSignal): Promise<{ items: StaffMember[] }> => apiRequest('/api/staff', { signal });
