import { NavLink, Stack } from '@mantine/core';
import {
  IconMessages,
  IconRoute,
  IconSend,
  IconArrowMerge,
  IconCalendarWeek,
  IconChecklist,
  IconFileImport,
  IconHourglass,
  IconLayoutDashboard,
  IconSettings,
  IconTargetArrow,
  IconUsers,
} from '@tabler/icons-react';
import type { Icon } from '@tabler/icons-react';
import { useSession } from '../auth/AuthContext.tsx';
import { canSeePatients } from '../auth/roles.ts';
import { Link } from '../router.tsx';

interface Section {
  label: string;
  href: string;
  icon: Icon;
  /** Only for roles that work with individual patients (the API refuses the rest). */
  patientData: boolean;
  /** Only these roles, when narrower than "staff who see patients". */
  roles?: readonly string[];
}

const SECTIONS: Section[] = [
  { label: 'Overview', href: '/', icon: IconLayoutDashboard, patientData: false },
  { label: 'Patients', href: '/patients', icon: IconUsers, patientData: true },
  { label: 'Schedule', href: '/schedule', icon: IconCalendarWeek, patientData: true },
  { label: 'Waitlist', href: '/waitlist', icon: IconHourglass, patientData: true },
  { label: 'Inbox', href: '/inbox', icon: IconMessages, patientData: true },
  { label: 'Messages', href: '/messages', icon: IconSend, patientData: true },
  { label: 'Journeys', href: '/journeys', icon: IconRoute, patientData: false, roles: ['admin', 'marketing'] },
  { label: 'My tasks', href: '/tasks', icon: IconChecklist, patientData: true },
  { label: 'Leads', href: '/leads', icon: IconTargetArrow, patientData: true },
  { label: 'Duplicates', href: '/duplicates', icon: IconArrowMerge, patientData: true },
  { label: 'Import', href: '/import', icon: IconFileImport, patientData: true, roles: ['admin', 'front_desk'] },
  { label: 'Clinic setup', href: '/setup', icon: IconSettings, patientData: false, roles: ['admin'] },
];

function isActive(href: string, pathname: string): boolean {
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`);
}

export function Navigation({ pathname, onNavigate }: { pathname: string; onNavigate?: () => void }) {
  const { user } = useSession();
  const sections = SECTIONS.filter((s) => (!s.patientData || canSeePatients(user.role)) && (!s.roles || s.roles.includes(user.role)));
  return (
    <Stack component="nav" aria-label="Main" gap={2}>
      {sections.map(({ label, href, icon: SectionIcon }) => {
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
    </Stack>
  );
}
