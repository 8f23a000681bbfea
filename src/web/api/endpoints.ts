import { apiRequest } from './client.ts';
import type { ClinicOverview, Session } from './types.ts';

export const signIn = (email: string, password: string): Promise<Session> =>
  apiRequest<Session>('/api/auth/login', {
    method: 'POST',
    body: { email, password },
    redirectOnUnauthenticated: false,
  });

export const signOut = (): Promise<void> =>
  apiRequest<void>('/api/auth/logout', { method: 'POST', redirectOnUnauthenticated: false });

export const fetchSession = (signal?: AbortSignal): Promise<Session> =>
  apiRequest<Session>('/api/auth/me', { signal });

export const fetchClinicOverview = (signal?: AbortSignal): Promise<ClinicOverview> =>
  apiRequest<ClinicOverview>('/api/clinic/overview', { signal });
