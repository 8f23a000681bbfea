import { Skeleton, Stack, Tabs } from '@mantine/core';
import { IconMessage, IconRoute } from '@tabler/icons-react';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { usePageTitle } from '../common/usePageTitle.ts';
import { updateSearch, useLocation } from '../router.tsx';
import { JourneysTab } from './JourneysTab.tsx';
import { TemplatesTab } from './TemplatesTab.tsx';
import { useJourneyCatalog } from './useJourneyCatalog.ts';

/** What the clinic sends and when: journeys (trigger and steps) and the templates they send. */
export function JourneysPage(_props: { patientId?: string }) {
  usePageTitle('Journeys');
  const location = useLocation();
  const tab = location.search.get('tab') === 'templates' ? 'templates' : 'journeys';
  const catalog = useJourneyCatalog();

  return (
    <Stack gap="md" maw={1200}>
      <PageHeader title="Journeys" description="What the clinic sends and does, automatically, when something happens: reminders, follow-ups, billing notices." />
      <Tabs value={tab} onChange={(value) => updateSearch({ tab: value === 'templates' ? 'templates' : null })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="journeys" leftSection={<IconRoute size={16} aria-hidden />}>Journeys</Tabs.Tab>
          <Tabs.Tab value="templates" leftSection={<IconMessage size={16} aria-hidden />}>Templates</Tabs.Tab>
        </Tabs.List>
        {catalog.status === 'loading' && <Skeleton height={240} radius="md" />}
        {catalog.status === 'error' && <ErrorAlert title="The journeys could not be loaded" error={catalog.error} onRetry={catalog.reload} />}
        {catalog.status === 'success' && (
          <>
            <Tabs.Panel value="journeys"><JourneysTab catalog={catalog.data} onChanged={catalog.refresh} /></Tabs.Panel>
            <Tabs.Panel value="templates"><TemplatesTab groups={catalog.data.templates} onSaved={catalog.refresh} /></Tabs.Panel>
          </>
        )}
      </Tabs>
    </Stack>
  );
}
