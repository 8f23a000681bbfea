import { useCallback } from 'react';
import { Paper, SimpleGrid, Skeleton, Stack, Text } from '@mantine/core';
import { fetchWaitlistStats, type WaitlistStats } from '../api/waitlist.ts';
import { ErrorAlert } from '../common/ErrorAlert.tsx';
import { useApiQuery } from '../common/useApiQuery.ts';

const DAYS = 30;

function isoDate(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Paper withBorder radius="md" p="sm">
      <Text fz="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz="xl" fw={650}>
        {value}
      </Text>
      {hint && (
        <Text fz="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}

function minutes(value: number | null): string {
  if (value === null) return '–';
  return value >= 90 ? `${(value / 60).toFixed(1)} h` : `${Math.round(value)} min`;
}

/** How freed slots of the last 30 days were filled from the waitlist. */
export function FillRate() {
  const stats = useApiQuery(
    useCallback((signal: AbortSignal): Promise<WaitlistStats> => {
      const to = new Date();
      const from = new Date(to.getTime() - (DAYS - 1) * 86_400_000);
      return fetchWaitlistStats(isoDate(from), isoDate(to), signal);
    }, []),
  );
  if (stats.status === 'loading') return <Skeleton height={84} radius="md" role="status" aria-label="Loading the fill rate" />;
  if (stats.status === 'error') return <ErrorAlert title="The fill rate could not be loaded" error={stats.error} onRetry={stats.reload} />;
  const s = stats.data;
  return (
    <Stack gap={4}>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm" aria-label={`Waitlist fill rate, last ${DAYS} days`}>
        <Figure label="Slots freed" value={String(s.releases)} hint={`${s.unmatched} suited nobody`} />
        <Figure label="Offered" value={String(s.offered)} hint={`${s.offers} offers sent`} />
        <Figure label="Filled" value={String(s.filled)} hint={s.fillRate === null ? 'Nothing offered yet' : `${Math.round(s.fillRate * 100)}% fill rate`} />
        <Figure label="Median time to fill" value={minutes(s.medianMinutesToFill)} />
      </SimpleGrid>
      <Text fz="xs" c="dimmed">
        Last {DAYS} days ({s.timeZone}). The fill rate counts slots offered to at least one patient.
      </Text>
    </Stack>
  );
}
