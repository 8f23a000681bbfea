import { FILTER_KEYS, type FilterKey, type PatientFilters } from '../api/patients.ts';

/** The patient list's filters live in the address (so Back, reload and a saved view all work). */

export function readFilters(search: URLSearchParams): PatientFilters {
  const filters: Record<string, string> = {};
  for (const key of FILTER_KEYS) {
    const value = search.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters as PatientFilters;
}

/** A stable string for a set of filters: equal filters give equal keys whatever their order. */
export function filterKey(filters: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  return params.toString();
}

/** The filters as a saved view stores them: only the ones set, as strings. */
export function filtersToRecord(filters: PatientFilters): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(filterKey({ ...filters })));
}

/** "a,b" -> ["a", "b"] for multi-value filters. */
export function splitList(value: string | undefined): string[] {
  return value ? value.split(',').map((v) => v.trim()).filter(Boolean) : [];
}

export function joinList(values: string[]): string | null {
  return values.length ? values.join(',') : null;
}

/** How many filters besides the search box are on. */
export function activeFilterCount(filters: PatientFilters): number {
  return FILTER_KEYS.filter((key: FilterKey) => key !== 'q' && Boolean(filters[key])).length;
}

/** Every filter except the search, cleared. */
export const CLEARED_FILTERS: Record<string, null> = Object.fromEntries(
  FILTER_KEYS.filter((key) => key !== 'q').map((key) => [key, null]),
);
