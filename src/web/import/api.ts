import { ApiError, apiRequest } from '../api/client.ts';
import type { ErrorBody } from '../api/types.ts';
import type { DateFormat, ImportPreview, ImportRun } from './types.ts';

/**
 * The preview takes the file itself as text/csv, which the shared JSON client does not send; a 401
 * here is left to the next JSON call (start or poll) to turn into a sign-in redirect.
 */
export async function previewImport(csv: string, signal?: AbortSignal): Promise<ImportPreview> {
  let response: Response;
  try {
    response = await fetch('/api/imports/preview', {
      method: 'POST',
      headers: { Accept: 'application/json', 'Content-Type': 'text/csv; charset=utf-8' },
      credentials: 'same-origin',
      body: csv,
      signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network_error', 'Rapport could not reach the server. Check the connection and try again.');
  }
  const payload = (await response.json().catch(() => undefined)) as ImportPreview | ErrorBody | undefined;
  if (response.ok) return payload as ImportPreview;
  const error = payload && 'error' in payload ? payload.error : undefined;
  throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `The server answered with status ${response.status}.`, error?.fields);
}

export interface StartImport {
  filename: string;
  csv: string;
  mapping: Record<string, string>;
  dateFormat: DateFormat;
  dryRun: boolean;
}

export const startImport = (input: StartImport): Promise<ImportRun> => apiRequest<ImportRun>('/api/imports', { method: 'POST', body: input });

export const fetchImport = (id: string, signal?: AbortSignal): Promise<ImportRun> => apiRequest<ImportRun>(`/api/imports/${encodeURIComponent(id)}`, { signal });
