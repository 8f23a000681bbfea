import type { ReactNode } from 'react';
import { Anchor, SimpleGrid, Stack, Text } from '@mantine/core';
import { IconCalendarEvent, IconCalendarTime, IconMapPin, IconStethoscope, IconUsers } from '@tabler/icons-react';
import { fetchClinicOverview } from '../api/endpoints.ts';
import type { ClinicOverview } from '../api/types.ts';
import { useSession } from '../auth/AuthContext.tsx';
import { canSeePatients } from '../auth/roles.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { usePageTitle } from '../common/usePageTitle.ts';
import { Link } from '../router.tsx';
import { StatCard } from './StatCard.tsx';

function greeting(now: Date): string {
  const hour = now.getHours();
  if (hour < 12) return 'Good morning';
  if (hour < 18) return 'Good afternoon';
  return 'Good evening';
}

const todayLabel = (now: Date): string =>
  new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(now);

function CardGroup({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap="xs">
      <Text fz="xs" fw={600} c="dimmed" tt="uppercase" style={{ letterSpacing: 0.5 }}>
        {title}
      </Text>
      {children}
    </Stack>
  );
}

export function OverviewPage() {
  usePageTitle('Overview');
  const { user, tenant } = useSession();
  const overview = useApiQuery(fetchClinicOverview);
  const counts: Partial<ClinicOverview['counts']> = overview.status === 'success' ? overview.data.counts : {};
  // null renders a skeleton while the counts load.
  const value = (n: number | undefined): number | null => (overview.status === 'success' ? (n ?? 0) : null);
  const now = new Date();

  return (
    <Stack gap="lg" maw={1200}>
      <PageHeader title="Overview" description={`${greeting(now)}, ${user.displayName}. ${tenant.name}, ${todayLabel(now)}.`} />

      {overview.status === 'error' ? (
        <ErrorAlert title="The clinic overview could not be loaded" error={overview.error} onRetry={overview.reload} />
      ) : (
        <>
          <CardGroup title="Appointments">
            <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
              <StatCard
                label="Appointments today"
                value={value(counts.appointmentsToday)}
                hint="Booked for today across all locations"
                icon={IconCalendarEvent}
                color="teal"
              />
              <StatCard
                label="Upcoming appointments"
                value={value(counts.appointmentsUpcoming)}
                hint="Booked ahead and not yet seen"
                icon={IconCalendarTime}
                color="cyan"
              />
            </SimpleGrid>
          </CardGroup>

          <CardGroup title="Your clinic">
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="md">
              <StatCard
                label="Patients"
                value={value(counts.patients)}
                hint="Everyone the clinic keeps in touch with"
                icon={IconUsers}
                color="blue"
                footer={
                  canSeePatients(user.role) ? (
                    <Anchor component={Link} href="/patients" fz="sm" fw={500} mt="xs" display="inline-block">
                      Find a patient →
                    </Anchor>
                  ) : undefined
                }
              />
              <StatCard
                label="Practitioners"
                value={value(counts.practitioners)}
                hint="Clinicians who take appointments"
                icon={IconStethoscope}
                color="indigo"
              />
              <StatCard
                label="Locations"
                value={value(counts.locations)}
                hint="Sites where patients are seen"
                icon={IconMapPin}
                color="grape"
              />
            </SimpleGrid>
          </CardGroup>
        </>
      )}
    </Stack>
  );
}
