import type { SessionUser } from '../api/types.ts';

const ROLE_LABELS: Record<string, string> = {
  admin: 'Administrator',
  clinician: 'Clinician',
  front_desk: 'Front desk',
  marketing: 'Marketing',
};

/** Roles that work with individual patients; marketing sees aggregates and segments only (as the API enforces). */
const PATIENT_ROLES = new Set<string>(['admin', 'clinician', 'front_desk']);

/** Whether the role may open patient records, tasks, leads and the duplicate queue. */
export function canSeePatients(role: SessionUser['role']): boolean {
  return PATIENT_ROLES.has(role);
}

/** The role as the clinic calls it; an unknown role is shown readably rather than hidden. */
export function roleLabel(role: SessionUser['role']): string {
  return ROLE_LABELS[role] ?? role.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
}

/** Up to two initials for an avatar, e.g. "Dr. Ana Lima" -> "AL". */
export function initials(displayName: string): string {
  const words = displayName
    .split(/\s+/)
    .filter((w) => w && !/^(dr|mr|mrs|ms|mx|prof)\.?$/i.test(w));
  const first = words[0]?.[0] ?? '';
  const last = words.length > 1 ? (words[words.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase() || '?';
}
