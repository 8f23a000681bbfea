import { useCallback } from 'react';
import { fetchCustomFields, fetchStaff, fetchTags, type CustomField, type StaffMember } from '../api/catalog.ts';
import { fetchSetupLocations, fetchSetupServices } from '../api/scheduling-setup.ts';
import { useApiQuery } from '../common/useApiQuery.ts';
import { fetchTemplates, type TemplateGroup } from './api.ts';

/** What the journey editor offers to pick from. */
export interface JourneyCatalog {
  templates: TemplateGroup[];
  services: Array<{ id: string; name: string }>;
  locations: Array<{ id: string; name: string }>;
  staff: StaffMember[];
  customFields: CustomField[];
  tags: string[];
}

/** A list the caller's role may not read (custom fields for marketing) is simply empty. */
const orEmpty = <T>(load: Promise<T[]>): Promise<T[]> => load.catch(() => []);

/** The templates, services, locations, staff, custom fields and tags the editor's pickers offer. */
export function useJourneyCatalog() {
  const load = useCallback(async (signal: AbortSignal): Promise<JourneyCatalog> => {
    const [templates, services, locations, staff, customFields, tags] = await Promise.all([
      fetchTemplates(signal),
      orEmpty(fetchSetupServices(signal)),
      orEmpty(fetchSetupLocations(signal)),
      orEmpty(fetchStaff(signal).then((r) => r.items)),
      orEmpty(fetchCustomFields(signal).then((r) => r.items.filter((f) => !f.archived))),
      orEmpty(fetchTags(signal).then((r) => r.items.map((t) => t.name))),
    ]);
    return {
      templates,
      services: services.map((s) => ({ id: s.id, name: s.name })),
      locations: locations.map((l) => ({ id: l.id, name: l.name })),
      staff,
      customFields,
      tags,
    };
  }, []);
  return useApiQuery(load);
}
