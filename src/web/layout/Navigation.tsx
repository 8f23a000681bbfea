import { Badge, NavLink, Stack, Text } from '@mantine/core';
import {
  IconCalendarEvent,
  IconChartBar,
  IconLayoutDashboard,
  IconMessages,
  IconSpeakerphone,
  IconUsers,
} from '@tabler/icons-react';
import type { Icon } from '@tabler/icons-react';
import { Link } from '../router.tsx';

interface Section {
  label: string;
  href: string;
  icon: Icon;
}

const SECTIONS: Section[] = [
  { label: 'Overview', href: '/', icon: IconLayoutDashboard },
  { label: 'Patients', href: '/patients', icon: IconUsers },
];

/** Parts of the product not in the web app yet; listed so the shape of Rapport is visible. */
const UPCOMING: Omit<Section, 'href'>[] = [
  { label: 'Schedule', icon: IconCalendarEvent },
  { label: 'Messages', icon: IconMessages },
  { label: 'Campaigns', icon: IconSpeakerphone },
  { label: 'Analytics', icon: IconChartBar },
];

function isActive(href: string, pathname: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

export function Navigation({ pathname, onNavigate }: { pathname: string; onNavigate?: () => void }) {
  return (
    <Stack component="nav" aria-label="Main" gap={2}>
      {SECTIONS.map(({ label, href, icon: SectionIcon }) => {
        const active = isActive(href, pathname);
        return (
          <NavLink
            key={href}
            component={Link}
            href={href}
            label={label}
            active={active}
            aria-current={active ? 'page' : undefined}
            leftSection={<SectionIcon size={20} stroke={1.6} aria-hidden />}
            onClick={onNavigate}
            fw={500}
            style={{ borderRadius: 'var(--mantine-radius-md)' }}
          />
        );
      })}

      <Text fz="xs" fw={600} c="dimmed" tt="uppercase" mt="lg" mb={4} px="sm" style={{ letterSpacing: 0.5 }}>
        Coming soon
      </Text>
      {UPCOMING.map(({ label, icon: SectionIcon }) => (
        <NavLink
          key={label}
          component="div"
          label={label}
          disabled
          aria-disabled
          leftSection={<SectionIcon size={20} stroke={1.6} aria-hidden />}
          rightSection={
            <Badge size="xs" variant="light" color="gray" radius="sm">
              soon
            </Badge>
          }
          style={{ borderRadius: 'var(--mantine-radius-md)' }}
        />
      ))}
    </Stack>
  );
}
