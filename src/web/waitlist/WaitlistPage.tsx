import { useCallback } from 'react';
import { Button, Collapse, Group, Paper, SegmentedControl, Select, Stack, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { fetchOffers, fetchWaitlist, type WaitlistStatus } from '../api/waitlist.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { PageHeader } from '../common/PageHeader.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';
import { usePageTitle } from '../common/usePageTitle.ts';
import { formatFullName } from '../patients/format.ts';
import { updateSearch, useLocation } from '../router.tsx';
import { useDirectory } from '../schedule/useDirectory.ts';
import { AddToWaitlistForm } from './AddToWaitlistForm.tsx';
import { EntryList } from './EntryList.tsx';
import { FillRate } from './FillRate.tsx';
import { OfferList } from './OfferList.tsx';

const STATUSES: Array<{ value: WaitlistStatus | 'all'; label: string }> = [
  { value: 'waiting', label: 'Waiting' },
  { value: 'booked', label: 'Booked' },
  { value: 'withdrawn', label: 'Withdrawn' },
  { value: 'all', label: 'All' },
];

const isStatus = (value: string | null): value is WaitlistStatus | 'all' => STATUSES.some((s) => s.value === value);

/** Patients who want an earlier slot, the offers made to them when slots free up, and how well it works. */
export function WaitlistPage() {
  usePageTitle('Waitlist');
  const location = useLocation();
  const requested = location.search.get('status');
  const status = isStatus(requested) ? requested : 'waiting';
  const serviceId = location.search.get('service');
  const directory = useDirectory();
  const [adding, form] = useDisclosure(false);
  const offers = useApiQuery(useCallback(async (signal: AbortSignal) => (await fetchOffers('pending', signal)).items, []));
  const entries = useApiQuery(useCallback(async (signal: AbortSignal) => (await fetchWaitlist({ status, serviceId }, signal)).items, [status, serviceId]));

  return (
    <Stack gap="lg" maw={1100}>
      <PageHeader
        title="Waitlist"
        description="When a booking is cancelled or moved, the patients it suits are offered the slot, three at a time; the first to accept gets it."
        actions={
          <Button leftSection={<IconPlus size={18} aria-hidden />} variant={adding ? 'light' : 'filled'} onClick={form.toggle}>
            Add to waitlist
          </Button>
        }
      />
      <Collapse expanded={adding}>
        <Paper withBorder radius="md" p="md">
          {directory.status === 'error' && <ErrorAlert title="Services could not be loaded" error={directory.error} onRetry={directory.reload} />}
          {directory.status === 'success' && (
            <AddToWaitlistForm
              directory={directory.data}
              onAdded={(entry) => {
                notifications.show({ color: 'teal', message: `${formatFullName(entry.patient)} is on the waitlist for ${entry.service.name}.` });
                form.close();
                entries.refresh();
              }}
            />
          )}
        </Paper>
      </Collapse>
      <FillRate />
      <Stack gap="xs">
        <Title order={2} fz="lg">
          Offers waiting for an answer
        </Title>
        <OfferList
          offers={{
            ...offers,
            refresh: () => {
              offers.refresh();
              entries.refresh();
            },
          }}
        />
      </Stack>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-end">
          <Title order={2} fz="lg">
            On the waitlist
          </Title>
          <Group gap="sm">
            <Select
              aria-label="Service"
              placeholder="All services"
              clearable
              data={directory.status === 'success' ? directory.data.services.map((s) => ({ value: s.id, label: s.name })) : []}
              value={serviceId}
              onChange={(value) => updateSearch({ service: value })}
              w={220}
            />
            <SegmentedControl
              value={status}
              onChange={(value) => updateSearch({ status: value === 'waiting' ? null : value })}
              data={STATUSES}
              aria-label="Which entries"
            />
          </Group>
        </Group>
        <EntryList entries={entries} />
      </Stack>
    </Stack>
  );
}
