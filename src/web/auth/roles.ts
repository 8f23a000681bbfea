import type { SessionUser } from '../api/types.ts';

const ROLE_LABELS: Record<string, string> = {
  admin: 'Administrator',
  clinician: 'Clinician',
  front_desk: 'Front desk',
  marketing: 'Marketing',
};

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
