import { Skeleton, Stack, Tabs } from '@mantine/core';
import { IconBeach, IconBuildingHospital, IconMail, IconStethoscope, IconUserHeart, IconWebhook } from '@tabler/icons-react';
import { CommunicationSettings } from '../messages/CommunicationSettings.tsx';
import { WebhookSettings } from '../webhooks/WebhookSettings.tsx';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { updateSearch, useLocation } from '../router.tsx';
import { HolidaysTab } from './HolidaysTab.tsx';
import { LocationsTab } from './LocationsTab.tsx';
import { PractitionersTab } from './PractitionersTab.tsx';
import { ServicesTab } from './ServicesTab.tsx';
import { useSetupData } from './useSetupData.ts';

const TABS = ['services', 'practitioners', 'locations', 'holidays', 'communications', 'webhooks'] as const;
type Tab = (typeof TABS)[number];
const isTab = (value: string | null): value is Tab => TABS.includes(value as Tab);

/** Admins set up what can be booked: services, practitioners and their hours, locations and rooms, holidays. */
export function ClinicSetupPage() {
  usePageTitle('Clinic setup');
  const location = useLocation();
  const requested = location.search.get('tab');
  const tab: Tab = isTab(requested) ? requested : 'services';
  const setup = useSetupData();

  return (
    <Stack gap="md" maw={1200}>
      <PageHeader title="Clinic setup" description="What patients can book, with whom, where and when." />
      <Tabs value={tab} onChange={(value) => updateSearch({ tab: value === 'services' ? null : value })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="services" leftSection={<IconStethoscope size={16} aria-hidden />}>Services</Tabs.Tab>
          <Tabs.Tab value="practitioners" leftSection={<IconUserHeart size={16} aria-hidden />}>Practitioners</Tabs.Tab>
          <Tabs.Tab value="locations" leftSection={<IconBuildingHospital size={16} aria-hidden />}>Locations & rooms</Tabs.Tab>
          <Tabs.Tab value="holidays" leftSection={<IconBeach size={16} aria-hidden />}>Holidays</Tabs.Tab>
          <Tabs.Tab value="communications" leftSection={<IconMail size={16} aria-hidden />}>Communications</Tabs.Tab>
          <Tabs.Tab value="webhooks" leftSection={<IconWebhook size={16} aria-hidden />}>Webhooks</Tabs.Tab>
        </Tabs.List>
        {setup.status === 'loading' && <Skeleton height={240} radius="md" />}
        {setup.status === 'error' && <ErrorAlert title="The clinic setup could not be loaded" error={setup.error} onRetry={setup.reload} />}
        {setup.status === 'success' && (
          <>
            <Tabs.Panel value="services"><ServicesTab data={setup.data} onSaved={setup.refresh} /></Tabs.Panel>
            <Tabs.Panel value="practitioners"><PractitionersTab data={setup.data} onSaved={setup.refresh} /></Tabs.Panel>
            <Tabs.Panel value="locations"><LocationsTab data={setup.data} onSaved={setup.refresh} /></Tabs.Panel>
            <Tabs.Panel value="holidays"><HolidaysTab data={setup.data} onSaved={setup.refresh} /></Tabs.Panel>
            <Tabs.Panel value="communications"><CommunicationSettings /></Tabs.Panel>
            <Tabs.Panel value="webhooks"><WebhookSettings /></Tabs.Panel>
          </>
        )}
      </Tabs>
    </Stack>
  );
}
