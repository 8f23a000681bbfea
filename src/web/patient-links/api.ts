import { apiRequest } from '../api/client.ts';

/** The API of the pages patients reach from their messages (src/modules/preferences/schema.ts). No session. */

export type Channel = 'email' | 'sms' | 'in_app';
export type Purpose = 'care' | 'billing' | 'education' | 'marketing' | 'research';

export interface ConsentAnswer {
  channel: Channel;
  purpose: Purpose;
  status: 'granted' | 'withdrawn' | 'default';
  allowed: boolean;
  optIn: boolean;
  editable: boolean;
  changedAt: string | null;
}

export interface PreferencesView {
  clinic: { name: string };
  patient: { firstName: string };
  reachable: { email: boolean; sms: boolean };
  consent: ConsentAnswer[];
  changed: number;
}

export interface ConsentChange {
  channel: 'email' | 'sms';
  purpose: Purpose;
  status: 'granted' | 'withdrawn';
}

export interface SurveyView {
  clinic: { name: string };
  question: string;
  visit: {
    status: 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';
    startsAt: string;
    timeZone: string;
    service: string;
    practitioner: string;
    location: string;
  };
  canAnswer: boolean;
  answer: { score: number; answeredAt: string } | null;
}

export interface OfferView {
  clinic: { name: string; slug: string };
  offer: {
    status: 'pending' | 'accepted' | 'declined' | 'expired' | 'gone';
    expiresAt: string;
    slot: {
      startsAt: string;
      endsAt: string;
      timeZone: string;
      service: string;
      practitioner: string;
      location: { name: string; address: string | null };
    };
  };
  actions: { accept: boolean; decline: boolean };
  manageUrl: string | null;
}

const quiet = { redirectOnUnauthenticated: false } as const;
const path = (kind: 'preferences' | 'survey' | 'offers', token: string) => `/api/public/${kind}/${encodeURIComponent(token)}`;

export const fetchPreferences = (token: string, signal?: AbortSignal) => apiRequest<PreferencesView>(path('preferences', token), { ...quiet, signal });

export const savePreferences = (token: string, changes: ConsentChange[]) =>
  apiRequest<PreferencesView>(path('preferences', token), { ...quiet, method: 'POST', body: { changes } });

export const fetchSurvey = (token: string, signal?: AbortSignal) => apiRequest<SurveyView>(path('survey', token), { ...quiet, signal });

export const answerSurvey = (token: string, score: number, comment: string) =>
  apiRequest<SurveyView>(path('survey', token), { ...quiet, method: 'POST', body: comment.trim() ? { score, comment: comment.trim() } : { score } });

export const fetchOffer = (token: string, signal?: AbortSignal) => apiRequest<OfferView>(path('offers', token), { ...quiet, signal });

export const answerOffer = (token: string, answer: 'accept' | 'decline') =>
  apiRequest<OfferView>(`${path('offers', token)}/${answer}`, { ...quiet, method: 'POST', body: {} });
