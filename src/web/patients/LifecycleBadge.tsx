import { Badge } from '@mantine/core';
import type { LifecycleStatus } from '../api/types.ts';

const LIFECYCLE: Record<LifecycleStatus, { label: string; color: string; description: string }> = {
  lead: { label: 'Lead', color: 'blue', description: 'Has been in touch, not yet seen' },
  active: { label: 'Active', color: 'teal', description: 'Seen recently or has a visit booked' },
  lapsed: { label: 'Lapsed', color: 'orange', description: 'Overdue for a visit' },
  inactive: { label: 'Inactive', color: 'gray', description: 'No longer in care here' },
  deceased: { label: 'Deceased', color: 'dark', description: 'Do not contact' },
};

/** The statuses as options of a select, in the order a patient moves through them. */
export const LIFECYCLE_OPTIONS = (Object.keys(LIFECYCLE) as LifecycleStatus[]).map((value) => ({
  value,
  label: LIFECYCLE[value].label,
}));

export function lifecycleLabel(status: string): string {
  return (LIFECYCLE as Record<string, { label: string } | undefined>)[status]?.label ?? status;
}

export function LifecycleBadge({ status, size }: { status: LifecycleStatus; size?: 'sm' | 'md' | 'lg' }) {
  const known = LIFECYCLE[status] as (typeof LIFECYCLE)[LifecycleStatus] | undefined;
  const { label, color, description } = known ?? { label: status, color: 'gray', description: '' };
  return (
    <Badge
      color={color}
      variant="light"
      radius="sm"
      tt="none"
      fw={600}
      size={size}
      miw="max-content"
      title={description || undefined}
    >
      {label}
    </Badge>
  );
}
